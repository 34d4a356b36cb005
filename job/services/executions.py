"""Execution state changes: placing queued jobs on nodes, the outcomes agents report, cancels and lost
nodes (DESIGN.md section 4).

Every change is a conditional UPDATE whose WHERE clause names the state it expects (status, and the
execution number for anything an agent reports), so concurrent writers (two schedulers, an agent, a
cancel, a lost-node sweep) cannot both win, and a late report from an old execution changes nothing
(fencing). Lock order, where rows are locked: jobs before executions, by ascending id.
"""

import enum
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from psycopg.types.json import Jsonb

from job.choices import JOB_CANCELABLE_STATUSES, ExecutionStatus, JobStatus
from job.models import Error, Job, JobExecution, JobTypeRevision

PLACE_BATCH = 500
PLACE_BATCH_POSTGRESQL = 5000


class Outcome(enum.StrEnum):
    """What a failure report did."""

    REQUEUED = 'requeued'  # the error is retryable and tries remain: the job is QUEUED again
    FAILED = 'failed'  # the job is FAILED with the error
    EXECUTION_ONLY = 'execution_only'  # the execution ended; its job had already moved on (canceled...)
    IGNORED = 'ignored'  # no RUNNING execution (job id, exe_num): a late or repeated report


@dataclass(frozen=True)
class Placement:
    """The scheduler's decision: run execution `exe_num` of job `job_id` on node `node_id` with the
    allocated `resources`."""

    job_id: int
    exe_num: int
    node_id: int
    resources: dict


def _builtin_error(error):
    if isinstance(error, Error):
        return error
    return Error.objects.get(name=error, job_type_name__isnull=True)


def _lock_job(job_id):
    """Locks the job's row (lock order: a job before its executions) and returns (status, num_exes,
    max_tries, is_superseded), or None for a job that does not exist."""
    return (
        Job.objects.select_for_update()
        .filter(id=job_id)
        .values_list('status', 'num_exes', 'max_tries', 'is_superseded')
        .first()
    )


def _timeouts(revision_ids):
    revisions = JobTypeRevision.objects.filter(id__in=revision_ids).values_list('id', 'manifest')
    return {pk: ((manifest or {}).get('job') or {}).get('timeout') for pk, manifest in revisions}


def place_jobs(placements, now=None):
    """Starts the placed executions, in one transaction: each job still QUEUED at that exe_num moves
    to RUNNING on its node (started now) and gets its JobExecution (RUNNING, allocated resources,
    cluster_id, timeout from its revision's manifest). Jobs that changed meanwhile (canceled, already
    placed) or whose row another transaction holds are left out. Returns the ids of the placed jobs.
    """
    if not placements:
        return []
    now = now or timezone.now()
    wanted = {placement.job_id: placement for placement in placements}
    with transaction.atomic():
        if connection.vendor == 'postgresql':
            return _place_postgresql(list(wanted.values()), now)
        return _place_portable(wanted, now)


# One statement per batch: lock the jobs still QUEUED at the planned exe_num (skipping rows another
# transaction holds), move them to RUNNING, insert their executions from the updated rows. The
# scheduler places thousands of jobs a pass; this is the whole cost of persisting them.
_PLACE_SQL = """
WITH planned AS (
    SELECT * FROM unnest(%(ids)s::integer[], %(exe_nums)s::integer[], %(nodes)s::integer[],
                         %(resources)s::jsonb[]) AS p(job_id, exe_num, node_id, resources)
), locked AS (
    SELECT job.id FROM job JOIN planned ON planned.job_id = job.id
    WHERE job.status = 'QUEUED' AND job.num_exes = planned.exe_num
    ORDER BY job.id
    FOR UPDATE OF job SKIP LOCKED
), placed AS (
    UPDATE job SET status = 'RUNNING', node_id = planned.node_id, started = %(now)s, ended = NULL,
        error_id = NULL, queue_reason = NULL, last_status_change = %(now)s, last_modified = %(now)s
    FROM planned
    WHERE job.id = planned.job_id AND job.status = 'QUEUED' AND job.id IN (SELECT id FROM locked)
    RETURNING job.id, job.num_exes, job.job_type_id, job.job_type_rev_id, job.queued, job.input_file_size,
        job.configuration, planned.node_id, planned.resources
)
INSERT INTO job_exe (job_id, job_type_id, exe_num, status, cluster_id, node_id, timeout, input_file_size,
    resources, configuration, created, queued, started, last_modified)
SELECT placed.id, placed.job_type_id, placed.num_exes, 'RUNNING',
    'scale_job_' || placed.id || '_' || placed.num_exes, placed.node_id,
    CASE WHEN jsonb_typeof(revision.manifest -> 'job' -> 'timeout') = 'number'
        THEN (revision.manifest -> 'job' ->> 'timeout')::numeric::integer END,
    placed.input_file_size, placed.resources, COALESCE(placed.configuration, '{}'::jsonb),
    %(now)s, placed.queued, %(now)s, %(now)s
FROM placed JOIN job_type_revision AS revision ON revision.id = placed.job_type_rev_id
ORDER BY placed.id
RETURNING job_id
"""


