"""Shapes of the job types API (shared/reference/scale-supporting-apis.md section 1.3) and of its
request bodies. Request fields are strict: a boolean is a JSON boolean, an integer a JSON integer,
a string a JSON string; unknown keys are refused."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from job.configuration import public_configuration
from job.documents import text_problem
from job.models import JobType, JobTypeRevision
from job.serializers.base import JobTypeBaseSerializer
from scale.api.serializers import ModelSerializer

MAX_INTEGER = 2**31 - 1


class StrictBooleanField(serializers.BooleanField):
    """true or false only (not "true", 1 or "yes")."""

    default_error_messages = {'invalid': 'Must be a JSON boolean (true or false).'}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail('invalid')
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (not "5", 5.0 or true) within min_value..max_value."""

    default_error_messages = {'invalid': 'Must be a JSON integer.'}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail('invalid')
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A JSON string (numbers are not turned into strings)."""

    default_error_messages = {
        'invalid': 'Must be a JSON string.',
        'text': 'Must be Unicode text ({problem}).',
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail('invalid')
        problem = text_problem(data)
        if problem:
            self.fail('text', problem=problem)
        return super().to_internal_value(data)


@extend_schema_field({'type': 'object', 'additionalProperties': True})
class ObjectField(serializers.JSONField):
    """A JSON object (validated further by the service)."""

    default_error_messages = {'invalid': 'Must be a JSON object.'}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail('invalid')
        return data


class StrictSerializer(serializers.Serializer):
    """Refuses unknown keys, naming each, together with the other field errors."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            valid = ', '.join(self.fields)
            unknown = {
                key: [f'is not a valid field; valid fields are: {valid}']
                for key in data
                if key not in self.fields
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **unknown}) from None
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


def _icon_code():
    return StrictCharField(max_length=20, allow_null=True, allow_blank=True, required=False)


def _max_scheduled():
    return StrictIntegerField(min_value=1, max_value=MAX_INTEGER, allow_null=True, required=False)


class JobTypeCreateSerializer(StrictSerializer):
    """POST /v6/job-types/. is_active, is_paused and auto_update are accepted as Scale accepted
    them (auto_update has no effect here)."""

    docker_image = StrictCharField(max_length=500, help_text='The Seed image to run.')
    manifest = ObjectField(help_text='The Seed manifest (seedVersion 1.0.0).')
    configuration = ObjectField(required=False, allow_null=True, help_text='The v6 job configuration.')
    icon_code = _icon_code()
    is_published = StrictBooleanField(required=False)
    max_scheduled = _max_scheduled()
    is_active = StrictBooleanField(required=False)
    is_paused = StrictBooleanField(required=False)
    auto_update = StrictBooleanField(required=False, help_text='Accepted for Scale clients; no effect.')


class JobTypeEditSerializer(StrictSerializer):
    """PATCH /v6/job-types/{name}/{version}/: explicit false and null values apply."""

    is_active = StrictBooleanField(required=False)
    is_paused = StrictBooleanField(required=False)
    is_published = StrictBooleanField(required=False)
    max_scheduled = _max_scheduled()
    icon_code = _icon_code()
    docker_image = StrictCharField(max_length=500, required=False)
    manifest = ObjectField(required=False)
    configuration = ObjectField(required=False, allow_null=True)
    auto_update = StrictBooleanField(required=False, help_text='Accepted for Scale clients; no effect.')


class JobTypeValidationSerializer(StrictSerializer):
    """POST /v6/job-types/validation/: `manifest` and `configuration` are checked; the other fields
    of a create body may be sent too (a dry run of the create), and are only type-checked."""

    manifest = serializers.JSONField(help_text='The Seed manifest to check.')
    configuration = serializers.JSONField(required=False, allow_null=True, help_text='The v6 configuration.')
    docker_image = StrictCharField(max_length=500, required=False)
    icon_code = _icon_code()
    is_published = StrictBooleanField(required=False)
    max_scheduled = _max_scheduled()
    is_active = StrictBooleanField(required=False)
    is_paused = StrictBooleanField(required=False)
    auto_update = StrictBooleanField(required=False)


class NamedMessageSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()


class ValidationResultSerializer(serializers.Serializer):
    """`{is_valid, errors, warnings}`: the answer of a validation, of a PATCH and of a re-post."""

    is_valid = serializers.BooleanField()
    errors = NamedMessageSerializer(many=True)
    warnings = NamedMessageSerializer(many=True)


LIST_FIELDS = [
    *JobTypeBaseSerializer.Meta.fields,
    'max_scheduled',
    'max_tries',
    'revision_num',
    'docker_image',
    'created',
    'deprecated',
    'paused',
    'last_modified',
]


class JobTypeSerializer(ModelSerializer):
    """An item of GET /v6/job-types/ and /v6/job-types/{name}/."""

    class Meta:
        model = JobType
        fields = LIST_FIELDS
        read_only_fields = fields


@extend_schema_field(
    {
        'type': 'object',
        'properties': {
            'mounts': {'type': 'object'},
            'output_workspaces': {
                'type': 'object',
                'properties': {'default': {'type': 'string'}, 'outputs': {'type': 'object'}},
            },
            'priority': {'type': 'integer'},
            'settings': {'type': 'object', 'additionalProperties': {'type': 'string'}},
        },
        'required': ['mounts', 'output_workspaces', 'priority', 'settings'],
    }
)
class JobTypeConfigurationField(serializers.Field):
    """The job type's configuration without any secret setting."""

    def __init__(self, **kwargs):
        kwargs['read_only'] = True
        kwargs['source'] = '*'
        super().__init__(**kwargs)

    def to_representation(self, job_type):
        return public_configuration(job_type.configuration, None, job_type.manifest)


@extend_schema_field({'type': 'array', 'items': {'type': 'object'}})
class EmptyListField(serializers.Field):
    """Always []: recipe types that contain the job type are not tracked here."""

    def __init__(self, **kwargs):
        kwargs['read_only'] = True
        kwargs['source'] = '*'
        super().__init__(**kwargs)

    def to_representation(self, value):
        return []


class JobTypeDetailSerializer(JobTypeSerializer):
    """GET /v6/job-types/{name}/{version}/ and the 201 body of a create."""

    manifest = serializers.JSONField(read_only=True)
    configuration = JobTypeConfigurationField()
    recipe_types = EmptyListField()

    class Meta(JobTypeSerializer.Meta):
        fields = [*LIST_FIELDS, 'manifest', 'configuration', 'recipe_types']
        read_only_fields = fields


class JobTypeNameSerializer(ModelSerializer):
    """An item of GET /v6/job-type-names/: the latest version's fields, with every version."""

    versions = serializers.ListField(child=serializers.CharField(), read_only=True)
    latest_version = serializers.CharField(read_only=True)

    class Meta:
        model = JobType
        fields = [
            'name',
            'title',
            'description',
            'is_active',
            'is_system',
            'is_paused',
            'is_published',
            'icon_code',
            'unmet_resources',
            'versions',
            'latest_version',
        ]
        read_only_fields = fields


class JobTypeRevisionItemSerializer(ModelSerializer):
    """An item of GET /v6/job-types/{name}/{version}/revisions/."""

    job_type = JobTypeBaseSerializer(read_only=True)

    class Meta:
        model = JobTypeRevision
        fields = ['id', 'job_type', 'revision_num', 'docker_image', 'created']
        read_only_fields = fields


class JobTypeRevisionWithManifestSerializer(JobTypeRevisionItemSerializer):
    """GET /v6/job-types/{name}/{version}/revisions/{revision_num}/: adds the revision's manifest."""

    manifest = serializers.JSONField(read_only=True)

    class Meta(JobTypeRevisionItemSerializer.Meta):
        fields = [*JobTypeRevisionItemSerializer.Meta.fields, 'manifest']
        read_only_fields = fields
