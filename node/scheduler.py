"""The scheduler pass: the thin layer between the database and the matching in node.scheduling.

One pass (run_pass) = fail the executions of lost nodes, snapshot nodes, job types and a bounded
window of the queue, plan, persist the placements through job.services.executions.place_jobs, write
what changed of the queue reasons and the job types' unmet_resources, record the minute's job load
(node.load, once a minute), and stamp the Scheduler row (its heartbeat for /v6/status/ and its
warnings). While the Scheduler row is paused a pass places nothing and marks the queue's head
'scheduler paused', but still fails lost nodes' executions, records the load and stamps the row.
On PostgreSQL the whole pass holds a session advisory lock, so of several schedulers one works and the
others are hot standbys; every snapshot is taken after the previous pass committed, so two passes
never plan against the same free resources. SQLite serializes writers, and runs one scheduler.
"""

import contextlib
import dataclasses
import datetime
import json
import logging
import socket
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, FloatField, Func, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from job.choices import ExecutionStatus, JobStatus
from job.models import Job, JobExecution, JobType
from job.services.counts import compact_job_counts
from job.services.executions import Placement, fail_lost_executions, place_jobs
from job.services.metrics import compute_job_type_metrics
from node import scheduling
from node.load import record_load
from node.models import LoggingLevel, Node, QueueMode, Scheduler
from node.states import allocated_by_node, resource_amounts, running_by_job_type
from scale.api.iso8601 import format_datetime

logger = logging.getLogger('node.scheduler')

# Key of the PostgreSQL advisory lock that a scheduler pass holds: any fixed 64-bit number that no other
# part of the service locks; every scheduler process must use the same one.
LOCK_KEY = 0x5CA1E5C4ED
REASON_BATCH = 1000
# Job types with unmet_resources are left out of the window (their jobs would fill it and never run),
# except on recheck passes: every RECHECK_EVERY-th pass, and the pass after a node registers. Those
# passes also write the reason of the head jobs (BLOCKED_HEADS per type, for up to BLOCKED_TYPES job
# types) of the paused job types and those at max_scheduled, which the window never holds.
RECHECK_EVERY = 10
# Every so many passes the job_count rows that writers appended are folded (job.services.counts).
COMPACT_COUNTS_EVERY = 10
BLOCKED_HEADS = 100
BLOCKED_TYPES = 50
WARNING_TITLES = {
    'NODES_LOST': 'Nodes lost',
    'NO_READY_NODES': 'No ready nodes',
    'UNMET_RESOURCES': 'Unmet resources',
    'SCHEDULER_PAUSED': 'Scheduler paused',
}


@dataclasses.dataclass
class PassResult:
    """What one pass did. `standby`: another scheduler holds the lock, nothing was done."""

    standby: bool = False
    paused: bool = False
    window: int = 0
    placed: int = 0
    lost_executions: int = 0
    reasons_written: int = 0
    unmet_written: int = 0
    load_recorded: bool = False
    metrics_rows: int | None = None
    seconds: float = 0.0
    warnings: list = dataclasses.field(default_factory=list)


@contextlib.contextmanager
def pass_lock():
    """Yields whether this process may run a pass: on PostgreSQL, whether it got the session advisory
    lock LOCK_KEY (released on exit); elsewhere always True."""
    if connection.vendor != 'postgresql':
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute('SELECT pg_try_advisory_lock(%s)', [LOCK_KEY])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute('SELECT pg_advisory_unlock(%s)', [LOCK_KEY])
            except Exception:
                # A broken session cannot unlock; closing it releases its session locks.
                connection.close()


def fail_lost_nodes(now):
    """Fails, with node-lost, the RUNNING executions of the nodes whose agent has not heartbeaten
    within SCALE_NODE_TIMEOUT (or never did). Returns (executions failed, hostnames of those nodes)."""
    cutoff = now - datetime.timedelta(seconds=settings.SCALE_NODE_TIMEOUT)
    lost = dict(
        Node.objects.filter(Q(last_heartbeat__lt=cutoff) | Q(last_heartbeat__isnull=True))
        .filter(Exists(JobExecution.objects.filter(node_id=OuterRef('pk'), status=ExecutionStatus.RUNNING)))
        .values_list('id', 'hostname')
    )
    if not lost:
        return 0, []
    return fail_lost_executions(list(lost), now=now), sorted(lost.values())