def _place_postgresql(placements, now):
    placed = []
    with connection.cursor() as cursor:
        for start in range(0, len(placements), PLACE_BATCH_POSTGRESQL):
            batch = placements[start : start + PLACE_BATCH_POSTGRESQL]
            cursor.execute(
                _PLACE_SQL,
                {
                    'ids': [placement.job_id for placement in batch],
                    'exe_nums': [placement.exe_num for placement in batch],
                    'nodes': [placement.node_id for placement in batch],
                    'resources': [Jsonb(placement.resources or {}) for placement in batch],
                    'now': now,
                },
            )
            placed.extend(row[0] for row in cursor.fetchall())
    return placed


def _place_portable(wanted, now):
    rows = (
        Job.objects.select_for_update(skip_locked=True)
        .filter(id__in=wanted, status=JobStatus.QUEUED)
        .order_by('id')
        .values_list(
            'id',
            'num_exes',
            'job_type_id',
            'job_type_rev_id',
            'queued',
            'input_file_size',
            'configuration',
        )
    )
    rows = [row for row in rows if row[1] == wanted[row[0]].exe_num]
    if not rows:
        return []
    timeouts = _timeouts({row[3] for row in rows})
    placed = []
    for start in range(0, len(rows), PLACE_BATCH):
        batch = rows[start : start + PLACE_BATCH]
        ids = [row[0] for row in batch]
        Job.objects.filter(id__in=ids, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING,
            node_id=Case(
                *(When(id=job_id, then=Value(wanted[job_id].node_id)) for job_id in ids),
                output_field=IntegerField(),
            ),
            started=now,
            ended=None,
            error=None,
            queue_reason=None,
            last_status_change=now,
            last_modified=now,
        )
        JobExecution.objects.bulk_create(
            JobExecution(
                job_id=job_id,
                job_type_id=job_type_id,
                exe_num=exe_num,
                status=ExecutionStatus.RUNNING,
                cluster_id=f'scale_job_{job_id}_{exe_num}',
                node_id=wanted[job_id].node_id,
                timeout=timeouts.get(revision_id),
                input_file_size=input_file_size,
                resources=wanted[job_id].resources,
                configuration=configuration or {},
                created=now,
                queued=queued,
                started=now,
            )
            for job_id, exe_num, job_type_id, revision_id, queued, input_file_size, configuration in batch
        )
        placed.extend(ids)
    return placed


def claim_execution(execution_id, pid=None, now=None):
    """The node's agent claims a RUNNING execution it has not started yet (stamps `launched`, and the
    process id when known). True when this call claimed it; False when it was claimed before or has
    ended (canceled, lost) — the agent must then not run it."""
    now = now or timezone.now()
    return bool(
        JobExecution.objects.filter(
            id=execution_id, status=ExecutionStatus.RUNNING, launched__isnull=True
        ).update(launched=now, pid=pid, last_modified=now)
    )


def record_pid(execution_id, pid):
    JobExecution.objects.filter(id=execution_id, status=ExecutionStatus.RUNNING).update(pid=pid)


def complete_execution(job_id, exe_num, *, exit_code=0, output=None, now=None):
    """Execution `exe_num` of job `job_id` ended well: the execution is COMPLETED with `output` (v6 data
    JSON of the produced files and json outputs), and so is the job if it is still RUNNING at that
    execution. Returns False (nothing changed) when that execution is not RUNNING."""
    now = now or timezone.now()
    output = output or {'files': {}, 'json': {}}
    with transaction.atomic():
        if _lock_job(job_id) is None:
            return False
        ended = JobExecution.objects.filter(
            job_id=job_id, exe_num=exe_num, status=ExecutionStatus.RUNNING
        ).update(
            status=ExecutionStatus.COMPLETED, ended=now, exit_code=exit_code, output=output, last_modified=now
        )
        if not ended:
            return False
        Job.objects.filter(id=job_id, num_exes=exe_num, status=JobStatus.RUNNING).update(
            status=JobStatus.COMPLETED,
            output=output,
            ended=now,
            last_status_change=now,
            last_modified=now,
        )
    return True


