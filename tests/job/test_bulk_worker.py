"""The real task worker (`manage.py db_worker` as a child process) doing a bulk requeue: killed with
SIGKILL mid-operation and restarted, it finishes with exact counts; stopped with SIGTERM, it stops
the operation after a batch and the next worker resumes it."""

import signal
import time

import pytest

from job.choices import BulkOperationState, JobStatus
from job.models import BulkOperation, Job
from tests import factories
from tests.job.bulk_support import operation_of
from tests.processes import needs_child_processes, start_manage, stop_all

pytestmark = pytest.mark.django_db(transaction=True)

JOBS = 20_000
BATCH = 100


@pytest.fixture
def start_worker(tmp_path):
    needs_child_processes()
    children = []

    def start():
        process, log = start_manage(
            ['db_worker', '--no-startup-delay', '--interval', '0.05'],
            tmp_path / f'worker-{len(children)}.log',
            SCALE_BULK_BATCH_SIZE=str(BATCH),
        )
        children.append((process, log))
        return process

    yield start
    stop_all(children)


def _failed_jobs(count):
    job_type = factories.job_type()
    event = factories.job(job_type, JobStatus.COMPLETED).event
    revision = job_type.revisions.get()
    Job.objects.bulk_create(
        (
            Job(job_type=job_type, job_type_rev=revision, event=event, status=JobStatus.FAILED, num_exes=1)
            for _ in range(count)
        ),
        batch_size=5000,
    )


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError(f'not reached within {timeout} s')


def _mid_operation(operation_id):
    operation = BulkOperation.objects.get(pk=operation_id)
    return operation if 3 * BATCH <= operation.processed < JOBS - 10 * BATCH else None


def _assert_exact(operation):
    requeued = Job.objects.filter(status=JobStatus.QUEUED, num_exes=2).count()
    assert operation.changed == requeued, (operation.changed, requeued)
    assert Job.objects.filter(num_exes__gt=2).count() == 0  # none requeued twice
    assert operation.processed == operation.changed + operation.skipped


def test_a_worker_killed_mid_operation_is_resumed_by_the_next_with_exact_counts(start_worker, staff_client):
    _failed_jobs(JOBS)
    response = staff_client.post('/v6/jobs/requeue/', {'status': 'FAILED'}, format='json')
    assert response.status_code == 202
    operation_id = response.json()['id']

    first = start_worker()
    _wait(lambda: _mid_operation(operation_id))
    first.send_signal(signal.SIGKILL)
    first.wait()

    stopped = operation_of(response)
    assert stopped.state == BulkOperationState.RUNNING and 0 < stopped.processed < JOBS
    _assert_exact(stopped)  # what committed is counted, and nothing more

    second = start_worker()  # finds the dead worker's operation at start and resumes it
    done = _wait(
        lambda: (
            (op := operation_of(response)).state in (BulkOperationState.COMPLETED, BulkOperationState.FAILED)
            and op
        ),
        timeout=120,
    )
    second.send_signal(signal.SIGTERM)
    assert second.wait(20) == 0

    assert done.state == BulkOperationState.COMPLETED, done.error
    assert (done.matched, done.processed, done.changed, done.skipped) == (JOBS, JOBS, JOBS, 0)
    _assert_exact(done)
    assert Job.objects.filter(status=JobStatus.QUEUED).count() == JOBS
    assert done.attempts == 2


def test_sigterm_stops_the_operation_after_a_batch_and_the_next_worker_resumes_it(start_worker, staff_client):
    _failed_jobs(JOBS)
    response = staff_client.post('/v6/jobs/requeue/', {'status': 'FAILED'}, format='json')
    first = start_worker()
    _wait(lambda: _mid_operation(response.json()['id']))

    first.send_signal(signal.SIGTERM)

    assert first.wait(20) == 0
    stopped = operation_of(response)
    assert stopped.state == BulkOperationState.RUNNING and stopped.processed < JOBS
    assert stopped.lease_owner is None
    _assert_exact(stopped)

    second = start_worker()
    done = _wait(
        lambda: (op := operation_of(response)).state == BulkOperationState.COMPLETED and op, timeout=120
    )
    second.send_signal(signal.SIGTERM)
    second.wait(20)
    assert (done.processed, done.changed) == (JOBS, JOBS)
    _assert_exact(done)