def _node_state(is_paused, last_heartbeat, cutoff):
    # The precedence of node.states.node_state (the nodes API) for an active node, on values.
    if last_heartbeat is None or last_heartbeat < cutoff:
        return scheduling.OFFLINE
    if is_paused:
        return scheduling.PAUSED
    return scheduling.READY


def load_nodes(now):
    """Snapshots of the active nodes: state and free resources (total minus the allocations of their
    RUNNING executions, summed per resource in one aggregate query: node.states.running_by_job_type)."""
    cutoff = now - datetime.timedelta(seconds=settings.SCALE_NODE_TIMEOUT)
    rows = list(
        Node.objects.filter(is_active=True)
        .order_by('id')
        .values_list('id', 'hostname', 'resources', 'is_paused', 'last_heartbeat')
    )
    totals = {row[0]: resource_amounts(row[2]) for row in rows}
    names = sorted({name for total in totals.values() for name in total})
    allocated = allocated_by_node(running_by_job_type(None, names)) if names and rows else {}
    snapshots = []
    for node_id, hostname, _, is_paused, last_heartbeat in rows:
        total = totals[node_id]
        used = allocated.get(node_id, {})
        free = {name: value - used.get(name, 0.0) for name, value in total.items()}
        state = _node_state(is_paused, last_heartbeat, cutoff)
        snapshots.append(scheduling.NodeSnapshot(node_id, hostname, total, free, state))
    return snapshots


def load_job_types():
    """({id: JobTypeSnapshot} of every job type, {id: unmet_resources as stored}). Running counts are
    read only for the job types with a max_scheduled."""
    rows = list(JobType.objects.values_list('id', 'is_paused', 'max_scheduled', 'unmet_resources'))
    limited = [row[0] for row in rows if row[2] is not None]
    running = {}
    if limited:
        running = dict(
            JobExecution.objects.filter(status=ExecutionStatus.RUNNING, job_type_id__in=limited)
            .values_list('job_type_id')
            .annotate(count=Count('id'))
            .order_by()
        )
    types = {
        type_id: scheduling.JobTypeSnapshot(type_id, is_paused, max_scheduled, running.get(type_id, 0))
        for type_id, is_paused, max_scheduled, _ in rows
    }
    return types, {row[0]: row[3] for row in rows}


class _Epoch(Func):
    """Seconds since the Unix epoch of a datetime column, as a float: the window orders by it in
    Python without parsing thousands of timestamps (which costs more than the query)."""

    template = 'EXTRACT(EPOCH FROM %(expressions)s)::float8'
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template='(julianday(%(expressions)s) - 2440587.5) * 86400.0'
        )


QUEUE_COLUMNS = ('id', 'num_exes', 'job_type_id', 'priority', 'queued_at', 'resources_text', 'queue_reason')


def _queue(queue_mode):
    order = '-queued' if queue_mode == QueueMode.LIFO else 'queued'
    return (
        Job.objects.filter(status=JobStatus.QUEUED)
        .order_by('priority', order, 'id')
        .annotate(queued_at=_Epoch('queued'), resources_text=Cast('resources', TextField()))
    )


def blocked_types(types):
    """{job type id: reason} of the job types that cannot place anything now (paused, at
    max_scheduled); the window leaves them out."""
    blocked = {type_id: scheduling.blocked_reason(job_type) for type_id, job_type in types.items()}
    return {type_id: reason for type_id, reason in blocked.items() if reason}


def _queued_jobs(rows):
    # Most jobs of a job type share one requirement: each distinct JSON text is parsed once.
    parsed = {}
    jobs = []
    for job_id, num_exes, type_id, priority, queued_at, text, _ in rows:
        resources = parsed.get(text)
        if resources is None:
            resources = parsed[text] = resource_amounts(json.loads(text) if text else None)
        jobs.append(scheduling.QueuedJob(job_id, num_exes, type_id, priority, queued_at, resources))
    return jobs


