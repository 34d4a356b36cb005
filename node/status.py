"""GET /v6/status/: the system status the Scale web UI shows in its navbar (every page, every 30 s),
on its Nodes page and on its System Status page, in the shape of Scale's status.

It is built on request from the database, not from a document the scheduler writes: the
scheduler's own part (state, warnings, metrics, host) comes from the Scheduler row it stamps after
every pass, and the answer is 503 only when that stamp is older than SCALE_SCHEDULER_STALE_SECONDS
(the scheduler is down or stuck), as Scale answered 503 when its scheduler stopped reporting.

Resources, for cpus, mem, disk, gpus (always) and the custom resources that the node registered
(the cluster: that any node registered): `total` (registered), `running` (allocated to its RUNNING executions),
`free` (the rest, on a node that takes jobs: READY, or only held back by a paused scheduler),
`unavailable` (the rest, on a node that takes none: PAUSED, OFFLINE), `offered` (always 0: there
are no resource offers here). The cluster sums every node but the deprecated ones.

Job executions per node: RUNNING now, and COMPLETED and FAILED (by error category) among those that
ended within the last STATUS_WINDOW (3 hours, as Scale counted), each with its counts by job type.

Queries: the Scheduler row, the nodes, one aggregate of the RUNNING executions (node.states), one
aggregate of the executions ended in the window (the index job_exe_ended_idx, declared on JobExecution),
the job types, the latest applied migration: six, whatever the number of nodes and jobs.
"""

import collections
import datetime

from django.conf import settings
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Count, Max
from django.utils import timezone

from job.choices import ErrorCategory, ExecutionStatus
from job.models import JobExecution, JobType
from node.choices import NodeState
from node.models import Node, Scheduler
from node.states import (
    STANDARD_RESOURCES,
    allocated_by_node,
    node_state,
    resource_amounts,
    running_by_job_type,
    state_document,
)
from scale.api.iso8601 import format_datetime

STATUS_WINDOW = datetime.timedelta(hours=3)
SCHEDULER_STOPPED = 'SCHEDULER_STOPPED'
SCHEDULER_STOPPED_STATE = {
    'name': SCHEDULER_STOPPED,
    'title': 'Scheduler Stopped',
    'description': 'Ready, but the scheduler is paused: takes no new jobs until it resumes.',
}
SCHEDULER_STATES = {
    False: {'name': 'READY', 'title': 'Ready', 'description': 'Placing queued jobs on ready nodes.'},
    True: {'name': 'PAUSED', 'title': 'Paused', 'description': 'Paused by an operator: no job is placed.'},
}
# Nodes in these states take new jobs (a paused scheduler only holds them back): what they do not
# hold is free; elsewhere it is unavailable.
TAKING_JOBS = frozenset({NodeState.READY.value, SCHEDULER_STOPPED})
CATEGORIES = {
    ErrorCategory.SYSTEM: 'system',
    ErrorCategory.ALGORITHM: 'algorithm',
    ErrorCategory.DATA: 'data',
}
JOB_TYPE_FIELDS = ('id', 'name', 'version', 'title', 'description', 'is_system', 'icon_code')


# The columns the status reads of a node: rows, not model instances (a thousand nodes cost 40 ms
# less); node.states.node_state reads the same attributes.
NodeRow = collections.namedtuple(
    'NodeRow', ('id', 'hostname', 'is_active', 'is_paused', 'resources', 'last_heartbeat', 'created')
)


class SchedulerNotReporting(Exception):
    """The scheduler has not finished a pass recently enough for the status to mean anything."""


def last_report(config):
    """When the scheduler last finished a pass (its start stamp plus its duration), or None."""
    if config.last_pass is None:
        return None
    return config.last_pass + datetime.timedelta(seconds=config.last_pass_seconds or 0.0)


def _counts(pairs):
    """{'total', 'by_job_type': [{job_type_id, count}]} from {job type id: count}."""
    if not pairs:
        return {'total': 0, 'by_job_type': []}
    return {
        'total': sum(pairs.values()),
        'by_job_type': [{'job_type_id': type_id, 'count': count} for type_id, count in sorted(pairs.items())],
    }


