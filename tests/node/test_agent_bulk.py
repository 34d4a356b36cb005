"""Bulk cancel and requeue reaching real processes: a bulk cancel stops the running jobs' processes
and their executions end CANCELED; a bulk requeue runs FAILED and CANCELED jobs again."""

import pytest

from job.choices import ExecutionStatus, JobStatus
from job.models import JobExecution, JobExecutionLog
from tests import factories
from tests.job.bulk_support import operation_of, run_worker
from tests.node.agent_support import group_alive, messages, run_execution, run_until, sh

pytestmark = pytest.mark.django_db


def test_a_bulk_cancel_stops_running_processes_and_cancels_queued_jobs(agent, staff_client):
    job_type = factories.runnable_job_type(sh('echo started; sleep 30'))
    running = [factories.queue_runnable(job_type) for _ in range(2)]
    executions = [factories.place(job, agent.node) for job in running]
    queued = factories.queue_runnable(job_type)
    run_until(agent, lambda: JobExecutionLog.objects.filter(job_exe__in=executions).count() == 2)

    response = staff_client.post('/v6/jobs/cancel/', {'job_type_ids': [job_type.id]}, format='json')
    run_worker()
    for execution in executions:
        execution = run_execution(agent, execution)
        assert execution.status == ExecutionStatus.CANCELED
        assert not group_alive(execution.pid)
        assert messages(execution)[-1] == '[scale-agent] the job was canceled: stopping its processes'

    for job in [*running, queued]:
        job.refresh_from_db()
        assert job.status == JobStatus.CANCELED
    operation = operation_of(response)
    assert (operation.matched, operation.changed, operation.skipped) == (3, 3, 0)


def test_a_bulk_requeue_runs_failed_and_canceled_jobs_again(agent, staff_client):
    # Fails on its first execution, succeeds on the next.
    job_type = factories.runnable_job_type(
        sh('echo "exe $SCALE_EXE_NUM"; [ "$SCALE_EXE_NUM" -gt 1 ] || exit 1'), max_tries=1
    )
    failed = factories.queue_runnable(job_type)
    first = run_execution(agent, factories.place(failed, agent.node))
    assert first.status == ExecutionStatus.FAILED
    canceled = factories.queue_runnable(job_type)
    staff_client.post('/v6/jobs/cancel/', {'job_ids': [canceled.id]}, format='json')
    run_worker()
    failed.refresh_from_db()
    assert failed.status == JobStatus.FAILED

    response = staff_client.post(
        '/v6/jobs/requeue/', {'job_type_names': [job_type.name], 'priority': 10}, format='json'
    )
    run_worker()

    assert operation_of(response).changed == 2
    for job in (failed, canceled):
        job.refresh_from_db()
        assert (job.status, job.priority) == (JobStatus.QUEUED, 10)
        execution = run_execution(agent, factories.place(job, agent.node))
        assert execution.status == ExecutionStatus.COMPLETED
        assert messages(execution) == [f'exe {job.num_exes}']
        job.refresh_from_db()
        assert job.status == JobStatus.COMPLETED
    assert JobExecution.objects.filter(job=failed).count() == 2