def load_window(queue_mode, skipped, limit):
    """The queue window: at most `limit` QUEUED jobs in queue order (served by the partial index
    job_queue_idx), leaving out the job types `skipped` so that jobs that cannot be placed do not fill
    it. Returns ([QueuedJob], {job id: stored queue_reason})."""
    rows = list(_queue(queue_mode).exclude(job_type_id__in=skipped).values_list(*QUEUE_COLUMNS)[:limit])
    return _queued_jobs(rows), {row[0]: row[6] for row in rows}


def blocked_heads(queue_mode, blocked):
    """({job id: reason}, {job id: stored reason}) of the first BLOCKED_HEADS queued jobs of each
    blocked job type (at most BLOCKED_TYPES of them): one query per job type."""
    reasons, stored = {}, {}
    for type_id, reason in sorted(blocked.items())[:BLOCKED_TYPES]:
        heads = (
            _queue(queue_mode).filter(job_type_id=type_id).values_list('id', 'queue_reason')[:BLOCKED_HEADS]
        )
        for job_id, current in heads:
            reasons[job_id], stored[job_id] = reason, current
    return reasons, stored


def write_reasons(reasons, stored):
    """Writes the queue reasons that differ from the stored ones, one UPDATE per distinct reason and
    batch of ids, only on jobs still QUEUED (last_modified untouched: a reason is not a change of the
    job). Returns the number of jobs written."""
    by_reason = {}
    for job_id, reason in reasons.items():
        if stored.get(job_id) != reason:
            by_reason.setdefault(reason, []).append(job_id)
    written = 0
    for reason, ids in by_reason.items():
        for start in range(0, len(ids), REASON_BATCH):
            batch = ids[start : start + REASON_BATCH]
            written += Job.objects.filter(id__in=batch, status=JobStatus.QUEUED).update(queue_reason=reason)
    return written


def write_unmet(unmet, stored):
    """Writes each job type's unmet_resources where it changed. Returns the number written."""
    written = 0
    for type_id, value in unmet.items():
        if stored.get(type_id) != value:
            written += JobType.objects.filter(id=type_id).update(unmet_resources=value)
    return written


def _warnings(result, lost_hosts, nodes, unmet):
    """[{name, description}] of the conditions an operator should know about after this pass."""
    warnings = []
    if lost_hosts:
        warnings.append(
            {
                'name': 'NODES_LOST',
                'description': f'{result.lost_executions} executions failed with node-lost on '
                + ', '.join(lost_hosts[:10])
                + (' ...' if len(lost_hosts) > 10 else ''),
            }
        )
    if nodes is not None and not any(node.state == scheduling.READY for node in nodes):
        warnings.append({'name': 'NO_READY_NODES', 'description': 'No node is ready to take jobs.'})
    unmet = sorted(type_id for type_id, value in unmet.items() if value)
    if unmet:
        shown = ', '.join(str(type_id) for type_id in unmet[:10]) + (' ...' if len(unmet) > 10 else '')
        warnings.append(
            {
                'name': 'UNMET_RESOURCES',
                'description': f'{len(unmet)} job types need resources that no node has (ids {shown}).',
            }
        )
    if result.paused:
        warnings.append(
            {'name': 'SCHEDULER_PAUSED', 'description': 'The scheduler is paused: no job is placed.'}
        )
    return warnings


def stamped_warnings(warnings, previous, now):
    """The warnings with their `title`, `last_updated` (now) and `started` (carried over from the
    previous pass's warning of the same name, else now), as /v6/status/ shows them."""
    stamp = format_datetime(now)
    started = {
        warning.get('name'): warning.get('started') for warning in previous or () if isinstance(warning, dict)
    }
    return [
        {
            'name': warning['name'],
            'title': WARNING_TITLES.get(warning['name'], warning['name']),
            'description': warning['description'],
            'started': started.get(warning['name']) or stamp,
            'last_updated': stamp,
        }
        for warning in warnings
    ]


def apply_logging_level(level):
    """Sets the level of the scheduler's own logger to the configured system_logging_level."""
    if level in LoggingLevel.values and logger.level != logging.getLevelName(level):
        logger.setLevel(level)


def _paused_now(scheduler_id):
    """Whether the scheduler is paused now, locking its row until the transaction ends."""
    paused = Scheduler.objects.select_for_update().filter(pk=scheduler_id).values_list('is_paused', flat=True)
    return bool(paused.first())


