"""The node agent running real processes (node/agent/): outcomes, exit codes, timeouts, cancels and
logs. The agent runs in-process, one pass at a time from the test's thread (tests/node/agent_support.py)."""

import os
import time

import pytest

from job.choices import ErrorCategory, ExecutionStatus, JobStatus
from job.models import JobExecutionLog
from job.services.executions import cancel_job
from node.agent.logs import MAX_LINE_BYTES, TRUNCATED
from node.models import Node
from tests import factories
from tests.node.agent_support import (
    execution_ended,
    group_alive,
    lines,
    messages,
    run_execution,
    run_job,
    run_until,
    sh,
)

pytestmark = pytest.mark.django_db


def test_echo_completes_and_its_log_is_served(agent, client):
    job, execution = run_job(agent, sh('echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three'))

    assert execution.status == ExecutionStatus.COMPLETED
    assert execution.exit_code == 0 and execution.error is None and execution.pid
    assert job.status == JobStatus.COMPLETED
    assert job.output == execution.output == {'files': {}, 'json': {}}
    response = client.get(f'/v6/job-executions/{execution.id}/logs/combined/?format=json')
    assert response.status_code == 200
    body = b''.join(response.streaming_content).decode()
    import json

    hits = [hit['_source'] for hit in json.loads(body)['hits']['hits']]
    assert [(hit['stream'], hit['message'], hit['scale_order_num']) for hit in hits] == [
        ('stdout', 'one', 1),
        ('stderr', 'two', 2),
        ('stdout', 'three', 3),
    ]
    assert hits[0]['scale_node'] == agent.hostname
    stdout = client.get(f'/v6/job-executions/{execution.id}/logs/stdout/?format=txt')
    assert b''.join(stdout.streaming_content).decode() == 'one\nthree\n'
    assert Node.objects.get(pk=agent.node.pk).log_lines_ingested == 3


def test_a_plain_command_runs_without_a_shell(agent):
    _, execution = run_job(
        agent,
        'echo ${GREETING} $OUTPUT_DIR',
        job_type_options={'settings': [('GREETING', False)]},
        configuration={'settings': {'GREETING': 'hi there'}},
    )
    assert execution.status == ExecutionStatus.COMPLETED
    [line] = messages(execution)
    assert line.startswith('hi there /') and line.endswith(f'job_{execution.job_id}_1/output')


def test_mapped_exit_code_fails_with_the_manifest_error_and_is_not_retried(agent):
    job, execution = run_job(
        agent,
        sh('echo bad input >&2; exit 3'),
        job_type_options={'errors': [(3, 'bad-data', 'data'), (4, 'crash', 'job')], 'max_tries': 3},
    )

    assert execution.status == ExecutionStatus.FAILED and execution.exit_code == 3
    assert execution.error.name == 'bad-data' and execution.error.category == ErrorCategory.DATA
    assert job.status == JobStatus.FAILED and job.error_id == execution.error_id and job.num_exes == 1
    assert lines(execution) == [('stderr', 'bad input')]


def test_unmapped_exit_code_is_algorithm_unknown(agent):
    job, execution = run_job(agent, sh('exit 5'), job_type_options={'errors': [(3, 'bad-data', 'data')]})

    assert execution.status == ExecutionStatus.FAILED and execution.exit_code == 5
    assert execution.error.name == 'algorithm-unknown'
    assert job.status == JobStatus.FAILED and job.num_exes == 1


def test_a_job_past_its_timeout_is_killed_with_its_process_group(agent):
    # The shell and its sleep ignore SIGTERM: only the SIGKILL that follows ends them.
    started = time.monotonic()
    job, execution = run_job(
        agent, sh('trap "" TERM; echo started; sleep 30 & wait; sleep 30'), job_type_options={'timeout': 1}
    )

    assert time.monotonic() - started < 5
    assert execution.status == ExecutionStatus.FAILED and execution.error.name == 'timeout'
    assert execution.exit_code == 137  # SIGKILL
    assert job.status == JobStatus.FAILED and job.error.name == 'timeout'
    with pytest.raises(ProcessLookupError):
        os.kill(execution.pid, 0)
    assert not group_alive(execution.pid)
    assert messages(execution)[0] == 'started'
    assert 'past its timeout of 1 s' in messages(execution)[-1]


def test_cancel_stops_the_process_within_seconds(agent):
    job_type = factories.runnable_job_type(sh('echo started; sleep 30'))
    job = factories.queue_runnable(job_type)
    execution = factories.place(job, agent.node)
    run_until(agent, lambda: JobExecutionLog.objects.filter(job_exe=execution).exists())

    assert cancel_job(job.id)
    canceled = time.monotonic()
    execution = run_execution(agent, execution)

    assert time.monotonic() - canceled < 3
    assert execution.status == ExecutionStatus.CANCELED and execution.error is None
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED
    assert not group_alive(execution.pid)
    assert messages(execution) == ['started', '[scale-agent] the job was canceled: stopping its processes']


def test_a_job_canceled_before_the_agent_claims_it_never_starts(agent):
    job = factories.queue_runnable(factories.runnable_job_type(sh('echo should not run')))
    execution = factories.place(job, agent.node)
    cancel_job(job.id)

    run_until(agent, execution_ended(execution))

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELED and execution.pid is None and execution.launched
    assert messages(execution) == []


