"""The node agent's life: registering its node, shutting down (drain, then requeue what is left),
recovering after a predecessor died, and the bounded log buffer between readers and the loop."""

import threading
import time

import pytest
from django.utils import timezone

from job.choices import ExecutionStatus, JobStatus, LogStream
from job.models import JobExecution
from job.services.executions import complete_execution, fail_execution
from job.services.logs import LogLine
from node.agent.agent import AgentError
from node.agent.logs import LineBuffer
from node.models import Node
from tests import factories
from tests.node.agent_support import (
    group_alive,
    make_agent,
    messages,
    run_until,
    sh,
    stop_agent,
)

pytestmark = pytest.mark.django_db


def test_registering_updates_resources_and_heartbeat_but_not_the_operators_flags(tmp_path):
    before = timezone.now()
    factories.node('managed.example', is_paused=True, is_active=False, resources={'cpus': 1.0})
    agent = make_agent(tmp_path / 'work', hostname='managed.example')
    try:
        node = Node.objects.get(hostname='managed.example')
        assert node.resources == {'cpus': 4.0, 'mem': 4096.0, 'disk': 10000.0, 'gpus': 0.0}
        assert node.is_paused and not node.is_active and node.last_heartbeat >= before
    finally:
        stop_agent(agent)


def test_heartbeats(tmp_path):
    agent = make_agent(tmp_path / 'work', heartbeat_interval=0.05)
    try:
        first = Node.objects.get(pk=agent.node.pk).last_heartbeat
        time.sleep(0.1)
        agent.run_once()
        assert Node.objects.get(pk=agent.node.pk).last_heartbeat > first
    finally:
        stop_agent(agent)


def test_one_agent_per_work_directory(agent):
    with pytest.raises(AgentError, match='another agent'):
        make_agent(agent.work_dir, hostname='other.example')


def _queue_and_place(agent, command, **options):
    job = factories.queue_runnable(factories.runnable_job_type(command, **options))
    return job, factories.place(job, agent.node)


def test_shutdown_lets_short_executions_finish_and_requeues_the_rest(tmp_path):
    agent = make_agent(tmp_path / 'work', start=False, drain_seconds=1.0)
    agent.start()
    _short_job, short = _queue_and_place(agent, sh('sleep 0.5; echo finished'))
    long_job, long = _queue_and_place(agent, sh('echo started; sleep 30'))
    agent.close()  # run() takes the work directory again
    # The timer only counts a request, as the signal handler of run_node does.
    timer = threading.Timer(0.3, agent.request_shutdown)
    timer.start()
    started = time.monotonic()

    agent.run()

    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 4
    short.refresh_from_db()
    long.refresh_from_db()
    assert short.status == ExecutionStatus.COMPLETED and messages(short) == ['finished']
    assert long.status == ExecutionStatus.FAILED and long.error.name == 'node-lost'
    long_job.refresh_from_db()
    assert long_job.status == JobStatus.QUEUED and long_job.num_exes == 2  # runs again elsewhere
    assert messages(long)[0] == 'started' and 'shutting down' in messages(long)[-1]
    assert not group_alive(long.pid)
    assert not agent.runners


def test_nothing_is_claimed_while_draining(agent):
    agent.request_shutdown()
    _job, execution = _queue_and_place(agent, sh('echo hi'))
    for _ in range(5):
        agent.run_once()
    execution.refresh_from_db()
    assert execution.launched is None and execution.status == ExecutionStatus.RUNNING


def test_a_restarted_agent_kills_and_fails_what_its_predecessor_left(tmp_path):
    first = make_agent(tmp_path / 'work')
    job, execution = _queue_and_place(first, sh('echo started; sleep 30'))
    run_until(first, lambda: JobExecution.objects.get(pk=execution.pk).pid is not None)
    pid = JobExecution.objects.get(pk=execution.pk).pid
    assert group_alive(pid)
    leftover = first.runners[execution.pk].process
    first.close()  # the first agent "dies": it never polls again

    second = make_agent(tmp_path / 'work')
    try:
        assert not group_alive(pid)
        execution.refresh_from_db()
        assert execution.status == ExecutionStatus.FAILED and execution.error.name == 'node-lost'
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED and job.num_exes == 2
        assert 'restarted' in messages(execution)[-1]
        # Reports of the dead agent arriving late change nothing.
        assert not complete_execution(job.id, 1)
        assert fail_execution(job.id, 1, 'algorithm-unknown') == 'ignored'
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED and job.num_exes == 2
        assert not list((tmp_path / 'work').glob('job_*'))
    finally:
        leftover.wait(5)
        first.runners.clear()
        stop_agent(second)


def test_an_unrelated_process_with_a_recorded_pid_is_not_killed(tmp_path):
    import subprocess

    bystander = subprocess.Popen(['sleep', '30'], start_new_session=True)
    try:
        job = factories.queue_runnable(factories.runnable_job_type(sh('sleep 30')))
        node = factories.node('recovering.example')
        execution = factories.place(job, node)
        JobExecution.objects.filter(pk=execution.pk).update(launched=timezone.now(), pid=bystander.pid)
        agent = make_agent(tmp_path / 'work', hostname='recovering.example')
        try:
            execution.refresh_from_db()
            assert execution.error.name == 'node-lost'
            assert bystander.poll() is None  # its environment does not name the execution
        finally:
            stop_agent(agent)
    finally:
        bystander.kill()
        bystander.wait()


def _line(message):
    return LogLine(LogStream.STDOUT, message, None)


def test_line_buffer_applies_backpressure_and_keeps_order():
    buffer = LineBuffer(writers=1, max_chars=10, max_lines=3)
    done = threading.Event()

    def produce():
        for number in range(10):
            buffer.put(_line(str(number)))
        buffer.writer_done()
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    time.sleep(0.1)
    assert not done.is_set()  # blocked: the buffer holds at most 3 lines
    taken = []
    while not buffer.exhausted:
        taken += buffer.take(2)
        time.sleep(0.005)
    assert [line.message for line in taken] == [str(number) for number in range(10)]


def test_line_buffer_abort_releases_a_blocked_writer():
    buffer = LineBuffer(writers=1, max_chars=1, max_lines=1)
    buffer.put(_line('x'))
    writer = threading.Thread(target=buffer.put, args=(_line('y'),), daemon=True)
    writer.start()
    buffer.abort()
    writer.join(1)
    assert not writer.is_alive() and buffer.exhausted and buffer.take(10) == []
