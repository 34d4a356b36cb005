from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from node.choices import NODE_STATE_DESCRIPTIONS, NodeState
from node.models import Node
from node.states import free_resources, node_state
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
        return {'name': state.value, 'title': state.label, 'description': NODE_STATE_DESCRIPTIONS[state]}


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
