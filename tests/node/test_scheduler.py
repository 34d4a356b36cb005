"""The scheduler pass (node.scheduler) and run_scheduler, with the database, through the services."""

import datetime
import io
import os
import signal
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from job.choices import ExecutionStatus, JobStatus
from job.models import Job, JobExecution, JobType
from job.services.executions import cancel_job, complete_execution
from node import scheduler, scheduling
from node.models import Node, QueueMode, Scheduler
from tests import factories
from tests.concurrency import needs_concurrent_writers, run_together

pytestmark = pytest.mark.django_db

SMALL = {'cpus': 1.0, 'mem': 1024.0, 'disk': 0.0, 'gpus': 0.0}


def ready_node(cpus=8.0, gpus=0.0, **fields):
    resources = fields.pop('resources', {'cpus': cpus, 'mem': 16384.0, 'disk': 100000.0, 'gpus': gpus})
    return factories.node(
        resources=resources, last_heartbeat=fields.pop('last_heartbeat', timezone.now()), **fields
    )


def queued(job_type=None, resources=None, **fields):
    return factories.job(job_type, resources=dict(resources or SMALL), **fields)


def running_on(node, resources, job_type=None):
    job = factories.job(job_type, JobStatus.RUNNING, node=node, resources=resources)
    return factories.execution(job, node=node, resources=resources)


def test_a_pass_places_jobs_and_creates_running_executions():
    small, big = ready_node(cpus=2.0), ready_node(cpus=16.0)
    jobs = [queued() for _ in range(3)]

    result = scheduler.run_pass()

    assert (result.placed, result.window, result.standby) == (3, 3, False)
    for job in jobs:
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING
        assert job.node_id in (small.id, big.id)
        assert job.queue_reason is None
        execution = JobExecution.objects.get(job=job)
        assert (execution.status, execution.exe_num, execution.node_id) == ('RUNNING', 1, job.node_id)
        assert execution.resources == SMALL
        assert execution.cluster_id == f'scale_job_{job.id}_1'
    # best fit: the small node is filled first
    assert Job.objects.filter(node=small).count() == 2
    state = Scheduler.load()
    assert (state.passes_total, state.placements_total) == (1, 3)
    assert state.last_pass is not None and state.hostname


def test_free_resources_account_for_running_executions():
    node = ready_node(cpus=8.0)
    holding = running_on(node, {**SMALL, 'cpus': 7.5})
    job = queued()

    [snapshot] = scheduler.load_nodes(timezone.now())
    assert snapshot.free['cpus'] == 0.5 and snapshot.free['mem'] == 16384.0 - 1024.0
    assert snapshot.state == scheduling.READY

    assert scheduler.run_pass().placed == 0
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.queue_reason.startswith('waiting for 1 cpus (the freest ready node has 0.5)')

    complete_execution(holding.job_id, holding.exe_num)
    assert scheduler.run_pass().placed == 1
    job.refresh_from_db()
    assert (job.status, job.node_id, job.queue_reason) == (JobStatus.RUNNING, node.id, None)


def test_reasons_and_unmet_resources_are_written_and_cleared():
    ready_node(cpus=8.0)
    gpu_type = factories.job_type('gpu-algo')
    job = queued(gpu_type, {**SMALL, 'gpus': 2.0})

    first = scheduler.run_pass()
    job.refresh_from_db()
    gpu_type.refresh_from_db()
    assert job.queue_reason == 'needs 2 gpus, the largest node has 0'
    assert gpu_type.unmet_resources == 'gpus'
    assert (first.reasons_written, first.unmet_written) == (1, 1)
    assert [warning['name'] for warning in Scheduler.load().warnings] == ['UNMET_RESOURCES']

    again = scheduler.run_pass()
    assert (again.reasons_written, again.unmet_written) == (0, 0)  # only changes are written

    gpu_node = ready_node(cpus=8.0, gpus=4.0)
    assert scheduler.run_pass().placed == 1
    job.refresh_from_db()
    gpu_type.refresh_from_db()
    assert (job.status, job.node_id, job.queue_reason) == (JobStatus.RUNNING, gpu_node.id, None)
    assert gpu_type.unmet_resources is None


def test_lost_nodes_executions_fail_and_their_jobs_run_elsewhere():
    stale = timezone.now() - datetime.timedelta(minutes=10)
    lost = ready_node(hostname='lost.example', last_heartbeat=stale)
    execution = running_on(lost, SMALL)
    other = ready_node(hostname='alive.example')

    result = scheduler.run_pass()

    assert result.lost_executions == 1
    execution.refresh_from_db()
    assert (execution.status, execution.error.name) == (ExecutionStatus.FAILED, 'node-lost')
    job = Job.objects.get(id=execution.job_id)
    assert (job.status, job.num_exes, job.node_id) == (JobStatus.RUNNING, 2, other.id)
    retry = JobExecution.objects.get(job=job, exe_num=2)
    assert (retry.status, retry.node_id) == (ExecutionStatus.RUNNING, other.id)
    assert Scheduler.load().warnings[0]['name'] == 'NODES_LOST'
    assert 'lost.example' in Scheduler.load().warnings[0]['description']


