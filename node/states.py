"""A node's state and free resources, derived (never stored): from its row, its agent's last
heartbeat and the resources its RUNNING executions hold."""

import datetime

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from job.choices import ExecutionStatus
from job.models import JobExecution
from node.choices import NodeState


def node_state(node, now=None, timeout=None):
    """DEPRECATED (not active), else OFFLINE (no heartbeat within SCALE_NODE_TIMEOUT), else PAUSED,
    else READY. The first that applies wins."""
    now = now or timezone.now()
    timeout = settings.SCALE_NODE_TIMEOUT if timeout is None else timeout
    if not node.is_active:
        return NodeState.DEPRECATED
    if node.last_heartbeat is None or node.last_heartbeat < now - datetime.timedelta(seconds=timeout):
        return NodeState.OFFLINE
    if node.is_paused:
        return NodeState.PAUSED
    return NodeState.READY


def running_allocations(node_ids):
    """{node id: (running executions count, {resource: allocated total})} of the given nodes. One
    query for the counts and one reading only the allocations of running executions."""
    counts = dict(
        JobExecution.objects.filter(node_id__in=node_ids, status=ExecutionStatus.RUNNING)
        .values_list('node_id')
        .annotate(count=Count('id'))
        .order_by()
    )
    allocated = {node_id: {} for node_id in counts}
    running = JobExecution.objects.filter(node_id__in=list(counts), status=ExecutionStatus.RUNNING)
    for node_id, resources in running.values_list('node_id', 'resources').iterator(chunk_size=2000):
        totals = allocated[node_id]
        for name, value in (resources or {}).items():
            totals[name] = totals.get(name, 0.0) + float(value)
    return {node_id: (counts[node_id], allocated[node_id]) for node_id in counts}


def free_resources(total, allocated):
    """The node's total resources minus what its running executions hold (never below zero)."""
    return {name: max(0.0, float(value) - allocated.get(name, 0.0)) for name, value in (total or {}).items()}
