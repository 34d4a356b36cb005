"""A node's state and free resources, derived (never stored): from its row, its agent's last
heartbeat and the resources its RUNNING executions hold."""

import datetime
import math

from django.conf import settings
from django.db.models import Count, FloatField, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from job.choices import ExecutionStatus
from job.models import JobExecution
from node.choices import NODE_STATE_DESCRIPTIONS, NodeState

# Always reported (0 when a node has none), in this order before any custom resource.
STANDARD_RESOURCES = ('cpus', 'mem', 'disk', 'gpus')


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


def resource_amounts(resources):
    """A resources JSON value as {name: float}, dropping what is not a finite number."""
    amounts = {}
    for name, value in resources.items() if isinstance(resources, dict) else ():
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            amounts[str(name)] = float(value)
    return amounts


def state_document(state):
    """A NodeState as the API shows it: {name, title, description}."""
    return {'name': state.value, 'title': state.label, 'description': NODE_STATE_DESCRIPTIONS[state]}


def running_by_job_type(node_ids=None, names=STANDARD_RESOURCES):
    """[(node id, job type id, RUNNING executions, {name: allocated total})] for the nodes `node_ids`
    (None: every node), the allocations summed per resource of `names`. One aggregate query over the
    RUNNING executions (the partial index job_exe_running_node_idx finds them)."""
    names = list(dict.fromkeys(names))
    sums = {
        f'r{i}': Sum(Cast(KeyTextTransform(name, 'resources'), FloatField())) for i, name in enumerate(names)
    }
    running = JobExecution.objects.filter(status=ExecutionStatus.RUNNING, node_id__isnull=False)
    if node_ids is not None:
        running = running.filter(node_id__in=list(node_ids))
    rows = running.values('node_id', 'job_type_id').annotate(count=Count('id'), **sums).order_by()
    return [
        (
            row['node_id'],
            row['job_type_id'],
            row['count'],
            {name: row[f'r{i}'] or 0.0 for i, name in enumerate(names)},
        )
        for row in rows
    ]


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


def allocated_by_node(rows):
    """{node id: {name: allocated total}} from running_by_job_type() rows, summed over job types."""
    allocated = {}
    for node_id, _, _, amounts in rows:
        totals = allocated.setdefault(node_id, dict.fromkeys(amounts, 0.0))
        for name, value in amounts.items():
            totals[name] += value
    return allocated


def free_resources(total, allocated):
    """The node's total resources minus what its running executions hold (never below zero)."""
    return {
        name: max(0.0, value - allocated.get(name, 0.0)) for name, value in resource_amounts(total).items()
    }