def fail_execution(job_id, exe_num, error, *, exit_code=None, now=None):
    """Execution `exe_num` of job `job_id` failed with `error` (an Error or a builtin error's name).

    The execution ends FAILED. Its job, if still RUNNING at that execution, is requeued when the error
    should be retried, tries remain (num_exes < max_tries) and it is not superseded (QUEUED again,
    num_exes + 1, node, error, started and ended cleared); otherwise it is FAILED with the error.
    Returns an Outcome; IGNORED when that execution is not RUNNING (a late or repeated report).
    """
    now = now or timezone.now()
    error = _builtin_error(error)
    with transaction.atomic():
        job = _lock_job(job_id)
        if job is None:
            return Outcome.IGNORED
        ended = JobExecution.objects.filter(
            job_id=job_id, exe_num=exe_num, status=ExecutionStatus.RUNNING
        ).update(
            status=ExecutionStatus.FAILED, error=error, ended=now, exit_code=exit_code, last_modified=now
        )
        if not ended:
            return Outcome.IGNORED
        status, num_exes, max_tries, is_superseded = job
        current = Job.objects.filter(id=job_id, num_exes=exe_num, status=JobStatus.RUNNING)
        if status != JobStatus.RUNNING or num_exes != exe_num:
            return Outcome.EXECUTION_ONLY
        if error.should_be_retried and num_exes < max_tries and not is_superseded:
            current.update(**requeued_fields(now))
            return Outcome.REQUEUED
        current.update(
            status=JobStatus.FAILED, error=error, ended=now, last_status_change=now, last_modified=now
        )
        return Outcome.FAILED


def cancel_execution(job_id, exe_num, *, exit_code=None, now=None):
    """The agent stopped execution `exe_num` of job `job_id` because its job was canceled or moved on:
    the execution ends CANCELED. The job is not changed (cancel_job did that). False when that
    execution is not RUNNING."""
    now = now or timezone.now()
    with transaction.atomic():
        if _lock_job(job_id) is None:
            return False
        return bool(
            JobExecution.objects.filter(
                job_id=job_id, exe_num=exe_num, status=ExecutionStatus.RUNNING
            ).update(status=ExecutionStatus.CANCELED, ended=now, exit_code=exit_code, last_modified=now)
        )


def cancel_job(job_id, now=None):
    """Cancels job `job_id` unless it is COMPLETED or CANCELED already: status CANCELED, ended now, node,
    error and queue reason cleared. A RUNNING execution is left to its agent, which sees the cancel
    (stop_requested) within seconds, stops the process and reports the execution CANCELED.
    Returns whether the job was changed."""
    now = now or timezone.now()
    return bool(
        Job.objects.filter(id=job_id, status__in=JOB_CANCELABLE_STATUSES).update(**canceled_fields(now))
    )


def canceled_fields(now):
    """What a cancel writes on a job that is not COMPLETED or CANCELED (cancel_job, bulk cancel)."""
    return {
        'status': JobStatus.CANCELED,
        'node': None,
        'error': None,
        'queue_reason': None,
        'ended': now,
        'last_status_change': now,
        'last_modified': now,
    }


def requeued_fields(now):
    """What queueing a job again writes: its next execution number, cleared node, error, times and
    reason (an automatic retry in fail_execution, bulk requeue)."""
    return {
        'status': JobStatus.QUEUED,
        'num_exes': F('num_exes') + 1,
        'node': None,
        'error': None,
        'started': None,
        'ended': None,
        'queue_reason': None,
        'queued': now,
        'last_status_change': now,
        'last_modified': now,
    }


def stop_requested(executions):
    """Of `executions` ((job id, exe_num) pairs an agent runs), those whose job is no longer RUNNING at
    that execution (canceled, failed or requeued by a lost-node sweep, superseded by a newer
    execution): their processes must stop. One query."""
    executions = set(executions)
    if not executions:
        return set()
    current = set(
        Job.objects.filter(id__in={job_id for job_id, _ in executions}, status=JobStatus.RUNNING).values_list(
            'id', 'num_exes'
        )
    )
    return executions - current


def fail_lost_executions(node_ids, now=None):
    """Fails every RUNNING execution on the nodes `node_ids` (their agents stopped heartbeating) with
    `node-lost`, which is retried: each job runs again elsewhere while tries remain. Returns the
    number of executions failed."""
    now = now or timezone.now()
    lost = list(
        JobExecution.objects.filter(node_id__in=node_ids, status=ExecutionStatus.RUNNING)
        .order_by('job_id')
        .values_list('job_id', 'exe_num')
    )
    error = _builtin_error('node-lost')
    return sum(fail_execution(job_id, exe_num, error, now=now) != Outcome.IGNORED for job_id, exe_num in lost)
