"""job.services.bulk: what cancel and requeue change, batches and counts, resuming after a crash,
leases and recovery, stopping on a signal, and races with the scheduler and with a second worker."""

import datetime
import os
import signal
import threading
import time

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from job.choices import BulkOperationKind, BulkOperationState, ExecutionStatus, JobStatus
from job.models import BulkOperation, Job, JobExecution
from job.services import bulk
from job.services.executions import Placement, place_jobs, stop_requested
from tests import factories
from tests.concurrency import needs_concurrent_writers, run_together

pytestmark = pytest.mark.django_db


def _operation(kind, frozen, **fields):
    newest = Job.objects.order_by('-id').values_list('id', flat=True).first() or 0
    return BulkOperation.objects.create(kind=kind, filter=frozen, max_job_id=newest, **fields)


def _counts(operation):
    operation.refresh_from_db()
    return operation.matched, operation.processed, operation.changed, operation.skipped


def _statuses(jobs):
    return {name: Job.objects.get(pk=job.pk).status for name, job in jobs.items()}


def test_requeue_changes_only_failed_and_canceled_jobs_that_are_not_superseded():
    job_type = factories.job_type(max_tries=2)
    jobs = {
        'failed': factories.job(job_type, JobStatus.FAILED, num_exes=2, max_tries=2, priority=100),
        'canceled': factories.job(job_type, JobStatus.CANCELED, num_exes=1),
        'completed': factories.job(job_type, JobStatus.COMPLETED),
        'running': factories.job(job_type, JobStatus.RUNNING),
        'queued': factories.job(job_type, JobStatus.QUEUED),
        'superseded': factories.job(job_type, JobStatus.FAILED, is_superseded=True),
        'pending': factories.job(job_type, JobStatus.PENDING),
    }
    before = {name: Job.objects.get(pk=job.pk) for name, job in jobs.items()}
    operation = _operation(BulkOperationKind.REQUEUE, {'job_type_ids': [job_type.id]}, priority=3)

    bulk.run_operation(operation.id)

    assert _statuses(jobs) == {
        'failed': JobStatus.QUEUED,
        'canceled': JobStatus.QUEUED,
        'completed': JobStatus.COMPLETED,
        'running': JobStatus.RUNNING,
        'queued': JobStatus.QUEUED,
        'superseded': JobStatus.FAILED,
        'pending': JobStatus.PENDING,
    }
    failed = Job.objects.get(pk=jobs['failed'].pk)
    assert (failed.num_exes, failed.max_tries, failed.priority) == (3, 4, 3)
    assert (failed.error, failed.node, failed.started, failed.ended, failed.queue_reason) == (None,) * 5
    assert failed.queued > before['failed'].queued and failed.last_status_change == failed.queued
    canceled = Job.objects.get(pk=jobs['canceled'].pk)
    assert (canceled.num_exes, canceled.max_tries) == (2, 3)
    for name in ('completed', 'running', 'queued', 'superseded', 'pending'):
        untouched = Job.objects.get(pk=jobs[name].pk)
        assert (untouched.num_exes, untouched.last_modified, untouched.priority) == (
            before[name].num_exes,
            before[name].last_modified,
            before[name].priority,
        )
    assert _counts(operation) == (7, 7, 2, 5)
    assert operation.state == BulkOperationState.COMPLETED and operation.lease_owner is None


def test_requeue_without_a_priority_keeps_each_jobs_priority():
    job = factories.job(status=JobStatus.FAILED, priority=42)
    bulk.run_operation(_operation(BulkOperationKind.REQUEUE, {'job_ids': [job.id]}).id)
    job.refresh_from_db()
    assert (job.status, job.priority) == (JobStatus.QUEUED, 42)


