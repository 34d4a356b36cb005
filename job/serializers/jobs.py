"""Response shapes of the v6 jobs API (shared/reference/scale-v6-behaviour.md section 6).

Serializers only shape data: the views load every related row they read in a constant number of
queries (select_related / prefetch_related), and nothing here queries the database.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from batch.serializers import BatchBaseSerializer
from job.configuration import public_configuration
from job.models import Job, JobExecution, JobTypeRevision
from job.resources import STANDARD_RESOURCES, job_resources
from job.serializers.base import (
    DataField,
    ErrorBaseSerializer,
    JobTypeBaseSerializer,
    TriggerEventBaseSerializer,
)
from job.services.queue import queue_reason
from node.serializers import NodeBaseSerializer
from recipe.serializers import RecipeBaseSerializer
from scale.api.serializers import IdObjectField, ModelSerializer

RESOURCES_SCHEMA = {
    'type': 'object',
    'properties': {
        'resources': {
            'type': 'object',
            'properties': {name: {'type': 'number'} for name in STANDARD_RESOURCES},
            'required': list(STANDARD_RESOURCES),
            'additionalProperties': {'type': 'number'},
        }
    },
    'required': ['resources'],
}


def _resources_body(resources):
    values = dict.fromkeys(STANDARD_RESOURCES, 0.0)
    values.update({name: float(value) for name, value in (resources or {}).items()})
    return {'resources': values}


@extend_schema_field(
    {
        'type': 'object',
        'additionalProperties': {'type': 'array', 'items': {'type': 'string'}},
        'description': 'Input name -> names of the files given to it.',
    }
)
class InputFilesField(serializers.Field):
    """`{input name: [file name, ...]}` from the job's prefetched input-file links."""

    def __init__(self, **kwargs):
        kwargs['read_only'] = True
        kwargs.setdefault('source', 'input_file_links')
        super().__init__(**kwargs)

    def to_representation(self, links):
        names = {}
        for link in links.all():
            names.setdefault(link.job_input, []).append(link.input_file.file_name)
        return names


@extend_schema_field(RESOURCES_SCHEMA)
class JobResourcesField(serializers.Field):
    """The job's requirement, as fixed when it was queued, else computed from its revision's manifest."""

    def __init__(self, **kwargs):
        kwargs['read_only'] = True
        kwargs['source'] = '*'
        super().__init__(**kwargs)

    def to_representation(self, job):
        resources = job.resources
        if resources is None:
            resources = job_resources(job.job_type_rev.manifest, job.input_file_size)
        return _resources_body(resources)


@extend_schema_field(RESOURCES_SCHEMA)
class ExecutionResourcesField(serializers.Field):
    def __init__(self, **kwargs):
        kwargs['read_only'] = True
        super().__init__(**kwargs)

    def to_representation(self, resources):
        return _resources_body(resources)


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
            'settings': {'type': 'object'},
        },
        'required': ['mounts', 'output_workspaces', 'priority', 'settings'],
    }
)
class JobConfigurationField(serializers.Field):
    """The job's effective configuration (its override over its job type's), secret settings removed."""

    def __init__(self, **kwargs):
        kwargs['read_only'] = True
        kwargs['source'] = '*'
        super().__init__(**kwargs)

    def to_representation(self, job):
        return public_configuration(
            job.job_type.configuration, job.configuration, job.job_type_rev.manifest, priority=job.priority
        )


class JobTypeRevisionBaseSerializer(ModelSerializer):
    job_type = IdObjectField(source='job_type_id')

    class Meta:
        model = JobTypeRevision
        fields = ['id', 'job_type', 'revision_num']


class JobTypeRevisionDetailSerializer(ModelSerializer):
    job_type = JobTypeBaseSerializer(read_only=True)

    class Meta:
        model = JobTypeRevision
        fields = ['id', 'job_type', 'revision_num', 'docker_image', 'created', 'manifest']


class JobBaseSerializer(ModelSerializer):
    job_type = JobTypeBaseSerializer(read_only=True)

    class Meta:
        model = Job
        fields = ['id', 'job_type', 'status']


