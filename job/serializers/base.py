"""Nested shapes shared by every area of the v6 API (shared/reference/scale-v6-behaviour.md 6.1)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from job.models import Error, JobType, TriggerEvent, Workspace
from scale.api.serializers import ModelSerializer

DATA_SCHEMA = {
    'type': 'object',
    'properties': {
        'files': {'type': 'object', 'additionalProperties': {'type': 'array', 'items': {'type': 'integer'}}},
        'json': {'type': 'object', 'additionalProperties': True},
    },
    'required': ['files', 'json'],
}


@extend_schema_field(DATA_SCHEMA)
class DataField(serializers.Field):
    """v6 data JSON `{"files": {name: [file ids]}, "json": {name: value}}`, never null."""

    def __init__(self, **kwargs):
        kwargs['read_only'] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        return {} if value is None else value

    def to_representation(self, value):
        return {'files': value.get('files') or {}, 'json': value.get('json') or {}}


class JobTypeBaseSerializer(ModelSerializer):
    class Meta:
        model = JobType
        fields = [
            'id',
            'name',
            'version',
            'title',
            'description',
            'is_active',
            'is_system',
            'is_paused',
            'is_published',
            'icon_code',
            'unmet_resources',
        ]


class TriggerEventBaseSerializer(ModelSerializer):
    class Meta:
        model = TriggerEvent
        fields = ['id', 'type', 'occurred']


class ErrorBaseSerializer(ModelSerializer):
    class Meta:
        model = Error
        fields = [
            'id',
            'name',
            'title',
            'description',
            'job_type_name',
            'category',
            'is_builtin',
            'should_be_retried',
        ]


class WorkspaceBaseSerializer(ModelSerializer):
    class Meta:
        model = Workspace
        fields = ['id', 'name']
