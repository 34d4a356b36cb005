"""What a job gets and gives under the node agent: input values as data, input files, settings and
secrets, a minimal environment; output files registered as products and json outputs checked."""

import json
import logging
import os

import pytest

from job.choices import ExecutionStatus, FileType, JobStatus
from job.models import Job, JobExecution, ScaleFile, SecretSetting
from tests import factories
from tests.factories import dt
from tests.node.agent_support import (
    messages,
    run_job,
    sh,
)

pytestmark = pytest.mark.django_db

HOSTILE = '; rm -rf / $(id) `id` && echo pwned > /tmp/pwned "\' $HOME'
PRINT_ARGS = 'for arg in "$@"; do printf "[%s]\\n" "$arg"; done'


def test_hostile_input_values_reach_the_process_as_data(agent, tmp_path):
    _, execution = run_job(
        agent,
        # As an argv element, inside one, and read by a shell script from the environment.
        sh(PRINT_ARGS + '; printf "env[%s]\\n" "$VALUE"', '${VALUE}', 'x${VALUE}y'),
        data={'json': {'VALUE': HOSTILE}},
        job_type_options={'json_inputs': [('VALUE', 'string', True)]},
    )

    assert execution.status == ExecutionStatus.COMPLETED
    assert messages(execution) == [f'[{HOSTILE}]', f'[x{HOSTILE}y]', f'env[{HOSTILE}]']


def test_json_inputs_are_compact_json_and_absent_optional_ones_expand_to_nothing(agent):
    _, execution = run_job(
        agent,
        sh(
            PRINT_ARGS + '; echo "count=$#"; echo "env=${OPTIONAL-unset}"',
            '${OPTIONAL}',
            '${SIZES}',
            '${UNDECLARED}',
        ),
        data={'json': {'SIZES': {'a': [1, 2.5, True, None]}}},
        job_type_options={'json_inputs': [('OPTIONAL', 'string', False), ('SIZES', 'object', True)]},
    )

    assert messages(execution) == [
        '[]',
        '[{"a":[1,2.5,true,null]}]',
        '[${UNDECLARED}]',
        'count=3',
        'env=unset',
    ]


def test_the_environment_is_minimal(agent, monkeypatch):
    monkeypatch.setenv('DATABASE_URL', 'postgres://agent:password@db.invalid/scale')
    monkeypatch.setenv('SECRET_KEY', 'the-service-secret-key')
    job, execution = run_job(agent, 'env', job_type_options={'scalars': [{'name': 'cpus', 'value': 0.5}]})

    env = dict(line.split('=', 1) for line in messages(execution))
    work_dir = os.path.join(agent.work_dir, f'job_{job.id}_1')
    assert env == {
        'PATH': '/usr/local/bin:/usr/bin:/bin',
        'HOME': work_dir,
        'LANG': 'C.UTF-8',
        'OUTPUT_DIR': os.path.join(work_dir, 'output'),
        'ALLOCATED_CPUS': '0.5',
        'ALLOCATED_MEM': '128',
        'ALLOCATED_DISK': '0',
        'ALLOCATED_GPUS': '0',
        'SCALE_JOB_ID': str(job.id),
        'SCALE_EXE_NUM': '1',
    }
    assert not os.path.exists(work_dir)  # removed once the execution ended


def test_secrets_reach_the_environment_but_not_logs_or_stored_configuration(agent, caplog):
    caplog.set_level(logging.DEBUG)
    options = {'settings': [('API_KEY', True), ('MODE', False)]}
    configuration = {'settings': {'API_KEY': 'type-secret-value', 'MODE': 'fast'}}
    script = 'test "$API_KEY" = "$1" && echo "key ok, mode $MODE"'
    job_type = factories.runnable_job_type(sh(script, '${API_KEY}'), configuration=configuration, **options)
    assert SecretSetting.objects.get(job_type=job_type).value == 'type-secret-value'

    # The job type's secret...
    job = factories.queue_runnable(job_type)
    execution = run_execution_of(agent, job)
    assert messages(execution) == ['key ok, mode fast']
    # ...and a job's own, which wins.
    job = factories.queue_runnable(job_type, configuration={'settings': {'API_KEY': 'job-secret-value'}})
    execution = run_execution_of(agent, job)
    assert messages(execution) == ['key ok, mode fast']

    # A message the agent writes itself masks the secret (here the program name is the secret).
    failing = factories.runnable_job_type('${API_KEY} --version', configuration=configuration, **options)
    failed = run_execution_of(agent, factories.queue_runnable(failing))
    assert failed.error.name == 'task-launch'
    assert messages(failed) == ['[scale-agent] the command could not start: No such file or directory: *****']

    stored = json.dumps(
        [
            list(JobExecution.objects.values_list('configuration', flat=True)),
            list(Job.objects.values_list('configuration', flat=True)),
        ]
    )
    assert 'fast' in stored
    for secret in ('type-secret-value', 'job-secret-value'):
        assert secret not in stored
        assert secret not in caplog.text
        assert not any(secret in message for message in messages(failed))


