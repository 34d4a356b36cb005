"""Shapes of workspaces and files."""

from rest_framework import serializers

from batch.serializers import BatchBaseSerializer
from job.models import ScaleFile
from job.serializers.base import JobTypeBaseSerializer, WorkspaceBaseSerializer
from recipe.serializers import RecipeTypeBaseSerializer
from scale.api.serializers import IdObjectField


class ScaleFileSerializer(serializers.ModelSerializer):
    """A file (GET /v6/jobs/{id}/input_files/ items)."""

    workspace = WorkspaceBaseSerializer(read_only=True)
    url = serializers.CharField(read_only=True, allow_null=True)
    job_type = JobTypeBaseSerializer(read_only=True, allow_null=True)
    job = IdObjectField(source='job_id', allow_null=True)
    job_exe = IdObjectField(source='job_exe_id', allow_null=True)
    recipe_type = RecipeTypeBaseSerializer(read_only=True, allow_null=True)
    recipe = IdObjectField(source='recipe_id', allow_null=True)
    batch = BatchBaseSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ScaleFile
        fields = [
            'id',
            'file_name',
            'workspace',
            'data_type_tags',
            'media_type',
            'file_type',
            'file_size',
            'file_path',
            'is_deleted',
            'url',
            'created',
            'deleted',
            'data_started',
            'data_ended',
            'source_started',
            'source_ended',
            'source_sensor_class',
            'source_sensor',
            'source_collection',
            'source_task',
            'last_modified',
            'geometry',
            'center_point',
            'countries',
            'job_type',
            'job',
            'job_exe',
            'job_output',
            'recipe_type',
            'recipe',
            'recipe_node',
            'batch',
            'is_superseded',
            'superseded',
        ]
        read_only_fields = fields