def finished_executions(since):
    """{node id: {status or error category key: {job type id: count}}} of the COMPLETED and FAILED
    executions that ended at or after `since`. One aggregate query (job_exe_ended_idx)."""
    rows = (
        JobExecution.objects.filter(
            status__in=(ExecutionStatus.COMPLETED, ExecutionStatus.FAILED),
            ended__gte=since,
            node_id__isnull=False,
        )
        .values_list('node_id', 'job_type_id', 'status', 'error__category')
        .annotate(count=Count('id'))
        .order_by()
    )
    finished = {}
    for node_id, type_id, status, category, count in rows:
        by_key = finished.setdefault(node_id, {})
        keys = ['completed'] if status == ExecutionStatus.COMPLETED else ['failed', CATEGORIES.get(category)]
        for key in filter(None, keys):
            by_type = by_key.setdefault(key, {})
            by_type[type_id] = by_type.get(type_id, 0) + count
    return finished


def _job_executions(running, finished):
    failed = finished.get('failed', {})
    return {
        'running': _counts(running),
        'completed': _counts(finished.get('completed', {})),
        'failed': {
            **_counts(failed),
            **{key: _counts(finished.get(key, {})) for key in CATEGORIES.values()},
        },
    }


def _resources(names, total, allocated, taking_jobs):
    resources = {}
    for name in names:
        amount, running = total.get(name, 0.0), allocated.get(name, 0.0)
        rest = max(0.0, amount - running)
        resources[name] = {
            'offered': 0.0,
            'total': amount,
            'running': running,
            'free': rest if taking_jobs else 0.0,
            'unavailable': 0.0 if taking_jobs else rest,
        }
    return resources


def _state(node, now, scheduler_paused):
    state = node_state(node, now)
    if state == NodeState.READY and scheduler_paused:
        return dict(SCHEDULER_STOPPED_STATE)
    return state_document(state)


def _node_errors(node, state, now):
    if state != NodeState.OFFLINE.value:
        return []
    heartbeat = node.last_heartbeat
    return [
        {
            'name': 'HEARTBEAT_LOST',
            'title': 'Agent not reporting',
            'description': f'No heartbeat since {format_datetime(heartbeat)}.'
            if heartbeat
            else 'Its agent has never reported.',
            'started': format_datetime(heartbeat or node.created),
            'last_updated': format_datetime(now),
        }
    ]


def _scheduler_warnings(warnings, reported):
    stamp = format_datetime(reported)
    return [
        {
            'name': warning.get('name', ''),
            'title': warning.get('title') or warning.get('name', ''),
            'description': warning.get('description', ''),
            'started': warning.get('started') or stamp,
            'last_updated': warning.get('last_updated') or stamp,
        }
        for warning in warnings or ()
        if isinstance(warning, dict)
    ]


def _dependencies(nodes, config, reported):
    active = [node for node in nodes if node['state']['name'] != NodeState.DEPRECATED]
    ready = [node for node in active if node['state']['name'] in TAKING_JOBS]
    offline = [node for node in active if node['state']['name'] == NodeState.OFFLINE]
    node_errors = [] if ready else [{'NO_READY_NODES': 'No node is ready to take jobs.'}]
    node_warnings = [{'OFFLINE_NODES': f'{len(offline)} active nodes are offline.'}] if offline else []
    return {
        'database': {'OK': True, 'detail': {'msg': 'Database alive'}, 'errors': [], 'warnings': []},
        'nodes': {
            'OK': bool(ready),
            'detail': {
                'msg': f'{len(ready)} of {len(active)} active nodes ready',
                'num_nodes': len(active),
                'num_ready_nodes': len(ready),
                'num_offline_nodes': len(offline),
            },
            'errors': node_errors,
            'warnings': node_warnings,
        },
        'scheduler': {
            'OK': True,
            'detail': {
                'msg': f'Last pass finished at {format_datetime(reported)}',
                'hostname': config.hostname,
                'is_paused': config.is_paused,
            },
            'errors': [],
            'warnings': [{'SCHEDULER_PAUSED': 'The scheduler is paused.'}] if config.is_paused else [],
        },
    }


