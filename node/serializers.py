from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from node.choices import NodeState
from node.models import LoggingLevel, Node, QueueMode, Scheduler
from node.services import MAX_MESSAGE_HANDLERS
from node.states import free_resources, node_state, state_document
from scale.api.serializers import ModelSerializer

RESOURCE_MAP = {'type': 'object', 'additionalProperties': {'type': 'number'}}


class NodeBaseSerializer(ModelSerializer):
    class Meta:
        model = Node
        fields = ['id', 'hostname']


@extend_schema_field(
    {
        'type': 'object',
        'properties': {
            'name': {'type': 'string', 'enum': list(NodeState.values)},
            'title': {'type': 'string'},
            'description': {'type': 'string'},
        },
        'required': ['name', 'title', 'description'],
    }
)
class NodeStateField(serializers.Field):
    def __init__(self, **kwargs):
        kwargs.update(read_only=True, source='*')
        super().__init__(**kwargs)

    def to_representation(self, node):
        state = node_state(node, now=self.context.get('now'))
        return state_document(state)


class NodeSerializer(ModelSerializer):
    """A node: Scale's fields plus its total and free resources, state, heartbeat and running
    executions. The view puts the running allocations of the nodes it serves in the context
    (`running`: {node id: (count, {resource: allocated})})."""

    state = NodeStateField()
    free_resources = serializers.SerializerMethodField()
    running_executions = serializers.SerializerMethodField()
    resources = serializers.JSONField(read_only=True)

    class Meta:
        model = Node
        fields = [
            'id',
            'hostname',
            'pause_reason',
            'is_paused',
            'is_active',
            'deprecated',
            'created',
            'last_modified',
            'state',
            'last_heartbeat',
            'resources',
            'free_resources',
            'running_executions',
        ]
        read_only_fields = fields

    def _running(self, node):
        return self.context.get('running', {}).get(node.id, (0, {}))

    @extend_schema_field(RESOURCE_MAP)
    def get_free_resources(self, node):
        return free_resources(node.resources, self._running(node)[1])

    @extend_schema_field(serializers.IntegerField())
    def get_running_executions(self, node):
        return self._running(node)[0]


class NodeEditSerializer(serializers.Serializer):
    """The body of PATCH /v6/nodes/{id}/ (documentation; node.services.edit_node validates it)."""

    is_paused = serializers.BooleanField(required=False)
    pause_reason = serializers.CharField(required=False, allow_null=True, max_length=250)
    is_active = serializers.BooleanField(required=False)


class SchedulerSerializer(ModelSerializer):
    """GET /v6/scheduler/: the scheduler settings (node.models.Scheduler explains each)."""

    class Meta:
        model = Scheduler
        fields = ['is_paused', 'queue_mode', 'num_message_handlers', 'system_logging_level']
        read_only_fields = fields


class SchedulerEditSerializer(serializers.Serializer):
    """The body of PATCH /v6/scheduler/ (documentation; node.services.edit_scheduler validates it)."""

    is_paused = serializers.BooleanField(required=False)
    queue_mode = serializers.ChoiceField(choices=QueueMode.choices, required=False)
    num_message_handlers = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_MESSAGE_HANDLERS
    )
    system_logging_level = serializers.ChoiceField(choices=LoggingLevel.choices, required=False)


class VersionSerializer(serializers.Serializer):
    version = serializers.CharField(help_text='The version of this service (its Python package).')


class LoadPointSerializer(serializers.Serializer):
    """A point of GET /v6/load/ (node.load.load_points builds them)."""

    time = serializers.DateTimeField(help_text='Start of the bucket (UTC).')
    pending_count = serializers.IntegerField(help_text='PENDING and BLOCKED jobs (mean over the bucket).')
    queued_count = serializers.IntegerField(help_text='QUEUED jobs (mean over the bucket).')
    running_count = serializers.IntegerField(help_text='RUNNING jobs (mean over the bucket).')

    def to_representation(self, instance):
        return instance