def test_paused_and_offline_nodes_take_nothing():
    ready_node(is_paused=True)
    ready_node(last_heartbeat=None)
    ready_node(is_active=False)
    job = queued()

    assert scheduler.run_pass().placed == 0
    job.refresh_from_db()
    assert job.queue_reason == 'no ready node'
    assert 'NO_READY_NODES' in [warning['name'] for warning in Scheduler.load().warnings]


def test_scheduler_paused_places_nothing():
    ready_node()
    Scheduler.objects.update_or_create(pk=1, defaults={'is_paused': True})
    job = queued()

    result = scheduler.run_pass()

    assert (result.paused, result.placed) == (True, 0)
    job.refresh_from_db()
    assert (job.status, job.queue_reason) == (JobStatus.QUEUED, 'scheduler paused')
    assert not JobExecution.objects.exists()
    assert Scheduler.load().passes_total == 1


def test_lifo_queue_mode_places_the_newest_job_first():
    ready_node(cpus=1.0)
    now = timezone.now()
    older = queued(queued=now - datetime.timedelta(minutes=5))
    newer = queued(queued=now)
    Scheduler.objects.update_or_create(pk=1, defaults={'queue_mode': QueueMode.LIFO})

    assert scheduler.run_pass().placed == 1
    assert Job.objects.get(id=newer.id).status == JobStatus.RUNNING
    assert Job.objects.get(id=older.id).status == JobStatus.QUEUED


def test_a_job_canceled_between_snapshot_and_persist_is_not_placed(monkeypatch):
    ready_node()
    doomed, kept = queued(), queued()
    real_plan = scheduling.plan

    def plan_then_cancel(*args, **kwargs):
        result = real_plan(*args, **kwargs)
        cancel_job(doomed.id)
        return result

    monkeypatch.setattr(scheduling, 'plan', plan_then_cancel)

    assert scheduler.run_pass().placed == 1
    doomed.refresh_from_db()
    assert doomed.status == JobStatus.CANCELED
    assert not JobExecution.objects.filter(job=doomed).exists()
    assert Job.objects.get(id=kept.id).status == JobStatus.RUNNING


def test_the_window_is_bounded_and_blocked_types_do_not_fill_it(settings):
    settings.SCALE_SCHEDULER_WINDOW = 5
    ready_node(cpus=64.0)
    paused_type = factories.job_type('paused-algo', is_paused=True)
    full_type = factories.job_type('full-algo', max_scheduled=1)
    running_on(ready_node(), SMALL, job_type=full_type)
    huge_type = factories.job_type('huge-algo')
    for _ in range(10):
        queued(paused_type, priority=1)
        queued(full_type, priority=1)
        queued(huge_type, {'cpus': 128.0}, priority=2)
    wanted = [queued(priority=100) for _ in range(3)]

    first = scheduler.run_pass()
    # The huge jobs are not known to be unplaceable yet: they fill the window.
    assert (first.window, first.placed) == (5, 0)
    assert JobType.objects.get(id=huge_type.id).unmet_resources == 'cpus'
    # The jobs of blocked types are not in the window; their head jobs get the reason anyway.
    assert set(Job.objects.filter(job_type=paused_type).values_list('queue_reason', flat=True)) == {
        'job type paused'
    }
    assert set(
        Job.objects.filter(job_type=full_type, status=JobStatus.QUEUED).values_list('queue_reason', flat=True)
    ) == {'job type at max_scheduled (1 running)'}

    second = scheduler.run_pass()
    # Now the job type with unmet resources stays out too, until a recheck pass.
    assert (second.window, second.placed) == (3, 3)
    assert all(Job.objects.get(id=job.id).status == JobStatus.RUNNING for job in wanted)


def test_job_types_with_unmet_resources_are_rechecked_periodically(settings):
    ready_node(cpus=8.0)
    huge_type = factories.job_type('huge-algo')
    huge = queued(huge_type, {'cpus': 16.0})
    scheduler.run_pass()
    assert scheduler.run_pass().window == 0
    # An operator grows the node (no new node registers): the periodic recheck notices.
    Node.objects.update(resources={'cpus': 32.0, 'mem': 16384.0, 'disk': 100000.0, 'gpus': 0.0})
    windows = [scheduler.run_pass().window for _ in range(scheduler.RECHECK_EVERY - 1)]
    assert windows == [0] * (scheduler.RECHECK_EVERY - 2) + [1]
    huge.refresh_from_db()
    assert huge.status == JobStatus.RUNNING
    assert JobType.objects.get(id=huge_type.id).unmet_resources is None


