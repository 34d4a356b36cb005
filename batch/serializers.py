from rest_framework import serializers

from batch.models import Batch


class BatchBaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Batch
        fields = ['id', 'title', 'description', 'created']