def run_execution_of(agent, job):
    from tests.node.agent_support import run_execution

    return run_execution(agent, factories.place(job, agent.node))


@pytest.fixture
def input_workspace(tmp_path):
    root = tmp_path / 'inputs'
    (root / 'in' / 'one').mkdir(parents=True)
    (root / 'in' / 'two').mkdir(parents=True)
    (root / 'in' / 'one' / 'a.txt').write_text('first a\n')
    (root / 'in' / 'two' / 'a.txt').write_text('second a\n')
    (tmp_path / 'outside.txt').write_text('outside\n')
    os.symlink(tmp_path / 'outside.txt', root / 'in' / 'link.txt')
    return factories.workspace(json_config={'broker': {'type': 'host', 'host_path': str(root)}})


def test_file_inputs_are_absolute_paths_and_multiple_ones_a_directory(agent, input_workspace, tmp_path):
    one = factories.scale_file(input_workspace, 'a.txt', file_path='in/one/a.txt', file_size=8)
    two = factories.scale_file(input_workspace, 'a.txt', file_path='in/two/a.txt', file_size=9)
    script = 'echo "$1"; cat "$INPUT_FILE"; for f in "$2"/*; do echo "$(basename "$f"): $(cat "$f")"; done'
    _, execution = run_job(
        agent,
        sh(script, '${INPUT_FILE}', '${MANY}'),
        data={'files': {'INPUT_FILE': [one.id], 'MANY': [one.id, two.id]}},
        job_type_options={'file_inputs': [('INPUT_FILE', True, False), ('MANY', True, True)]},
    )

    assert execution.status == ExecutionStatus.COMPLETED
    assert messages(execution) == [
        str(tmp_path / 'inputs' / 'in' / 'one' / 'a.txt'),
        'first a',
        f'{two.id}.a.txt: second a',
        'a.txt: first a',
    ]


@pytest.mark.parametrize(
    ('file_path', 'message'),
    [
        ('../outside.txt', 'leaves workspace'),
        ('in/link.txt', 'leaves workspace'),
        ('in/missing.txt', 'is missing'),
    ],
)
def test_input_files_outside_the_workspace_or_missing_are_refused(agent, input_workspace, file_path, message):
    scale_file = factories.scale_file(input_workspace, 'x.txt', file_path=file_path)
    job, execution = run_job(
        agent,
        sh('cat "$INPUT_FILE"'),
        data={'files': {'INPUT_FILE': [scale_file.id]}},
        job_type_options={'file_inputs': [('INPUT_FILE', True, False)]},
    )

    assert execution.status == ExecutionStatus.FAILED and execution.error.name == 'missing-file'
    assert execution.pid is None and job.status == JobStatus.FAILED
    [line] = messages(execution)
    assert line.startswith('[scale-agent] input file') and message in line


RESULT_OUTPUTS = {
    'file_outputs': [{'name': 'RESULT', 'pattern': 'result-*.txt', 'mediaType': 'text/plain'}],
    'json_outputs': [
        {'name': 'total', 'type': 'integer'},
        {'name': 'label', 'type': 'string', 'key': 'the-label', 'required': False},
    ],
}


