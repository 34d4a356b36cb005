"""Operational endpoints: /healthz (the process answers), /readyz (the database answers) and /metrics
(Prometheus text format). They need no authentication: they show counts, never data."""

from django.db import DatabaseError, connection
from django.db.models import Count, Sum
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from job.choices import BulkOperationState, ExecutionStatus, JobStatus
from job.models import BulkOperation, Job, JobExecution
from node.choices import NodeState
from node.models import Node, Scheduler
from node.states import node_state

PROMETHEUS = 'text/plain; version=0.0.4; charset=utf-8'


@require_GET
def healthz(request):
    return JsonResponse({'status': 'ok'})


@require_GET
def readyz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute('SELECT 1')
    except DatabaseError as exc:
        return JsonResponse(
            {'status': 'unavailable', 'detail': f'database: {exc.__class__.__name__}'}, status=503
        )
    return JsonResponse({'status': 'ready'})


def _metric(lines, name, kind, help_text, samples):
    lines.append(f'# HELP {name} {help_text}')
    lines.append(f'# TYPE {name} {kind}')
    for labels, value in samples:
        label_text = ','.join(f'{key}="{val}"' for key, val in labels.items())
        lines.append(f'{name}{{{label_text}}} {value}' if label_text else f'{name} {value}')


@require_GET
def metrics(request):
    """Jobs by status, queue depth, running executions, nodes by state, scheduler passes and
    placements, bulk operations by state, log lines ingested: a handful of aggregate queries."""
    jobs = dict.fromkeys(JobStatus.values, 0)
    jobs.update(Job.objects.values_list('status').annotate(count=Count('id')).order_by())
    now = timezone.now()
    states = dict.fromkeys(NodeState.values, 0)
    for node in Node.objects.only('is_active', 'is_paused', 'last_heartbeat'):
        states[node_state(node, now)] += 1
    scheduler = Scheduler.load()
    ingested = Node.objects.aggregate(total=Sum('log_lines_ingested'))['total'] or 0
    running = JobExecution.objects.filter(status=ExecutionStatus.RUNNING).count()
    operations = dict.fromkeys(BulkOperationState.values, 0)
    operations.update(BulkOperation.objects.values_list('state').annotate(count=Count('id')).order_by())
    lines = []
    _metric(
        lines,
        'scale_jobs',
        'gauge',
        'Jobs by status.',
        [({'status': key}, value) for key, value in jobs.items()],
    )
    _metric(lines, 'scale_queue_depth', 'gauge', 'Jobs QUEUED.', [({}, jobs[JobStatus.QUEUED])])
    _metric(lines, 'scale_executions_running', 'gauge', 'Executions RUNNING on nodes.', [({}, running)])
    _metric(
        lines,
        'scale_nodes',
        'gauge',
        'Nodes by state.',
        [({'state': key}, value) for key, value in states.items()],
    )
    _metric(
        lines,
        'scale_scheduler_paused',
        'gauge',
        '1 when the scheduler is paused.',
        [({}, int(scheduler.is_paused))],
    )
    _metric(
        lines, 'scale_scheduler_passes_total', 'counter', 'Scheduler passes.', [({}, scheduler.passes_total)]
    )
    _metric(
        lines,
        'scale_scheduler_placements_total',
        'counter',
        'Jobs placed on nodes.',
        [({}, scheduler.placements_total)],
    )
    _metric(
        lines,
        'scale_scheduler_pass_duration_seconds',
        'gauge',
        'Duration of the last scheduler pass.',
        [({}, scheduler.last_pass_seconds)],
    )
    last_pass = scheduler.last_pass.timestamp() if scheduler.last_pass else 0
    _metric(
        lines,
        'scale_scheduler_last_pass_timestamp_seconds',
        'gauge',
        'When the last pass ran.',
        [({}, last_pass)],
    )
    _metric(
        lines,
        'scale_bulk_operations',
        'gauge',
        'Bulk cancel/requeue operations by state.',
        [({'state': key}, value) for key, value in operations.items()],
    )
    _metric(
        lines,
        'scale_log_lines_ingested_total',
        'counter',
        'Log lines stored by node agents.',
        [({}, ingested)],
    )
    return HttpResponse('\n'.join(lines) + '\n', content_type=PROMETHEUS)