class JobSerializer(ModelSerializer):
    """An item of GET /v6/jobs/."""

    job_type = JobTypeBaseSerializer(read_only=True)
    job_type_rev = JobTypeRevisionBaseSerializer(read_only=True)
    event = TriggerEventBaseSerializer(read_only=True)
    recipe = RecipeBaseSerializer(read_only=True, allow_null=True)
    batch = BatchBaseSerializer(read_only=True, allow_null=True)
    superseded_job = IdObjectField(source='superseded_job_id', allow_null=True)
    node = NodeBaseSerializer(read_only=True, allow_null=True)
    error = ErrorBaseSerializer(read_only=True, allow_null=True)
    input_files = InputFilesField()

    class Meta:
        model = Job
        fields = [
            'id',
            'job_type',
            'job_type_rev',
            'event',
            'recipe',
            'batch',
            'is_superseded',
            'superseded_job',
            'status',
            'node',
            'error',
            'max_tries',
            'num_exes',
            'input_file_size',
            'input_files',
            'source_started',
            'source_ended',
            'source_sensor_class',
            'source_sensor',
            'source_collection',
            'source_task',
            'created',
            'queued',
            'started',
            'ended',
            'last_status_change',
            'superseded',
            'last_modified',
        ]
        read_only_fields = fields


class JobExecutionSerializer(ModelSerializer):
    """An item of GET /v6/jobs/{id}/executions/ and /v6/job-executions/."""

    job = IdObjectField(source='job_id')
    node = NodeBaseSerializer(read_only=True, allow_null=True)
    error = ErrorBaseSerializer(read_only=True, allow_null=True)
    job_type = JobTypeBaseSerializer(read_only=True)

    class Meta:
        model = JobExecution
        fields = [
            'id',
            'status',
            'exe_num',
            'cluster_id',
            'created',
            'queued',
            'started',
            'ended',
            'job',
            'node',
            'error',
            'job_type',
            'timeout',
            'input_file_size',
        ]
        read_only_fields = fields


class JobExecutionDetailSerializer(JobExecutionSerializer):
    resources = ExecutionResourcesField()

    class Meta(JobExecutionSerializer.Meta):
        fields = [*JobExecutionSerializer.Meta.fields, 'task_results', 'resources', 'configuration', 'output']
        read_only_fields = fields


class JobDetailSerializer(JobSerializer):
    """GET /v6/jobs/{id}/: the list fields plus the revision's manifest, superseding links,
    resources, the latest execution (`latest_execution`, set by the view), input, output and
    configuration."""

    job_type_rev = JobTypeRevisionDetailSerializer(read_only=True)
    superseded_job = JobBaseSerializer(read_only=True, allow_null=True)
    superseded_by_job = JobBaseSerializer(read_only=True, allow_null=True)
    resources = JobResourcesField()
    execution = JobExecutionDetailSerializer(source='latest_execution', read_only=True, allow_null=True)
    input = DataField()
    output = DataField()
    configuration = JobConfigurationField()
    queue_reason = serializers.SerializerMethodField(
        help_text='For a QUEUED job, why it is not running yet (written by the scheduler); otherwise null.'
    )

    class Meta(JobSerializer.Meta):
        fields = [
            'id',
            'job_type',
            'job_type_rev',
            'event',
            'recipe',
            'batch',
            'is_superseded',
            'superseded_job',
            'superseded_by_job',
            'status',
            'node',
            'resources',
            'error',
            'max_tries',
            'num_exes',
            'execution',
            'input',
            'input_file_size',
            'input_files',
            'output',
            'source_started',
            'source_ended',
            'source_sensor_class',
            'source_sensor',
            'source_collection',
            'source_task',
            'created',
            'queued',
            'started',
            'ended',
            'last_status_change',
            'superseded',
            'last_modified',
            'configuration',
            'queue_reason',
        ]
        read_only_fields = fields

    def get_queue_reason(self, job) -> str | None:
        return queue_reason(job)


class QueueJobSerializer(serializers.Serializer):
    """The body of POST /v6/jobs/ (documentation; job.services.queue validates it)."""

    job_type_id = serializers.IntegerField(min_value=1, help_text='The job type to run.')
    input = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='v6 data JSON: {"files": {input name: [file ids]}, "json": {input name: value}}.',
    )
    configuration = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='Override of the job type configuration: {"priority", "output_workspaces", "settings", "mounts"}.',
    )
