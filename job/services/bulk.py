"""Bulk cancel and requeue: accepted by the API, done by the task worker in batches.

create_operation() freezes the filter and records a BulkOperation in the request's transaction,
together with its task (django-tasks on the database), so an accepted operation always has a task
and a refused one leaves nothing. run_operation() is the task's body: it claims the operation (a
lease), counts what the filter matches, then visits the matching jobs in ascending id, in batches
of SCALE_BULK_BATCH_SIZE. A batch is one transaction that locks the operation row, changes the jobs
with conditional UPDATEs (the state a job must be in is part of the WHERE clause, so a job that a
scheduler, an agent or a cancel changed meanwhile is judged as it is now) and saves the cursor and
the counts. Killed between two batches or inside one, the operation resumes after the last
committed batch: no job is visited twice and none is skipped.

A task that finds the operation leased to another live task leaves it alone. recover_operations()
(run by the task worker at start and then periodically) re-enqueues the operations whose task died:
the lease expired, or its holder was a process of this machine that no longer exists.
"""

import contextlib
import datetime
import logging
import os
import signal
import socket
import threading
import time
import uuid

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from job.choices import (
    BULK_ACTIVE_STATES,
    JOB_CANCELABLE_STATUSES,
    JOB_REQUEUEABLE_STATUSES,
    BulkOperationKind,
    BulkOperationState,
)
from job.models import BulkOperation, Job, JobType
from job.services.bulk_filter import filter_q, parse_bulk_filter
from job.services.executions import canceled_fields, requeued_fields
from scale import idempotency

logger = logging.getLogger(__name__)

SCOPES = {
    BulkOperationKind.CANCEL: 'POST /v6/jobs/cancel/',
    BulkOperationKind.REQUEUE: 'POST /v6/jobs/requeue/',
}
DATABASE_RETRIES = 5
# Set by a SIGTERM/SIGINT that reaches the worker while an operation runs: stop after the batch.
_stop = threading.Event()


def create_operation(kind, user, body, idempotency_key=None, now=None):
    """Checks the body (parse_bulk_filter: InvalidDocument names every bad field) and records a
    QUEUED operation with its task, at most once per Idempotency-Key. Returns (operation, created)."""
    from job.tasks import run_bulk_operation

    now = now or timezone.now()
    frozen, priority = parse_bulk_filter(body, requeue=kind == BulkOperationKind.REQUEUE, now=now)

    def create():
        newest = Job.objects.order_by('-id').values_list('id', flat=True).first() or 0
        operation = BulkOperation.objects.create(
            kind=kind,
            filter=frozen,
            priority=priority,
            max_job_id=newest,
            created_by=user if user and user.is_authenticated else None,
            created=now,
            # A task has this long to claim the operation before recover_operations() re-enqueues it.
            lease_expires=now + _lease(),
        )
        run_bulk_operation.enqueue(operation.id)
        return operation.id

    operation_id, created = idempotency.run_once(user, SCOPES[kind], idempotency_key, body, create)
    return BulkOperation.objects.get(pk=operation_id), created


def _lease():
    return datetime.timedelta(seconds=settings.SCALE_BULK_LEASE_SECONDS)


def _owner():
    return f'{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}'


def _claim(operation_id, owner):
    """Takes the operation's lease when it is free (never taken, expired, or ours). True when taken."""
    now = timezone.now()
    free = Q(lease_owner__isnull=True) | Q(lease_owner=owner) | Q(lease_expires__lt=now)
    return bool(
        BulkOperation.objects.filter(free, pk=operation_id, state__in=BULK_ACTIVE_STATES).update(
            state=BulkOperationState.RUNNING,
            lease_owner=owner,
            lease_expires=now + _lease(),
            attempts=F('attempts') + 1,
            last_modified=now,
        )
    )