def test_cancel_changes_every_job_that_is_not_completed_or_canceled():
    job_type = factories.job_type()
    node = factories.node()
    jobs = {status: factories.job(job_type, status) for status in JobStatus}
    running = jobs[JobStatus.RUNNING]
    factories.set_fields(running, node=node)
    execution = factories.execution(running, exe_num=running.num_exes, node=node)
    operation = _operation(BulkOperationKind.CANCEL, {'job_type_ids': [job_type.id]})

    bulk.run_operation(operation.id)

    statuses = _statuses(jobs)
    assert statuses.pop(JobStatus.COMPLETED) == JobStatus.COMPLETED
    assert set(statuses.values()) == {JobStatus.CANCELED}
    running.refresh_from_db()
    assert running.node is None and running.ended is not None
    # The execution is the agent's to stop: it sees the cancel and reports the execution CANCELED.
    assert JobExecution.objects.get(pk=execution.pk).status == ExecutionStatus.RUNNING
    assert stop_requested({(running.id, execution.exe_num)}) == {(running.id, execution.exe_num)}
    assert _counts(operation) == (7, 7, 5, 2)


def test_batches_move_the_cursor_and_the_counts_add_up(settings):
    settings.SCALE_BULK_BATCH_SIZE = 3
    job_type = factories.job_type()
    failed = [factories.job(job_type, JobStatus.FAILED) for _ in range(7)]
    completed = [factories.job(job_type, JobStatus.COMPLETED) for _ in range(4)]
    operation = _operation(BulkOperationKind.REQUEUE, {'job_type_ids': [job_type.id]})
    seen = []
    original = bulk._requeue

    def spy(operation, batch, now):
        seen.append(sorted(batch.values_list('id', flat=True)))
        return original(operation, batch, now)

    bulk._requeue = spy
    try:
        bulk.run_operation(operation.id)
    finally:
        bulk._requeue = original

    visited = [job_id for batch in seen for job_id in batch]
    assert visited == sorted(job.id for job in failed + completed)  # each once, in ascending id
    assert max(len(batch) for batch in seen) <= 3
    assert _counts(operation) == (11, 11, 7, 4)
    assert operation.cursor == max(visited)


def test_a_crash_inside_a_batch_loses_nothing_and_the_operation_resumes_where_it_stopped(settings):
    settings.SCALE_BULK_BATCH_SIZE = 2
    failed = [factories.job(status=JobStatus.FAILED) for _ in range(7)]
    operation = _operation(BulkOperationKind.REQUEUE, {'job_ids': [job.id for job in failed]})
    original = bulk._requeue
    calls = []

    def dies_in_the_third_batch(operation, batch, now):
        calls.append(batch)
        changed = original(operation, batch, now)
        if len(calls) == 3:
            raise SystemExit('the worker is killed mid-batch')
        return changed

    bulk._requeue = dies_in_the_third_batch
    try:
        with pytest.raises(SystemExit):
            bulk.run_operation(operation.id, owner='host:1:dead')
    finally:
        bulk._requeue = original

    # Two batches committed; the third rolled back with the crash.
    assert _counts(operation) == (7, 4, 4, 0)
    assert Job.objects.filter(status=JobStatus.QUEUED).count() == 4
    assert operation.state == BulkOperationState.RUNNING and operation.lease_owner == 'host:1:dead'

    # Another task cannot take the operation while the dead one's lease lasts; then it resumes.
    assert bulk.run_operation(operation.id, owner='host:2:next').processed == 4
    factories.set_fields(operation, lease_expires=timezone.now() - datetime.timedelta(seconds=1))
    bulk.run_operation(operation.id, owner='host:2:next')

    assert _counts(operation) == (7, 7, 7, 0)
    assert operation.state == BulkOperationState.COMPLETED
    assert set(Job.objects.values_list('status', 'num_exes')) == {(JobStatus.QUEUED, 2)}  # requeued once


def test_a_task_that_lost_its_lease_stops_at_its_next_batch(settings):
    settings.SCALE_BULK_BATCH_SIZE = 1
    jobs = [factories.job(status=JobStatus.QUEUED) for _ in range(4)]
    operation = _operation(BulkOperationKind.CANCEL, {'job_ids': [job.id for job in jobs]})
    original = bulk._run_batch

    def taken_over_after_the_first_batch(operation_id, owner, batch_size):
        more = original(operation_id, owner, batch_size)
        # Another task took the operation over meanwhile (the lease had expired).
        BulkOperation.objects.filter(pk=operation_id).update(lease_owner='host:9:other')
        return more

    bulk._run_batch = taken_over_after_the_first_batch
    try:
        bulk.run_operation(operation.id, owner='host:1:first')
    finally:
        bulk._run_batch = original
    assert _counts(operation)[1:] == (1, 1, 0)
    assert operation.state == BulkOperationState.RUNNING and operation.lease_owner == 'host:9:other'


