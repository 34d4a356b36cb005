from batch.models import Batch
from scale.api.serializers import ModelSerializer


class BatchBaseSerializer(ModelSerializer):
    class Meta:
        model = Batch
        fields = ['id', 'title', 'description', 'created']
