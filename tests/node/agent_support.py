"""Helpers of the node agent tests (their fixtures are in conftest.py): an in-process agent driven pass by pass from the
test's thread (so every database call happens in the test's transaction), and process checks that
work where nothing reaps orphaned zombies."""

import os
import shlex
import time

from job.choices import ExecutionStatus
from job.models import JobExecution, JobExecutionLog
from node.agent.agent import Agent
from tests import factories

RESOURCES = {'cpus': 4.0, 'mem': 4096.0, 'disk': 10000.0, 'gpus': 0.0}
# Small intervals: claim on every pass, look for stop requests five times a second.
FAST = {
    'claim_interval': 0.0,
    'stop_check_interval': 0.2,
    'kill_grace': 0.5,
    'drain_seconds': 1.0,
    'poll_interval': 0.02,
}


def sh(script, *args):
    """A Seed command running `script` with sh -c; `args` (placeholders...) follow as $1, $2..."""
    return ' '.join(['sh', '-c', shlex.quote(script), 'job', *args])


def make_agent(work_dir, hostname='agent-test.example', start=True, **options):
    agent = Agent(hostname, dict(RESOURCES), work_dir, **{**FAST, **options})
    if start:
        agent.start()
    return agent


def stop_agent(agent):
    """Kills what a test left running and releases the work directory."""
    for runner in list(agent.runners.values()):
        runner.abandon(time.monotonic())
        if runner.process is not None:
            runner.process.wait(5)
    agent.runners.clear()
    agent.close()


def run_until(agent, predicate, timeout=10.0):
    """Runs agent passes until predicate() is true; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agent.run_once()
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f'not reached within {timeout} s')


def execution_ended(execution):
    def ended():
        return JobExecution.objects.get(pk=execution.pk).status != ExecutionStatus.RUNNING

    return ended


def run_execution(agent, execution, timeout=10.0):
    """Runs the agent until `execution` ended and the agent is done with it; returns it refreshed."""
    run_until(agent, lambda: execution_ended(execution)() and execution.pk not in agent.runners, timeout)
    execution.refresh_from_db()
    return execution


def run_job(agent, command, *, data=None, configuration=None, job_type_options=None, timeout=10.0):
    """Registers a job type running `command`, queues and places a job of it on the agent's node and
    runs it to the end. Returns (job, execution), refreshed."""
    job_type = factories.runnable_job_type(command, **(job_type_options or {}))
    job = factories.queue_runnable(job_type, data, configuration)
    execution = run_execution(agent, factories.place(job, agent.node), timeout)
    job.refresh_from_db()
    return job, execution


def lines(execution):
    """The stored log of `execution`: [(stream, message)] in scale_order_num order."""
    return list(
        JobExecutionLog.objects.filter(job_exe=execution)
        .order_by('scale_order_num')
        .values_list('stream', 'message')
    )


def messages(execution):
    return [message for _, message in lines(execution)]


def group_alive(pgid):
    """Whether any live (non-zombie) process is in process group `pgid`."""
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/stat') as stat:
                fields = stat.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if fields[0] != 'Z' and int(fields[2]) == pgid:
            return True
    return False


def wait_for(predicate, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f'not reached within {timeout} s')