def run_operation(operation_id, owner=None, *, batch_size=None):
    """Does operation `operation_id` to the end (see the module docstring). Returns the operation as
    it is left: COMPLETED or FAILED, or still RUNNING when another task holds it or a stop was
    requested (then it resumes later from its cursor)."""
    owner = owner or _owner()
    batch_size = batch_size or settings.SCALE_BULK_BATCH_SIZE
    if not _claim(operation_id, owner):
        logger.info('bulk operation %s: held by another task or finished; nothing to do', operation_id)
        return BulkOperation.objects.get(pk=operation_id)
    try:
        _start(operation_id)
        failures = 0
        while True:
            if _stop.is_set():
                _release(operation_id, owner)
                logger.info('bulk operation %s: stopping on request; it resumes later', operation_id)
                break
            try:
                more = _run_batch(operation_id, owner, batch_size)
                failures = 0
            except DatabaseError:
                failures += 1
                if failures > DATABASE_RETRIES:
                    raise
                logger.warning(
                    'bulk operation %s: database error, retry %s', operation_id, failures, exc_info=True
                )
                if not connection.in_atomic_block:
                    connection.close()
                time.sleep(min(2**failures * 0.1, 5))
                continue
            if not more:
                break
    except DatabaseError:
        # The database may be gone: the lease expires and recover_operations() re-enqueues it.
        logger.exception('bulk operation %s: giving up for now; it resumes later', operation_id)
        raise
    except Exception as exc:
        logger.exception('bulk operation %s failed', operation_id)
        _fail(operation_id, owner, exc)
    return BulkOperation.objects.get(pk=operation_id)


def _start(operation_id):
    """Stamps `started` and counts what the filter matches, once (a resumed operation keeps both)."""
    operation = BulkOperation.objects.get(pk=operation_id)
    if operation.matched is not None:
        return
    matched = _matching(operation).count()
    now = timezone.now()
    BulkOperation.objects.filter(pk=operation_id, matched__isnull=True).update(
        matched=matched, started=now, last_modified=now
    )
    logger.info(
        'bulk %s %s: %s jobs match %s', operation.kind.lower(), operation_id, matched, operation.filter
    )


def _matching(operation, after=0):
    return Job.objects.filter(filter_q(operation.filter), id__gt=after, id__lte=operation.max_job_id)


def _run_batch(operation_id, owner, batch_size):
    """One batch in one transaction. Returns whether there may be more to do."""
    with transaction.atomic():
        operation = BulkOperation.objects.select_for_update().get(pk=operation_id)
        if operation.state != BulkOperationState.RUNNING or operation.lease_owner != owner:
            logger.info('bulk operation %s: lease lost to %s', operation_id, operation.lease_owner)
            return False
        now = timezone.now()
        ids = _lock_batch(_matching(operation, operation.cursor), batch_size)
        if not ids:
            operation.state = BulkOperationState.COMPLETED
            operation.ended = now
            operation.lease_owner = None
            operation.lease_expires = None
            operation.save(update_fields=['state', 'ended', 'lease_owner', 'lease_expires', 'last_modified'])
            logger.info(
                'bulk %s %s completed: %s processed, %s changed, %s skipped',
                operation.kind.lower(),
                operation_id,
                operation.processed,
                operation.changed,
                operation.skipped,
            )
            return False
        change = _cancel if operation.kind == BulkOperationKind.CANCEL else _requeue
        changed = change(operation, Job.objects.filter(id__in=ids), now)
        operation.cursor = ids[-1]
        operation.processed += len(ids)
        operation.changed += changed
        operation.skipped += len(ids) - changed
        operation.lease_expires = now + _lease()
        operation.save(
            update_fields=['cursor', 'processed', 'changed', 'skipped', 'lease_expires', 'last_modified']
        )
        return True


def _lock_batch(matching, batch_size):
    """The ids of the next `batch_size` jobs of `matching` (ascending), locked for this transaction.

    On PostgreSQL the batch is taken with FOR UPDATE SKIP LOCKED, so rows that nobody holds are
    locked at once (and, if they changed since the statement began, re-checked against the filter).
    Rows skipped because another transaction held them for a moment (a scheduler placing them, an
    agent reporting) are then locked too, waiting for them, if they still match: the cursor moves
    past them, so leaving them out would skip them for good; and when every job left is held, the
    batch waits for them rather than end the operation early. (Should a wait close a deadlock with
    another bulk operation, PostgreSQL aborts one batch and run_operation retries it.) Locked rows
    keep matching until the batch commits, so the UPDATE needs only the state it changes from."""
    if connection.vendor != 'postgresql':
        return list(matching.order_by('id').values_list('id', flat=True)[:batch_size])
    ids = list(
        matching.select_for_update(skip_locked=True).order_by('id').values_list('id', flat=True)[:batch_size]
    )
    if not ids:
        # Every job left may be held by someone else right now: wait for them rather than end early.
        return list(matching.select_for_update().order_by('id').values_list('id', flat=True)[:batch_size])
    within = matching.filter(id__lte=ids[-1])
    if within.count() > len(ids):
        held = within.exclude(id__in=ids).select_for_update().order_by('id').values_list('id', flat=True)
        ids = sorted([*ids, *held])
    return ids