def test_a_command_that_cannot_start_is_a_retried_task_launch(agent):
    job, execution = run_job(agent, 'no-such-program-for-the-agent --flag')

    assert execution.status == ExecutionStatus.FAILED and execution.error.name == 'task-launch'
    assert job.status == JobStatus.QUEUED and job.num_exes == 2  # task-launch is retried
    [line] = messages(execution)
    assert line.startswith('[scale-agent] the command could not start') and 'no-such-program' in line


def test_a_command_that_shlex_cannot_split_fails_before_launch(agent):
    _, execution = run_job(agent, "echo 'unbalanced")

    assert execution.error.name == 'task-launch' and execution.pid is None
    assert 'cannot be split' in messages(execution)[0]


def test_logs_continue_after_lines_already_stored(agent):
    job = factories.queue_runnable(factories.runnable_job_type(sh('echo new')))
    execution = factories.place(job, agent.node)
    factories.log_lines(execution, [('stdout', 'old 1'), ('stderr', 'old 2')])

    run_execution(agent, execution)

    stored = list(
        JobExecutionLog.objects.filter(job_exe=execution)
        .order_by('scale_order_num')
        .values_list('scale_order_num', 'message')
    )
    assert stored == [(1, 'old 1'), (2, 'old 2'), (3, 'new')]


def test_long_lines_are_cut_and_nul_characters_replaced(agent):
    script = 'head -c 200000 /dev/zero | tr "\\0" x; echo; printf "a\\0b\\n"; echo after'
    _, execution = run_job(agent, sh(script))

    long_line, nul_line, after = messages(execution)
    assert long_line == 'x' * MAX_LINE_BYTES + TRUNCATED
    assert nul_line == 'a\ufffdb' and after == 'after'


def test_many_lines_are_stored_in_order_and_counted(agent):
    _, execution = run_job(agent, 'seq 1 5000')

    numbers = list(
        JobExecutionLog.objects.filter(job_exe=execution)
        .order_by('scale_order_num')
        .values_list('scale_order_num', 'message')
    )
    assert numbers == [(n, str(n)) for n in range(1, 5001)]
    assert Node.objects.get(pk=agent.node.pk).log_lines_ingested == 5000


def test_concurrent_executions_run_together(agent):
    job_type = factories.runnable_job_type(sh('sleep 0.5; echo done'))
    jobs = [factories.queue_runnable(job_type) for _ in range(4)]
    executions = [factories.place(job, agent.node) for job in jobs]
    started = time.monotonic()

    run_until(
        agent, lambda: all(execution_ended(execution)() for execution in executions) and not agent.runners
    )

    assert time.monotonic() - started < 1.8
    for execution in executions:
        execution.refresh_from_db()
        assert execution.status == ExecutionStatus.COMPLETED and messages(execution) == ['done']


def _demo_job_type(name):
    from django.conf import settings

    from job.services.job_types import create_job_type

    path = settings.BASE_DIR / 'fixtures' / 'demo' / 'job_types' / f'{name}.json'
    import json

    fixture = json.loads(path.read_text())
    return create_job_type(fixture['docker_image'], fixture['manifest'], fixture['configuration']).job_type


@pytest.mark.parametrize(
    ('name', 'data', 'status', 'error', 'log'),
    [
        (
            'sleep',
            {'json': {'DURATION': 0}},
            JobStatus.COMPLETED,
            None,
            [('stdout', 'sleeping 0s'), ('stdout', 'awake')],
        ),
        (
            'fail-with-code',
            {},
            JobStatus.FAILED,
            'demo-bad-input',
            [('stdout', 'checking the input'), ('stderr', 'the input is not usable')],
        ),
        ('fail-with-code', {'json': {'EXIT_CODE': 4}}, JobStatus.FAILED, 'demo-crash', None),
    ],
)
def test_the_demo_job_types_run(agent, name, data, status, error, log):
    job = factories.queue_runnable(_demo_job_type(name), data)
    execution = run_execution(agent, factories.place(job, agent.node))

    job.refresh_from_db()
    assert job.status == status
    assert (execution.error.name if execution.error else None) == error
    if log is not None:
        # Lines keep their order within a stream; stdout and stderr are separate pipes, read apart.
        stored = lines(execution)
        for stream in ('stdout', 'stderr'):
            assert [line for line in stored if line[0] == stream] == [
                line for line in log if line[0] == stream
            ]


@pytest.mark.slow
def test_the_demo_copy_file_job_type_runs(agent, tmp_path):
    root = tmp_path / 'demo'
    root.mkdir()
    (root / 'poem.txt').write_text('one\ntwo\nthree\n')
    workspace = factories.workspace('demo', json_config={'broker': {'type': 'host', 'host_path': str(root)}})
    poem = factories.scale_file(workspace, 'poem.txt', file_path='poem.txt', file_size=14)
    job = factories.queue_runnable(_demo_job_type('copy-file'), {'files': {'INPUT_FILE': [poem.id]}})
    execution = run_execution(agent, factories.place(job, agent.node), timeout=20)

    assert execution.status == ExecutionStatus.COMPLETED
    assert messages(execution)[0] == 'Hello, copying poem.txt' and messages(execution)[-1] == 'done'
    [copy] = execution.products.all()
    assert copy.file_name == 'copy-poem.txt' and copy.media_type == 'text/plain'
    assert (root / copy.file_path).read_text() == 'one\ntwo\nthree\n'
    assert execution.output == {'files': {'COPY': [copy.id]}, 'json': {'LINES': 3}}
