from recipe.models import Recipe, RecipeType
from scale.api.serializers import IdObjectField, ModelSerializer


class RecipeTypeBaseSerializer(ModelSerializer):
    class Meta:
        model = RecipeType
        fields = ['id', 'name', 'title', 'description', 'revision_num']


class RecipeBaseSerializer(ModelSerializer):
    recipe_type = RecipeTypeBaseSerializer(read_only=True)
    recipe_type_rev = IdObjectField(source='recipe_type_rev_id')
    event = IdObjectField(source='event_id')

    class Meta:
        model = Recipe
        fields = ['id', 'recipe_type', 'recipe_type_rev', 'event']