def test_output_files_become_products_and_json_outputs_the_job_output(agent, output_workspace, tmp_path):
    script = (
        'echo "hello product" > "$OUTPUT_DIR/result-1.txt"; '
        'printf \'{"total": 3, "the-label": "x", "ignored": 1}\' > "$OUTPUT_DIR/seed.outputs.json"'
    )
    job_type = factories.runnable_job_type(
        sh(script), configuration={'output_workspaces': {'default': output_workspace.name}}, **RESULT_OUTPUTS
    )
    job = factories.queue_runnable(job_type)
    factories.set_fields(job, source_started=dt('2024-01-01T00:00:00Z'), source_sensor='camera-1')
    execution = run_execution_of(agent, job)

    assert execution.status == ExecutionStatus.COMPLETED
    product = ScaleFile.objects.get(job_exe=execution)
    path = f'jobs/{job_type.name}/1.0.0/job_{job.id}/exe_1/result-1.txt'
    assert (product.file_type, product.file_path, product.file_name) == (
        FileType.PRODUCT,
        path,
        'result-1.txt',
    )
    assert (product.workspace_id, product.file_size, product.media_type) == (
        output_workspace.id,
        14,
        'text/plain',
    )
    assert (product.job_id, product.job_type_id, product.job_output) == (job.id, job_type.id, 'RESULT')
    assert product.source_started == dt('2024-01-01T00:00:00Z') and product.source_sensor == 'camera-1'
    assert (tmp_path / 'workspace' / path).read_text() == 'hello product\n'
    expected = {'files': {'RESULT': [product.id]}, 'json': {'total': 3, 'label': 'x'}}
    job.refresh_from_db()
    assert execution.output == job.output == expected and job.status == JobStatus.COMPLETED


@pytest.mark.parametrize(
    ('script', 'error'),
    [
        ('echo \'{"total": 1}\' > "$OUTPUT_DIR/seed.outputs.json"', 'missing-required-output'),
        (
            'touch "$OUTPUT_DIR/result-1.txt" "$OUTPUT_DIR/result-2.txt"; echo \'{"total": 1}\' > "$OUTPUT_DIR/seed.outputs.json"',
            'unexpected-multiple-outputs',
        ),
        ('touch "$OUTPUT_DIR/result-1.txt"', 'missing-required-output'),
        (
            'touch "$OUTPUT_DIR/result-1.txt"; echo "{not json" > "$OUTPUT_DIR/seed.outputs.json"',
            'invalid-results-manifest',
        ),
        (
            'touch "$OUTPUT_DIR/result-1.txt"; echo \'{"total": "3"}\' > "$OUTPUT_DIR/seed.outputs.json"',
            'invalid-results-manifest',
        ),
        (
            'touch "$OUTPUT_DIR/result-1.txt"; echo \'{"total": true}\' > "$OUTPUT_DIR/seed.outputs.json"',
            'invalid-results-manifest',
        ),
        (
            'ln -s /etc/hostname "$OUTPUT_DIR/result-1.txt"; echo \'{"total": 1}\' > "$OUTPUT_DIR/seed.outputs.json"',
            'invalid-results-manifest',
        ),
    ],
)
def test_outputs_that_break_the_manifest_fail_the_execution(agent, output_workspace, tmp_path, script, error):
    job_type = factories.runnable_job_type(
        sh(script), configuration={'output_workspaces': {'default': output_workspace.name}}, **RESULT_OUTPUTS
    )
    job = factories.queue_runnable(job_type)
    execution = run_execution_of(agent, job)

    assert execution.status == ExecutionStatus.FAILED and execution.exit_code == 0
    assert execution.error.name == error
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED  # ALGORITHM errors: not retried
    assert not ScaleFile.objects.filter(job=job).exists()
    assert not list((tmp_path / 'workspace').rglob('*.txt'))
    assert messages(execution)[-1].startswith('[scale-agent] ')


def test_optional_and_multiple_outputs(agent, output_workspace):
    outputs = {
        'file_outputs': [
            {'name': 'PARTS', 'pattern': 'part-*', 'multiple': True},
            {'name': 'EXTRA', 'pattern': 'extra.bin', 'required': False},
        ],
    }
    job_type = factories.runnable_job_type(
        sh('for n in 1 2 3; do echo $n > "$OUTPUT_DIR/part-$n.json"; done'),
        configuration={'output_workspaces': {'default': output_workspace.name}},
        **outputs,
    )
    execution = run_execution_of(agent, factories.queue_runnable(job_type))

    parts = list(ScaleFile.objects.filter(job_exe=execution).order_by('id'))
    assert [part.file_name for part in parts] == ['part-1.json', 'part-2.json', 'part-3.json']
    assert {part.media_type for part in parts} == {
        'application/json'
    }  # guessed: the manifest kept the default
    assert execution.output == {'files': {'PARTS': [part.id for part in parts]}, 'json': {}}
