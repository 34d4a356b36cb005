"""Shapes of workspaces and files."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from batch.serializers import BatchBaseSerializer
from job.models import ScaleFile, Workspace
from job.serializers.base import JobTypeBaseSerializer, WorkspaceBaseSerializer
from job.services import storage
from recipe.serializers import RecipeTypeBaseSerializer
from scale.api.serializers import IdObjectField, ModelSerializer


class ScaleFileSerializer(ModelSerializer):
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


class ScaleFileDetailSerializer(ScaleFileSerializer):
    """A file with its `meta_data` (GET /v6/files/{id}/, and the body of a registration)."""

    class Meta(ScaleFileSerializer.Meta):
        fields = [*ScaleFileSerializer.Meta.fields, 'meta_data']
        read_only_fields = fields


class WorkspaceSerializer(ModelSerializer):
    """A workspace (GET /v6/workspaces/ items)."""

    class Meta:
        model = Workspace
        fields = [
            'id',
            'name',
            'title',
            'description',
            'base_url',
            'is_active',
            'created',
            'deprecated',
            'last_modified',
        ]
        read_only_fields = fields


@extend_schema_field(
    {
        'type': 'object',
        'properties': {
            'broker': {
                'type': 'object',
                'properties': {'type': {'type': 'string', 'enum': list(storage.BROKER_TYPES)}},
                'additionalProperties': True,
            }
        },
        'additionalProperties': True,
    }
)
class WorkspaceConfigurationField(serializers.Field):
    """The stored configuration as served (storage.public_configuration: credentials masked)."""

    def __init__(self, **kwargs):
        kwargs['read_only'] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return storage.public_configuration(value)


class WorkspaceDetailSerializer(WorkspaceSerializer):
    """A workspace with its `configuration` (GET/PATCH /v6/workspaces/{id}/, POST /v6/workspaces/)."""

    configuration = WorkspaceConfigurationField(source='json_config')

    class Meta(WorkspaceSerializer.Meta):
        fields = [*WorkspaceSerializer.Meta.fields, 'configuration']
        read_only_fields = fields


# --- Request bodies: documentation only; job.services.storage validates them -------------------------


class HostBrokerSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=list(storage.BROKER_TYPES), help_text='Only "host" is supported.')
    host_path = serializers.CharField(
        max_length=storage.MAX_HOST_PATH,
        help_text='Absolute path of the workspace on every node (stored normalized; no ".." segments).',
    )


class WorkspaceConfigurationSerializer(serializers.Serializer):
    version = serializers.CharField(required=False, help_text='Ignored (Scale configuration version).')
    broker = HostBrokerSerializer()


class WorkspaceEditSerializer(serializers.Serializer):
    """The body of PATCH /v6/workspaces/{id}/: any of these keys; explicit false and null apply."""

    title = serializers.CharField(required=False, max_length=50)
    description = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=500, help_text='null means empty.'
    )
    base_url = serializers.URLField(
        required=False, allow_null=True, max_length=200, help_text='http(s) URL files are served under.'
    )
    is_active = serializers.BooleanField(
        required=False, help_text='A JSON boolean. false stamps `deprecated`, true clears it.'
    )
    configuration = WorkspaceConfigurationSerializer(required=False)


class WorkspaceCreateSerializer(WorkspaceEditSerializer):
    """The body of POST /v6/workspaces/. Other keys are refused."""

    name = serializers.RegexField(
        storage.WORKSPACE_NAME.pattern,
        required=False,
        allow_null=True,
        max_length=50,
        help_text='Unique. When absent, derived from the title (slugified, at most 30 characters, with a '
        'random suffix on a clash).',
    )
    title = serializers.CharField(max_length=50)
    is_active = serializers.BooleanField(required=False, default=True, help_text='A JSON boolean.')
    configuration = WorkspaceConfigurationSerializer()


@extend_schema_field({'oneOf': [{'type': 'integer', 'minimum': 1}, {'type': 'string', 'maxLength': 50}]})
class WorkspaceReferenceField(serializers.Field):
    """A workspace id or name."""


class FileRegisterSerializer(serializers.Serializer):
    """The body of POST /v6/files/: registers a file that already exists in a workspace."""

    workspace = WorkspaceReferenceField(help_text='Id or name of an active workspace.')
    file_path = serializers.CharField(
        max_length=storage.MAX_FILE_PATH,
        help_text='Relative to the workspace; no absolute path, ".." segment, backslash or NUL.',
    )
    file_size = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text='Bytes. Required unless the workspace host_path is present on the server, where it '
        'defaults to (and must equal) the size on disk.',
    )
    file_name = serializers.CharField(
        required=False, max_length=storage.MAX_STRING, help_text="Default: file_path's last segment."
    )
    media_type = serializers.CharField(
        required=False, max_length=storage.MAX_STRING, help_text='Default: guessed from the extension.'
    )
    data_type_tags = serializers.ListField(
        child=serializers.CharField(max_length=storage.MAX_STRING), required=False
    )
    data_started = serializers.DateTimeField(required=False, allow_null=True)
    data_ended = serializers.DateTimeField(required=False, allow_null=True)
    source_started = serializers.DateTimeField(required=False, allow_null=True)
    source_ended = serializers.DateTimeField(required=False, allow_null=True)
    source_sensor_class = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=storage.MAX_STRING
    )
    source_sensor = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=storage.MAX_STRING
    )
    source_collection = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=storage.MAX_STRING
    )
    source_task = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=storage.MAX_STRING
    )
    meta_data = serializers.DictField(required=False, allow_null=True)
    countries = serializers.ListField(
        child=serializers.RegexField(r'^[A-Za-z]{3}$'), required=False, help_text='ISO 3166-1 alpha-3 codes.'
    )


class BodyErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text='Names every invalid field and what it accepts.')
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Path of the field in the body (configuration.broker.type) -> messages.',
    )