def test_an_unexpected_error_fails_the_operation_with_its_message():
    job = factories.job(status=JobStatus.QUEUED)
    operation = _operation(BulkOperationKind.CANCEL, {'job_ids': [job.id]})
    original = bulk._cancel

    def broken(operation, batch, now):
        raise RuntimeError('something broke')

    bulk._cancel = broken
    try:
        bulk.run_operation(operation.id)
    finally:
        bulk._cancel = original
    operation.refresh_from_db()
    assert operation.state == BulkOperationState.FAILED and operation.error == 'RuntimeError: something broke'
    assert operation.ended is not None and operation.lease_owner is None
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED
    assert bulk.run_operation(operation.id).state == BulkOperationState.FAILED  # final: never run again


def test_a_finished_operation_is_not_run_again():
    job = factories.job(status=JobStatus.QUEUED)
    operation = _operation(BulkOperationKind.CANCEL, {'job_ids': [job.id]})
    bulk.run_operation(operation.id)
    factories.set_fields(job, status=JobStatus.QUEUED)
    assert bulk.run_operation(operation.id).changed == 1
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED


def test_recovery_re_enqueues_operations_whose_task_is_gone():
    now = timezone.now()
    lease = datetime.timedelta(seconds=60)
    gone_pid = _a_pid_that_does_not_exist()
    host = bulk.socket.gethostname()[:60]
    expired = _operation(
        'CANCEL', {'job_ids': [1]}, state='RUNNING', lease_owner='x:1:a', lease_expires=now - lease
    )
    dead_here = _operation(
        'CANCEL',
        {'job_ids': [1]},
        state='RUNNING',
        lease_owner=f'{host}:{gone_pid}:b',
        lease_expires=now + lease,
    )
    alive_here = _operation(
        'CANCEL',
        {'job_ids': [1]},
        state='RUNNING',
        lease_owner=f'{host}:{os.getppid()}:c',
        lease_expires=now + lease,
    )
    elsewhere = _operation(
        'CANCEL',
        {'job_ids': [1]},
        state='RUNNING',
        lease_owner=f'other-host:{gone_pid}:d',
        lease_expires=now + lease,
    )
    waiting = _operation('REQUEUE', {'job_ids': [1]}, lease_expires=now + lease)
    finished = _operation('CANCEL', {'job_ids': [1]}, state='COMPLETED', lease_expires=now - lease)

    assert sorted(bulk.recover_operations(now)) == sorted([expired.id, dead_here.id])
    assert DBTaskResult.objects.count() == 2
    assert bulk.recover_operations(now) == []  # the lease moved on: once per lease
    for operation in (expired, dead_here):
        operation.refresh_from_db()
        assert operation.lease_owner is None and operation.lease_expires > now
    for operation in (alive_here, elsewhere, waiting, finished):
        assert BulkOperation.objects.get(pk=operation.pk).lease_owner == operation.lease_owner


def _a_pid_that_does_not_exist():
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_a_signal_stops_the_operation_after_its_batch_and_it_resumes_later(settings):
    settings.SCALE_BULK_BATCH_SIZE = 1
    jobs = [factories.job(status=JobStatus.QUEUED) for _ in range(3)]
    operation = _operation(BulkOperationKind.CANCEL, {'job_ids': [job.id for job in jobs]})
    original = bulk._cancel
    seen_by_the_worker = []

    def signaled_in_the_first_batch(operation_, batch, now):
        os.kill(os.getpid(), signal.SIGTERM)
        return original(operation_, batch, now)

    previous = signal.signal(signal.SIGTERM, lambda number, frame: seen_by_the_worker.append(number))
    bulk._cancel = signaled_in_the_first_batch
    try:
        with bulk.stop_on_signals():
            bulk.run_operation(operation.id)
    finally:
        bulk._cancel = original
        signal.signal(signal.SIGTERM, previous)

    assert seen_by_the_worker == [signal.SIGTERM]  # the worker's own handler still ran
    assert _counts(operation)[1:] == (1, 1, 0)
    assert operation.state == BulkOperationState.RUNNING and operation.lease_owner is None
    assert operation.lease_expires <= timezone.now()  # released: recovery re-enqueues it at once
    bulk.run_operation(operation.id)
    assert _counts(operation) == (3, 3, 3, 0)


