from django.db import models
from django.utils import timezone


class RecipeType(models.Model):
    """A named graph of job types (the definition) run together on one input."""

    name = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=50, default='')
    description = models.CharField(max_length=500, default='', blank=True)
    revision_num = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    is_system = models.BooleanField(default=False)
    definition = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)
    deprecated = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'recipe_type'

    def __str__(self):
        return self.name


class RecipeTypeRevision(models.Model):
    """An immutable snapshot of a recipe type's definition."""

    recipe_type = models.ForeignKey(
        RecipeType, on_delete=models.PROTECT, related_name='revisions', db_index=False
    )
    revision_num = models.PositiveIntegerField()
    definition = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = 'recipe_type_revision'
        constraints = [
            models.UniqueConstraint(fields=['recipe_type', 'revision_num'], name='recipe_type_revision_uniq'),
        ]

    def __str__(self):
        return f'{self.recipe_type_id} r{self.revision_num}'


class Recipe(models.Model):
    """One run of a recipe type revision; its jobs point at it. A recipe may belong to a batch and
    to a parent recipe, and may be superseded by a newer recipe on the same input."""

    recipe_type = models.ForeignKey(RecipeType, on_delete=models.PROTECT, related_name='recipes')
    recipe_type_rev = models.ForeignKey(RecipeTypeRevision, on_delete=models.PROTECT, related_name='recipes')
    event = models.ForeignKey('job.TriggerEvent', on_delete=models.PROTECT, related_name='recipes')
    batch = models.ForeignKey(
        'batch.Batch', on_delete=models.SET_NULL, null=True, blank=True, related_name='recipes'
    )
    recipe = models.ForeignKey(
        'self', on_delete=models.SET_NULL, null=True, blank=True, related_name='sub_recipes'
    )
    is_superseded = models.BooleanField(default=False)
    superseded_recipe = models.OneToOneField(
        'self', on_delete=models.SET_NULL, null=True, blank=True, related_name='superseded_by_recipe'
    )
    superseded = models.DateTimeField(null=True, blank=True)
    input = models.JSONField(default=dict, blank=True)
    input_file_size = models.FloatField(null=True, blank=True)
    source_started = models.DateTimeField(null=True, blank=True)
    source_ended = models.DateTimeField(null=True, blank=True)
    source_sensor_class = models.CharField(max_length=250, null=True, blank=True)
    source_sensor = models.CharField(max_length=250, null=True, blank=True)
    source_collection = models.CharField(max_length=250, null=True, blank=True)
    source_task = models.CharField(max_length=250, null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    completed = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'recipe'

    def __str__(self):
        return f'recipe {self.pk}'