def _cancel(operation, batch, now):
    """Cancels the jobs of the locked `batch` that are not COMPLETED or CANCELED; returns how many."""
    # The same change as job.services.executions.cancel_job: a RUNNING job's agent sees it within
    # seconds (stop_requested), stops the process and ends the execution CANCELED.
    return batch.filter(status__in=JOB_CANCELABLE_STATUSES).update(**canceled_fields(now))


def _requeue(operation, batch, now):
    """Requeues the jobs of the locked `batch` that are FAILED or CANCELED and not superseded."""
    # max_tries = num_exes + the job type's max_tries: the right-hand sides see the row before the
    # update, so num_exes is the old number there.
    type_max_tries = Subquery(JobType.objects.filter(id=OuterRef('job_type_id')).values('max_tries')[:1])
    fields = {**requeued_fields(now), 'max_tries': F('num_exes') + type_max_tries}
    if operation.priority is not None:
        fields['priority'] = operation.priority
    return batch.filter(status__in=JOB_REQUEUEABLE_STATUSES, is_superseded=False).update(**fields)


def _release(operation_id, owner):
    BulkOperation.objects.filter(pk=operation_id, lease_owner=owner).update(
        lease_owner=None, lease_expires=timezone.now(), last_modified=timezone.now()
    )


def _fail(operation_id, owner, exc):
    now = timezone.now()
    BulkOperation.objects.filter(pk=operation_id, lease_owner=owner, state=BulkOperationState.RUNNING).update(
        state=BulkOperationState.FAILED,
        error=f'{type(exc).__name__}: {exc}'[:2000],
        ended=now,
        lease_owner=None,
        lease_expires=None,
        last_modified=now,
    )


def _process_gone(owner):
    """Whether the lease holder `owner` (host:pid:nonce) was a process of this machine that is gone."""
    host, _, rest = (owner or '').partition(':')
    pid = rest.partition(':')[0]
    if host != socket.gethostname()[:60] or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_operations(now=None):
    """Re-enqueues every QUEUED or RUNNING operation whose task is gone: its lease expired (no batch
    committed for SCALE_BULK_LEASE_SECONDS), or it was held by a process of this machine that no
    longer exists (a worker killed and restarted). The lease is pushed forward as it is re-enqueued,
    so a sweep re-enqueues an operation once per lease. Returns the ids re-enqueued."""
    from job.tasks import run_bulk_operation

    now = now or timezone.now()
    recovered = []
    candidates = BulkOperation.objects.filter(state__in=BULK_ACTIVE_STATES).values_list(
        'id', 'lease_owner', 'lease_expires'
    )
    for operation_id, owner, expires in candidates:
        if not (expires is None or expires < now or _process_gone(owner)):
            continue
        with transaction.atomic():
            taken = BulkOperation.objects.filter(
                pk=operation_id, lease_owner=owner, lease_expires=expires
            ).update(lease_owner=None, lease_expires=now + _lease(), last_modified=now)
            if taken:
                run_bulk_operation.enqueue(operation_id)
                recovered.append(operation_id)
    if recovered:
        logger.warning('bulk operations %s had lost their task: re-enqueued', recovered)
    return recovered


@contextlib.contextmanager
def stop_on_signals():
    """While an operation runs in the worker's main thread, SIGTERM and SIGINT also ask it to stop
    after its current batch (the worker's own handler still runs)."""
    previous = {}
    _stop.clear()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = handler = signal.getsignal(signum)

            def stop(number, frame, handler=handler):
                _stop.set()
                if callable(handler):
                    handler(number, frame)

            signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _stop.clear()