def test_run_scheduler_stops_cleanly_on_sigterm():
    ready_node()
    job = queued()
    before = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.5, os.kill, [os.getpid(), signal.SIGTERM])
    timer.start()
    try:
        call_command('run_scheduler', interval=0.05, stdout=io.StringIO())
    finally:
        timer.cancel()

    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert Scheduler.load().passes_total >= 2
    assert signal.getsignal(signal.SIGTERM) == before  # the command restores the handlers it replaced


def test_run_scheduler_once():
    ready_node()
    queued()
    call_command('run_scheduler', once=True, stdout=io.StringIO())
    assert Scheduler.load().placements_total == 1


# -- concurrency (PostgreSQL) --------------------------------------------------------------------------


def overcommitted_nodes():
    """Nodes whose RUNNING executions hold more cpus than they have, read in one statement."""
    held = {}
    for execution in JobExecution.objects.filter(status=ExecutionStatus.RUNNING).select_related('node'):
        total = execution.node.resources['cpus']
        held.setdefault(execution.node_id, [0.0, total])[0] += execution.resources['cpus']
    return [node_id for node_id, (used, total) in held.items() if used > total + 1e-9]


@pytest.mark.django_db(transaction=True)
def test_concurrent_schedulers_never_place_a_job_twice_nor_overcommit_a_node():
    needs_concurrent_writers()
    factories.error('node-lost')
    nodes = [ready_node(cpus=4.0) for _ in range(3)]
    jobs = [queued(resources={**SMALL, 'cpus': 1.0 + (index % 2)}) for index in range(60)]

    def work(index):
        outcomes = []
        for _ in range(8):
            result = scheduler.run_pass()
            outcomes.append(('standby' if result.standby else 'pass', result.placed, overcommitted_nodes()))
            # An agent finishing work meanwhile frees room for the next pass.
            finished = JobExecution.objects.filter(status=ExecutionStatus.RUNNING).order_by('id').first()
            if finished is not None:
                complete_execution(finished.job_id, finished.exe_num)
        return outcomes

    results = run_together(4, work)

    assert not [result for result in results if isinstance(result, Exception)], results
    assert all(not overcommit for outcomes in results for _, _, overcommit in outcomes)
    assert not overcommitted_nodes()
    placed = sum(count for outcomes in results for _, count, _ in outcomes)
    assert placed == JobExecution.objects.count() > len(nodes)
    duplicates = JobExecution.objects.values('job_id', 'exe_num').annotate(n=Count('id')).filter(n__gt=1)
    assert not duplicates.exists()
    running_twice = (
        JobExecution.objects.filter(status=ExecutionStatus.RUNNING)
        .values('job_id')
        .annotate(n=Count('id'))
        .filter(n__gt=1)
    )
    assert not running_twice.exists()
    for job in Job.objects.filter(id__in=[job.id for job in jobs], status=JobStatus.RUNNING):
        assert JobExecution.objects.get(job=job, exe_num=job.num_exes).status == ExecutionStatus.RUNNING


@pytest.mark.django_db(transaction=True)
def test_a_second_scheduler_stands_by_while_the_lock_is_held():
    needs_concurrent_writers()
    ready_node()
    queued()
    with scheduler.pass_lock() as acquired:
        assert acquired
        [result] = run_together(1, lambda index: scheduler.run_pass())
    assert result.standby and result.placed == 0
    assert Job.objects.get().status == JobStatus.QUEUED
    [result] = run_together(1, lambda index: scheduler.run_pass())
    assert result.placed == 1
    connections.close_all()
    assert connection.vendor == 'postgresql'


def test_the_pass_recording_a_minute_brings_the_job_type_metrics_up_to_date():
    from job.models import JobTypeDailyMetrics

    algo = factories.job_type('metered-algo')
    now = timezone.now()
    ended = now - datetime.timedelta(minutes=1)
    factories.job(algo, JobStatus.COMPLETED, started=ended - datetime.timedelta(seconds=30), ended=ended)

    first = scheduler.run_pass(now=now)
    second = scheduler.run_pass(now=now)

    assert first.load_recorded and first.metrics_rows
    row = JobTypeDailyMetrics.objects.get(job_type=algo, date=ended.date())
    assert (row.completed_count, row.total_count) == (1, 1)
    # A second pass in the same minute records nothing and leaves the metrics alone.
    assert not second.load_recorded and second.metrics_rows is None