def _system(config):
    applied = MigrationRecorder.Migration.objects.aggregate(latest=Max('applied'))['latest']
    return {
        'database_update': {'is_completed': True, 'completed': format_datetime(applied) if applied else None},
        'services': [
            {
                'name': 'scheduler',
                'title': 'Scheduler',
                'description': 'manage.py run_scheduler: places queued jobs on nodes (one works, others stand by).',
                'actual_count': 1,
                'desired_count': 1,
            },
            {
                'name': 'task-worker',
                'title': 'Task Workers',
                'description': 'manage.py db_worker processes running bulk cancel and requeue; the desired '
                'count is the scheduler setting num_message_handlers (running workers are not counted).',
                'actual_count': None,
                'desired_count': config.num_message_handlers,
            },
        ],
    }


def system_status(now=None):
    """The /v6/status/ document (see the module docstring). Raises SchedulerNotReporting (with the
    reason) when the scheduler never finished a pass or not within SCALE_SCHEDULER_STALE_SECONDS."""
    now = now or timezone.now()
    config = Scheduler.load()
    reported = last_report(config)
    if reported is None:
        raise SchedulerNotReporting('Status is missing. Scheduler may be down.')
    stale = settings.SCALE_SCHEDULER_STALE_SECONDS
    if (now - reported).total_seconds() > stale:
        raise SchedulerNotReporting(
            f'Status is over {stale:g} seconds old: the scheduler last reported at {format_datetime(reported)}.'
        )
    nodes = [NodeRow(*row) for row in Node.objects.order_by('hostname', 'id').values_list(*NodeRow._fields)]
    totals = {node.id: resource_amounts(node.resources) for node in nodes}
    custom = {name for total in totals.values() for name in total} - set(STANDARD_RESOURCES)
    names = [*STANDARD_RESOURCES, *sorted(custom)]
    rows = running_by_job_type(None, names)
    running = {}
    for node_id, type_id, count, _ in rows:
        running.setdefault(node_id, {})[type_id] = count
    allocated = allocated_by_node(rows)
    finished = finished_executions(now - STATUS_WINDOW)
    cluster = {
        name: dict.fromkeys(('offered', 'total', 'running', 'free', 'unavailable'), 0.0) for name in names
    }
    entries = []
    for node in nodes:
        state = _state(node, now, config.is_paused)
        # The standard resources always (the UI reads them), others where the node has them.
        own = [*STANDARD_RESOURCES, *(name for name in totals[node.id] if name not in STANDARD_RESOURCES)]
        resources = _resources(own, totals[node.id], allocated.get(node.id, {}), state['name'] in TAKING_JOBS)
        if state['name'] != NodeState.DEPRECATED:
            for name, amounts in resources.items():
                for key, value in amounts.items():
                    cluster[name][key] += value
        entries.append(
            {
                'id': node.id,
                'hostname': node.hostname,
                'agent_id': node.hostname,
                'is_active': node.is_active,
                'state': state,
                'errors': _node_errors(node, state['name'], now),
                'warnings': [],
                'node_tasks': [],
                'system_tasks': [],
                'num_offers': 0,
                'last_heartbeat': format_datetime(node.last_heartbeat) if node.last_heartbeat else None,
                'resources': resources,
                'job_executions': _job_executions(running.get(node.id, {}), finished.get(node.id, {})),
            }
        )
    return {
        'timestamp': format_datetime(now),
        'scheduler': {
            'hostname': config.hostname,
            'state': dict(SCHEDULER_STATES[config.is_paused]),
            'warnings': _scheduler_warnings(config.warnings, reported),
            'metrics': {
                'last_pass': format_datetime(config.last_pass),
                'last_pass_seconds': config.last_pass_seconds,
                'passes_total': config.passes_total,
                'placements_total': config.placements_total,
            },
            # The settings of GET /v6/scheduler/: the UI's navbar sends back what it reads here.
            'is_paused': config.is_paused,
            'queue_mode': config.queue_mode,
            'num_message_handlers': config.num_message_handlers,
            'system_logging_level': config.system_logging_level,
        },
        'dependencies': _dependencies(entries, config, reported),
        'system': _system(config),
        'num_offers': 0,
        'resources': cluster,
        'job_types': list(JobType.objects.order_by('name', 'version', 'id').values(*JOB_TYPE_FIELDS)),
        'nodes': entries,
    }
