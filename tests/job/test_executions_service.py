"""job/services/executions.py: every state change checks the state it expects (DESIGN.md section 4)."""

import pytest
from django.db import IntegrityError

from job.choices import ExecutionStatus, JobStatus
from job.models import Job, JobExecution
from job.services import executions
from job.services.executions import Outcome, Placement
from tests import factories
from tests.concurrency import needs_concurrent_writers, run_together

pytestmark = pytest.mark.django_db

RESOURCES = {'cpus': 1.0, 'mem': 256.0, 'disk': 10.0, 'gpus': 0.0}


@pytest.fixture
def node():
    return factories.node('worker-1')


def queued(**fields):
    return factories.job(status=JobStatus.QUEUED, priority=5, **fields)


def place(job, node):
    job.refresh_from_db()
    placed = executions.place_jobs([Placement(job.id, job.num_exes, node.id, RESOURCES)])
    job.refresh_from_db()
    return placed


def test_placing_starts_an_execution_and_runs_the_job(node):
    job = queued()
    factories.set_fields(job, queue_reason='waiting for 1 cpus')

    assert place(job, node) == [job.id]

    assert (job.status, job.node_id, job.queue_reason) == (JobStatus.RUNNING, node.id, None)
    assert job.started is not None and job.ended is None
    execution = JobExecution.objects.get(job=job)
    assert (execution.exe_num, execution.status, execution.node_id) == (1, ExecutionStatus.RUNNING, node.id)
    assert execution.resources == RESOURCES
    assert execution.cluster_id == f'scale_job_{job.id}_1'
    assert execution.timeout == 600
    assert execution.started == job.started and execution.launched is None


def test_only_queued_jobs_at_that_exe_num_are_placed(node):
    canceled = queued()
    executions.cancel_job(canceled.id)
    stale = queued()
    fresh = queued()

    placed = executions.place_jobs(
        [
            Placement(canceled.id, 1, node.id, RESOURCES),
            Placement(stale.id, 2, node.id, RESOURCES),  # the job is at exe 1
            Placement(fresh.id, 1, node.id, RESOURCES),
        ]
    )

    assert placed == [fresh.id]
    assert JobExecution.objects.count() == 1
    assert executions.place_jobs([Placement(fresh.id, 1, node.id, RESOURCES)]) == []  # placed already


def test_an_execution_number_is_never_used_twice(node):
    job = queued()
    place(job, node)

    with pytest.raises(IntegrityError):
        JobExecution.objects.create(job=job, job_type_id=job.job_type_id, exe_num=1)


def test_only_one_claim_wins(node):
    job = queued()
    place(job, node)
    execution = JobExecution.objects.get(job=job)

    assert executions.claim_execution(execution.id, pid=1234) is True
    assert executions.claim_execution(execution.id, pid=999) is False
    execution.refresh_from_db()
    assert (execution.pid, execution.launched is not None) == (1234, True)


def test_a_canceled_execution_cannot_be_claimed(node):
    job = queued()
    place(job, node)
    execution = JobExecution.objects.get(job=job)
    executions.cancel_job(job.id)
    executions.cancel_execution(job.id, 1)

    assert executions.claim_execution(execution.id) is False


def test_completion(node):
    job = queued()
    place(job, node)
    output = {'files': {'OUT': [7]}, 'json': {'LINES': 3}}

    assert executions.complete_execution(job.id, 1, output=output) is True

    job.refresh_from_db()
    execution = JobExecution.objects.get(job=job)
    assert (job.status, job.output, job.ended is not None) == (JobStatus.COMPLETED, output, True)
    assert (execution.status, execution.exit_code, execution.output) == (ExecutionStatus.COMPLETED, 0, output)
    # A repeated or late report changes nothing.
    assert executions.complete_execution(job.id, 1) is False
    assert executions.fail_execution(job.id, 1, 'node-lost') == Outcome.IGNORED
    job.refresh_from_db()
    assert job.status == JobStatus.COMPLETED


def test_a_retryable_error_requeues_while_tries_remain(node):
    job = queued(max_tries=2)
    place(job, node)

    assert executions.fail_execution(job.id, 1, 'node-lost') == Outcome.REQUEUED

    job.refresh_from_db()
    assert (job.status, job.num_exes, job.node_id, job.error_id, job.started) == (
        JobStatus.QUEUED,
        2,
        None,
        None,
        None,
    )
    first = JobExecution.objects.get(job=job, exe_num=1)
    assert (first.status, first.error.name) == (ExecutionStatus.FAILED, 'node-lost')

    place(job, node)
    assert executions.fail_execution(job.id, 2, 'node-lost') == Outcome.FAILED
    job.refresh_from_db()
    assert (job.status, job.num_exes, job.error.name) == (JobStatus.FAILED, 2, 'node-lost')
    assert job.ended is not None


def test_a_non_retryable_error_fails_at_once(node):
    job = queued(max_tries=5)
    place(job, node)

    assert executions.fail_execution(job.id, 1, 'algorithm-unknown', exit_code=3) == Outcome.FAILED

    job.refresh_from_db()
    assert (job.status, job.error.name, job.num_exes) == (JobStatus.FAILED, 'algorithm-unknown', 1)
    assert JobExecution.objects.get(job=job).exit_code == 3


def test_a_superseded_job_is_not_retried(node):
    job = queued(max_tries=5, is_superseded=True)
    place(job, node)

    assert executions.fail_execution(job.id, 1, 'node-lost') == Outcome.FAILED


