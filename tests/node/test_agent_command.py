"""Building a job's argv and environment (node/agent/command.py): placeholders expand into argv
elements as data, never through a shell; the environment is minimal. No database, no process."""

import shlex

import pytest

from node.agent.command import (
    CommandError,
    CommandValues,
    build_argv,
    build_environment,
    expand,
    format_amount,
)

HOSTILE = '; rm -rf / $(id) `id` "\' \\ $HOME ${PATH}'


def values(**overrides):
    defaults = {
        'inputs': {'INPUT_FILE': '/data/in/a b.txt', 'EXIT-CODE': '3', 'OPTIONAL': None},
        'settings': {'GREETING': 'Hello', 'unset-setting': None},
        'resources': {'cpus': 0.5, 'mem': 256.0, 'disk': 10.0, 'gpus': 0.0, 'licenses': 2.0},
        'output_dir': '/work/job_1_1/output',
        'extra_env': {'SCALE_JOB_ID': '1', 'SCALE_EXE_NUM': '1'},
    }
    defaults.update(overrides)
    return CommandValues(**defaults)


def test_placeholders_expand_inside_their_argv_element_and_are_never_split():
    argv = build_argv('copy ${INPUT_FILE} $OUTPUT_DIR/out --greeting=${GREETING} ${EXIT_CODE}', values())
    assert argv == ['copy', '/data/in/a b.txt', '/work/job_1_1/output/out', '--greeting=Hello', '3']


def test_manifest_names_and_environment_names_both_work():
    assert build_argv('x ${EXIT-CODE} ${EXIT_CODE} $EXIT_CODE', values()) == ['x', '3', '3', '3']


def test_hostile_values_are_data():
    argv = build_argv('echo ${VALUE} "a ${VALUE} b" $VALUE', values(inputs={'VALUE': HOSTILE}))
    assert argv == ['echo', HOSTILE, f'a {HOSTILE} b', HOSTILE]


def test_a_value_holding_a_placeholder_is_not_expanded_again():
    argv = build_argv('echo ${A} ${B}', values(inputs={'A': '${B}', 'B': 'b'}))
    assert argv == ['echo', '${B}', 'b']


def test_absent_optional_values_expand_to_empty_elements_and_unknown_names_stay():
    argv = build_argv('run ${OPTIONAL} ${unset-setting} ${NOT_DECLARED} $NOPE ${1:-30}', values())
    assert argv == ['run', '', '', '${NOT_DECLARED}', '$NOPE', '${1:-30}']


def test_allocated_resources_and_prefix_form():
    argv = build_argv(
        'run ${ALLOCATED_CPUS} ${ALLOCATED_MEM} ${ALLOCATED_GPUS} ${ALLOCATED_LICENSES} '
        '${GREETING/#/--greeting=} ${OPTIONAL/#/--optional=}',
        values(),
    )
    assert argv == ['run', '0.5', '256', '0', '2', '--greeting=Hello', '']


@pytest.mark.parametrize(
    'command',
    [
        'sh -c \'echo "$GREETING" ${INPUT_FILE}\' name ${GREETING}',
        'bash -ec \'echo "$GREETING" ${INPUT_FILE}\' name ${GREETING}',
        'sh -o errexit -c \'echo "$GREETING" ${INPUT_FILE}\' name ${GREETING}',
        '/usr/bin/env LC_ALL=C sh -c \'echo "$GREETING" ${INPUT_FILE}\' name ${GREETING}',
    ],
)
def test_a_shell_script_argument_is_left_to_the_shell(command):
    # The shell reads $GREETING from the environment (as data); pasting the value into the script
    # would make it code.
    argv = build_argv(command, values())
    script = next(word for word in argv if word.startswith('echo'))
    assert script == 'echo "$GREETING" ${INPUT_FILE}'
    assert argv[-2:] == ['name', 'Hello']


def test_demo_commands_keep_their_positional_shell_parameters():
    command = 'sh -c \'echo "sleeping ${1:-30}s"; sleep "${1:-30}"; echo awake\' sleep ${DURATION}'
    argv = build_argv(command, values(inputs={'DURATION': None}))
    assert argv == ['sh', '-c', shlex.split(command)[2], 'sleep', '']


@pytest.mark.parametrize('command', ['', '   ', "echo 'unbalanced"])
def test_commands_that_cannot_become_argv(command):
    with pytest.raises(CommandError):
        build_argv(command, values())


def test_expand_leaves_unknown_and_malformed_placeholders():
    assert expand('$ ${} ${A ${B}', {'A': 'a'}) == '$ ${} ${A ${B}'


def test_environment_is_minimal_and_normalized(monkeypatch):
    monkeypatch.setenv('DATABASE_URL', 'postgres://user:password@db/scale')
    monkeypatch.setenv('SECRET_KEY', 'django-secret')
    env, refused = build_environment(values(), '/work/job_1_1')
    assert refused == []
    assert env == {
        'PATH': '/usr/local/bin:/usr/bin:/bin',
        'HOME': '/work/job_1_1',
        'LANG': 'C.UTF-8',
        'INPUT_FILE': '/data/in/a b.txt',
        'EXIT_CODE': '3',
        'GREETING': 'Hello',
        'OUTPUT_DIR': '/work/job_1_1/output',
        'ALLOCATED_CPUS': '0.5',
        'ALLOCATED_MEM': '256',
        'ALLOCATED_DISK': '10',
        'ALLOCATED_GPUS': '0',
        'ALLOCATED_LICENSES': '2',
        'SCALE_JOB_ID': '1',
        'SCALE_EXE_NUM': '1',
    }


def test_inputs_cannot_set_loader_or_base_variables():
    env, refused = build_environment(
        values(inputs={'LD_PRELOAD': '/tmp/evil.so', 'path': '/tmp', 'BASH_ENV': '/tmp/x', 'ok': 'yes'}),
        '/work',
    )
    assert sorted(refused) == ['BASH_ENV', 'LD_PRELOAD', 'PATH']
    assert 'LD_PRELOAD' not in env and env['PATH'] == '/usr/local/bin:/usr/bin:/bin' and env['OK'] == 'yes'


@pytest.mark.parametrize(('amount', 'text'), [(0, '0'), (1.0, '1'), (0.25, '0.25'), (1024.5, '1024.5')])
def test_format_amount(amount, text):
    assert format_amount(amount) == text
