from django.db import models


class NodeState(models.TextChoices):
    """What a node can do now, derived from its row and its agent's heartbeat (node.states)."""

    READY = 'READY', 'Ready'
    PAUSED = 'PAUSED', 'Paused'
    OFFLINE = 'OFFLINE', 'Offline'
    DEPRECATED = 'DEPRECATED', 'Deprecated'


NODE_STATE_DESCRIPTIONS = {
    NodeState.READY: 'Running jobs and taking new ones.',
    NodeState.PAUSED: 'Finishing its running jobs; takes no new ones.',
    NodeState.OFFLINE: 'Its agent has not reported recently; its running jobs fail with node-lost.',
    NodeState.DEPRECATED: 'Retired by an operator; takes no jobs.',
}