def test_a_report_for_another_execution_is_ignored(node):
    job = queued(max_tries=3)
    place(job, node)
    executions.fail_execution(job.id, 1, 'node-lost')  # requeued at exe 2
    place(job, node)

    # The lost execution's agent reports late: nothing changes.
    assert executions.complete_execution(job.id, 1) is False
    assert executions.fail_execution(job.id, 1, 'algorithm-unknown') == Outcome.IGNORED
    assert executions.cancel_execution(job.id, 1) is False
    job.refresh_from_db()
    assert (job.status, job.num_exes) == (JobStatus.RUNNING, 2)
    assert JobExecution.objects.get(job=job, exe_num=2).status == ExecutionStatus.RUNNING


def test_reports_for_unknown_jobs_are_ignored():
    assert executions.complete_execution(987654, 1) is False
    assert executions.fail_execution(987654, 1, 'node-lost') == Outcome.IGNORED
    assert executions.cancel_execution(987654, 1) is False


@pytest.mark.parametrize('status', [JobStatus.PENDING, JobStatus.BLOCKED, JobStatus.QUEUED, JobStatus.FAILED])
def test_cancel_a_job_that_is_not_running(status):
    job = factories.job(status=status)

    assert executions.cancel_job(job.id) is True

    job.refresh_from_db()
    assert (job.status, job.error_id, job.node_id) == (JobStatus.CANCELED, None, None)
    assert job.ended is not None


@pytest.mark.parametrize('status', [JobStatus.COMPLETED, JobStatus.CANCELED])
def test_finished_jobs_are_not_canceled(status):
    job = factories.job(status=status)

    assert executions.cancel_job(job.id) is False
    job.refresh_from_db()
    assert job.status == status


def test_canceling_a_running_job_asks_its_agent_to_stop(node):
    running, other = queued(), queued()
    place(running, node)
    place(other, node)

    assert executions.stop_requested({(running.id, 1), (other.id, 1)}) == set()
    executions.cancel_job(running.id)
    assert executions.stop_requested({(running.id, 1), (other.id, 1)}) == {(running.id, 1)}

    assert executions.cancel_execution(running.id, 1) is True
    running.refresh_from_db()
    assert running.status == JobStatus.CANCELED
    assert JobExecution.objects.get(job=running).status == ExecutionStatus.CANCELED
    # The process ended well before the kill: the job stays CANCELED.
    assert executions.complete_execution(other.id, 1) is True
    assert executions.stop_requested({(other.id, 1)}) == {(other.id, 1)}


def test_an_execution_that_finishes_after_its_cancel_leaves_the_job_canceled(node):
    job = queued()
    place(job, node)
    executions.cancel_job(job.id)

    assert executions.complete_execution(job.id, 1) is True

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED
    assert JobExecution.objects.get(job=job).status == ExecutionStatus.COMPLETED


def test_a_requeue_by_a_lost_node_sweep_stops_the_old_process(node):
    job = queued(max_tries=3)
    place(job, node)

    assert executions.fail_lost_executions([node.id]) == 1

    assert executions.stop_requested({(job.id, 1)}) == {(job.id, 1)}
    job.refresh_from_db()
    assert (job.status, job.num_exes) == (JobStatus.QUEUED, 2)


def test_lost_nodes_fail_only_their_running_executions(node):
    other_node = factories.node('worker-2')
    lost, safe, done = queued(), queued(), queued()
    place(lost, node)
    place(safe, other_node)
    place(done, node)
    executions.complete_execution(done.id, 1)

    assert executions.fail_lost_executions([node.id]) == 1

    assert JobExecution.objects.get(job=lost).status == ExecutionStatus.FAILED
    assert JobExecution.objects.get(job=safe).status == ExecutionStatus.RUNNING
    assert JobExecution.objects.get(job=done).status == ExecutionStatus.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_concurrent_placements_of_one_job_make_one_execution():
    needs_concurrent_writers()
    nodes = [factories.node(f'racer-{index}') for index in range(4)]
    jobs = [queued() for _ in range(20)]

    def work(index):
        return executions.place_jobs([Placement(job.id, 1, nodes[index].id, RESOURCES) for job in jobs])

    results = run_together(4, work)

    assert not [result for result in results if isinstance(result, Exception)], results
    placed = [job_id for result in results for job_id in result]
    assert sorted(placed) == sorted(job.id for job in jobs)
    assert JobExecution.objects.count() == 20
    for job in Job.objects.all():
        assert job.node_id == JobExecution.objects.get(job=job).node_id


@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_a_completion_and_a_lost_node_sweep_leaves_one_consistent_end():
    needs_concurrent_writers()
    node = factories.node('contested')
    jobs = [queued(max_tries=1) for _ in range(10)]
    executions.place_jobs([Placement(job.id, 1, node.id, RESOURCES) for job in jobs])

    def work(index):
        for job in jobs:
            if index == 0:
                executions.cancel_job(job.id)
            elif index == 1:
                executions.complete_execution(job.id, 1)
            else:
                executions.fail_execution(job.id, 1, 'node-lost')

    results = run_together(3, work)

    assert not [result for result in results if isinstance(result, Exception)], results
    for job in Job.objects.all():
        execution = JobExecution.objects.get(job=job)
        assert execution.status != ExecutionStatus.RUNNING
        if execution.status == ExecutionStatus.COMPLETED:
            assert job.status in (JobStatus.COMPLETED, JobStatus.CANCELED)
        else:
            assert execution.status == ExecutionStatus.FAILED
            assert job.status in (JobStatus.FAILED, JobStatus.CANCELED)