def _recheck(config):
    """Whether this pass reconsiders the job types with unmet_resources (see RECHECK_EVERY)."""
    if config.last_pass is None or config.passes_total % RECHECK_EVERY == 0:
        return True
    return Node.objects.filter(is_active=True, created__gte=config.last_pass).exists()


def _plan_and_place(config, now, result):
    nodes = load_nodes(now)
    types, stored_unmet = load_job_types()
    blocked = blocked_types(types)
    recheck = _recheck(config)
    skipped = (
        set(blocked) if recheck else set(blocked) | {key for key, value in stored_unmet.items() if value}
    )
    jobs, stored_reasons = load_window(config.queue_mode, skipped, settings.SCALE_SCHEDULER_WINDOW)
    result.window = len(jobs)
    plan = scheduling.plan(jobs, nodes, types.values(), queue_mode=config.queue_mode)
    placements = [
        Placement(placed.job_id, placed.exe_num, placed.node_id, placed.resources)
        for placed in plan.placements
    ]
    with transaction.atomic():
        # The scheduler row stays locked until the placements commit: a PATCH pausing the scheduler
        # waits for them, and once the pause has committed no pass places anything.
        if placements and _paused_now(config.pk):
            result.paused = True
            return nodes, stored_unmet
        result.placed = len(place_jobs(placements, now=now))
    reasons = plan.reasons
    if recheck and blocked:
        heads, stored_heads = blocked_heads(config.queue_mode, blocked)
        reasons, stored_reasons = {**heads, **reasons}, {**stored_heads, **stored_reasons}
    result.reasons_written = write_reasons(reasons, stored_reasons)
    result.unmet_written = write_unmet(plan.unmet_resources, stored_unmet)
    return nodes, {**stored_unmet, **plan.unmet_resources}


def run_pass(now=None):
    """Runs one scheduler pass and returns its PassResult (see the module docstring). Job and
    execution states change only through place_jobs and fail_lost_executions: a job canceled or
    placed by someone else between the snapshot and the write is left alone."""
    started = time.monotonic()
    result = PassResult()
    with pass_lock() as acquired:
        if not acquired:
            result.standby = True
            return result
        now = now or timezone.now()
        result.lost_executions, lost_hosts = fail_lost_nodes(now)
        config = Scheduler.load()
        apply_logging_level(config.system_logging_level)
        if config.passes_total % COMPACT_COUNTS_EVERY == 0:
            compact_job_counts()
        nodes, unmet = None, {}
        if config.is_paused:
            result.paused = True
            types, _ = load_job_types()
            jobs, stored = load_window(
                config.queue_mode, blocked_types(types), settings.SCALE_SCHEDULER_WINDOW
            )
            result.window = len(jobs)
            result.reasons_written = write_reasons(scheduling.paused_reasons(jobs), stored)
        else:
            nodes, unmet = _plan_and_place(config, now, result)
        result.load_recorded = record_load(now)
        if result.load_recorded:
            # The pass that records a minute (one, whatever the number of schedulers) also brings
            # today's and yesterday's job type metrics up to date (job.services.metrics; 0.15 s at a
            # million jobs), so a finished job shows in the web UI's charts within a minute.
            result.metrics_rows = compute_job_type_metrics(now=now)
        result.seconds = time.monotonic() - started
        result.warnings = stamped_warnings(_warnings(result, lost_hosts, nodes, unmet), config.warnings, now)
        Scheduler.objects.filter(pk=config.pk).update(
            last_pass=now,
            last_pass_seconds=result.seconds,
            passes_total=F('passes_total') + 1,
            placements_total=F('placements_total') + result.placed,
            hostname=socket.gethostname()[:250],
            warnings=result.warnings,
            last_modified=timezone.now(),
        )
    logger.debug(
        'scheduler pass: window %d, placed %d, %d reasons and %d unmet_resources written, paused %s, '
        'load recorded %s, %.3f s',
        result.window,
        result.placed,
        result.reasons_written,
        result.unmet_written,
        result.paused,
        result.load_recorded,
        result.seconds,
    )
    if result.placed:
        logger.info(
            'scheduler pass: placed %d of %d queued jobs in %.3f s (%d lost executions failed)',
            result.placed,
            result.window,
            result.seconds,
            result.lost_executions,
        )
    return result