@pytest.mark.django_db(transaction=True)
def test_two_tasks_on_one_operation_never_change_a_job_twice(settings):
    needs_concurrent_writers()
    settings.SCALE_BULK_BATCH_SIZE = 10
    job_type = factories.job_type()
    event = factories.job(job_type, JobStatus.COMPLETED).event
    Job.objects.bulk_create(
        Job(
            job_type=job_type,
            job_type_rev=job_type.revisions.get(),
            event=event,
            status=JobStatus.FAILED,
            num_exes=1,
        )
        for _ in range(300)
    )
    operation = _operation(BulkOperationKind.REQUEUE, {'job_type_ids': [job_type.id]})
    # Both believe they hold the lease (the worst case of a recovery racing a slow task): the batches
    # serialize on the operation row and its cursor.
    results = run_together(2, lambda index: bulk.run_operation(operation.id, owner='host:0:both'))

    assert not [result for result in results if isinstance(result, Exception)], results
    assert _counts(operation) == (301, 301, 300, 1)
    assert set(Job.objects.filter(status=JobStatus.QUEUED).values_list('num_exes', flat=True)) == {2}


@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_the_scheduler_leaves_no_job_half_done(settings):
    needs_concurrent_writers()
    settings.SCALE_BULK_BATCH_SIZE = 20
    job_type = factories.job_type()
    node = factories.node()
    jobs = [factories.job(job_type, JobStatus.QUEUED) for _ in range(120)]
    operation = _operation(BulkOperationKind.CANCEL, {'job_type_ids': [job_type.id]})
    placements = [Placement(job.id, job.num_exes, node.id, {'cpus': 0.1}) for job in jobs]

    def work(index):
        if index == 0:
            return bulk.run_operation(operation.id)
        return [place_jobs(placements[start : start + 10]) for start in range(0, len(placements), 10)]

    results = run_together(2, work)

    assert not [result for result in results if isinstance(result, Exception)], results
    assert set(Job.objects.values_list('status', flat=True)) == {JobStatus.CANCELED}
    assert _counts(operation) == (120, 120, 120, 0)
    placed = list(JobExecution.objects.values_list('job_id', 'exe_num', 'status'))
    assert len({job_id for job_id, _, _ in placed}) == len(placed)  # at most one execution a job
    # Every execution that was started is one its agent will stop.
    assert stop_requested({(job_id, exe_num) for job_id, exe_num, _ in placed}) == {
        (job_id, exe_num) for job_id, exe_num, _ in placed
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize('held_indexes', [[2], [0, 1, 2, 3, 4]], ids=['one', 'all'])
def test_jobs_held_by_another_transaction_are_changed_once_released(held_indexes):
    needs_concurrent_writers()
    jobs = [factories.job(status=JobStatus.FAILED) for _ in range(5)]
    held = [jobs[index].pk for index in held_indexes]
    operation = _operation(BulkOperationKind.REQUEUE, {'job_ids': [job.id for job in jobs]})
    locked = threading.Event()

    def work(index):
        if index == 0:
            # A scheduler or an agent holding the row for a moment.
            with transaction.atomic():
                list(Job.objects.select_for_update().filter(pk__in=held))
                locked.set()
                time.sleep(0.5)
            return None
        locked.wait(5)
        started = time.monotonic()
        bulk.run_operation(operation.id)
        return time.monotonic() - started

    results = run_together(2, work)

    assert not [result for result in results if isinstance(result, Exception)], results
    assert results[1] >= 0.3  # it waited for the row rather than leaving it out
    assert _counts(operation) == (5, 5, 5, 0)
    assert set(Job.objects.values_list('status', 'num_exes')) == {(JobStatus.QUEUED, 2)}
