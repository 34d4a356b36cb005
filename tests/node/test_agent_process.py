"""`manage.py run_node` as a real child process: SIGTERM drains it, SIGKILL loses its execution,
which the scheduler's lost-node sweep fails and places again elsewhere while late reports of the dead
agent are ignored.

The child opens the test database (tests/processes.py): PostgreSQL only. On SQLite they are
skipped; the same paths are covered in-process by test_agent_lifecycle.py.
"""

import datetime
import signal

import pytest
from django.utils import timezone

from job.choices import ExecutionStatus, JobStatus
from job.models import JobExecution
from job.services.executions import Outcome, cancel_execution, complete_execution, fail_execution
from node.models import Node
from node.scheduler import run_pass
from tests import factories
from tests.node.agent_support import (
    group_alive,
    make_agent,
    messages,
    run_execution,
    sh,
    stop_agent,
    wait_for,
)
from tests.processes import needs_child_processes, start_manage, stop_all

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def start_agent(tmp_path):
    """Starts `manage.py run_node` against the test database; returns (process, node) once the node
    is registered. Kills what is left at the end."""
    needs_child_processes()
    factories.error('node-lost')  # the builtin errors (a transactional test may have emptied them)
    children = []

    def start(hostname, *options):
        process, log = start_manage(
            [
                'run_node',
                '--hostname',
                hostname,
                '--cpus',
                '4',
                '--mem',
                '4096',
                '--disk',
                '1000',
                '--work-dir',
                str(tmp_path / 'work'),
                *options,
            ],
            tmp_path / f'{hostname}.log',
            SCALE_VAR_DIR=str(tmp_path / 'var'),
            SCALE_HEARTBEAT_INTERVAL='0.2',
        )
        children.append((process, log))
        wait_for(lambda: Node.objects.filter(hostname=hostname).exists() or process.poll() is not None)
        assert process.poll() is None, (tmp_path / f'{hostname}.log').read_text()
        return process, Node.objects.get(hostname=hostname)

    yield start
    stop_all(children)


def _launched(execution):
    return lambda: JobExecution.objects.get(pk=execution.pk).pid is not None


def test_sigterm_drains_then_requeues_what_is_still_running(start_agent):
    process, node = start_agent('draining.example', '--drain-seconds', '1.5', '--kill-grace', '0.5')
    short_job = factories.queue_runnable(factories.runnable_job_type(sh('sleep 0.5; echo finished')))
    long_job = factories.queue_runnable(factories.runnable_job_type(sh('echo started; sleep 30')))
    short, long = factories.place(short_job, node), factories.place(long_job, node)
    wait_for(lambda: _launched(short)() and _launched(long)())

    process.send_signal(signal.SIGTERM)

    assert process.wait(10) == 0
    short.refresh_from_db()
    long.refresh_from_db()
    assert short.status == ExecutionStatus.COMPLETED and messages(short) == ['finished']
    assert long.status == ExecutionStatus.FAILED and long.error.name == 'node-lost'
    long_job.refresh_from_db()
    assert long_job.status == JobStatus.QUEUED and long_job.num_exes == 2
    assert messages(long)[0] == 'started' and 'shutting down' in messages(long)[-1]
    assert not group_alive(long.pid)


def test_an_agent_killed_mid_run_loses_the_execution_which_runs_again_elsewhere(
    start_agent, settings, tmp_path
):
    settings.SCALE_NODE_TIMEOUT = 1.0
    process, node = start_agent('killed.example')
    # The first execution hangs; the retry finishes at once.
    script = 'echo "started $SCALE_EXE_NUM"; if [ "$SCALE_EXE_NUM" = 1 ]; then sleep 30; fi; echo done'
    job = factories.queue_runnable(factories.runnable_job_type(sh(script)))
    assert run_pass().placed == 1
    execution = JobExecution.objects.get(job=job, exe_num=1)
    assert execution.node_id == node.id
    wait_for(_launched(execution))
    pid = JobExecution.objects.get(pk=execution.pk).pid

    process.kill()
    process.wait()

    assert group_alive(pid)  # the job outlives its agent
    rescue = make_agent(tmp_path / 'rescue', hostname='rescue.example')
    try:
        # Until the node's heartbeat is older than SCALE_NODE_TIMEOUT, its execution still runs.
        timeout = datetime.timedelta(seconds=settings.SCALE_NODE_TIMEOUT)
        wait_for(lambda: timezone.now() - Node.objects.get(pk=node.pk).last_heartbeat > timeout, timeout=5)
        rescue.heartbeat()
        result = run_pass()
        assert result.lost_executions == 1 and result.placed == 1
        execution.refresh_from_db()
        assert execution.status == ExecutionStatus.FAILED and execution.error.name == 'node-lost'
        retry = JobExecution.objects.get(job=job, exe_num=2)
        assert retry.node_id == rescue.node.id and retry.status == ExecutionStatus.RUNNING

        # Late reports of the lost execution change nothing, not even while the retry runs.
        assert not complete_execution(job.id, 1, output={'files': {}, 'json': {'late': True}})
        assert fail_execution(job.id, 1, 'algorithm-unknown') == Outcome.IGNORED
        assert not cancel_execution(job.id, 1)
        execution.refresh_from_db()
        assert execution.status == ExecutionStatus.FAILED and execution.error.name == 'node-lost'

        retry = run_execution(rescue, retry)
        assert retry.status == ExecutionStatus.COMPLETED and messages(retry) == ['started 2', 'done']
        job.refresh_from_db()
        assert job.status == JobStatus.COMPLETED and job.num_exes == 2 and job.node_id == rescue.node.id
        assert job.output == {'files': {}, 'json': {}}
    finally:
        stop_agent(rescue)

    # The next agent of the lost node finds the orphaned process by its pid file and kills it.
    agent = make_agent(tmp_path / 'work', hostname='killed.example')
    try:
        assert not group_alive(pid)
    finally:
        stop_agent(agent)
