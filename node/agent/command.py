"""Building a job's argv and environment from its Seed command line (DESIGN.md section 4, security
rules; shared/reference/scale-supporting-apis.md section 2.7).

The command is split with shlex into argv and never given to a shell by us. Placeholders (`$NAME`,
`${NAME}` and Seed's `${NAME/#/PREFIX}`) of known names are replaced inside each argv element by
plain text: a value is never split again and never parsed, so `; rm -rf /` or `$(id)` reaches the
program as data. Unknown names stay literal.

One exception keeps that promise for commands that start a shell themselves (`sh -c 'script' ...`):
the script argument is left as written, because a value pasted into a script would be parsed as
shell code. The shell reads the same names from its environment, where the agent puts every value,
so `"$GREETING"` in a script still gets the value, as data.
"""

import os
import re
import shlex
from dataclasses import dataclass, field

from job.manifest import environment_name

# What a job gets of the agent's environment: a fixed PATH and LANG, and HOME set to its working
# directory. Nothing else: the agent's own environment holds the service's secrets.
BASE_PATH = '/usr/local/bin:/usr/bin:/bin'
BASE_LANG = 'C.UTF-8'
STANDARD_RESOURCES = ('cpus', 'mem', 'disk', 'gpus')
SHELLS = frozenset({'sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'yash'})
# Names an input or setting must not set in the environment: the base environment, the names the
# agent sets itself, and variables that make the dynamic loader or a shell run code of their choice
# (an input value comes from whoever queues the job, not from the job type's author).
RESERVED_NAMES = frozenset(
    {'PATH', 'HOME', 'LANG', 'IFS', 'ENV', 'BASH_ENV', 'SHELLOPTS', 'BASHOPTS', 'PS4', 'GCONV_PATH'}
)
RESERVED_PREFIXES = ('LD_', 'SCALE_', 'ALLOCATED_')

_PLACEHOLDER = re.compile(
    r'\$(?:\{(?P<braced>[A-Za-z0-9_-]+)(?:/#/(?P<prefix>[^{}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))'
)


class CommandError(ValueError):
    """The command line cannot be turned into argv (unbalanced quotes, empty)."""


@dataclass
class CommandValues:
    """The values a job's command and environment are built from.

    `inputs`, `settings`: manifest name -> value as text, or None for an absent optional input or a
    setting without a value (placeholders expand to ''; the variable is left out of the
    environment). `resources`: the execution's allocated resources. `output_dir`: absolute path.
    `extra_env`: further variables set as they are (SCALE_JOB_ID...).
    """

    inputs: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    resources: dict = field(default_factory=dict)
    output_dir: str = ''
    extra_env: dict = field(default_factory=dict)


def format_amount(value):
    """A resource amount as text: whole numbers without a fraction (`256`, not Scale's `256.0`, so a
    shell can do arithmetic on it), others as Python prints them (`0.5`)."""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def resource_variables(resources):
    """`ALLOCATED_<NAME>` -> amount for the standard resources (0 when absent) and every custom one."""
    variables = {
        f'ALLOCATED_{name.upper()}': format_amount(resources.get(name) or 0) for name in STANDARD_RESOURCES
    }
    for name, value in resources.items():
        if name not in STANDARD_RESOURCES and isinstance(value, int | float) and not isinstance(value, bool):
            variables[f'ALLOCATED_{environment_name(name)}'] = format_amount(value)
    return variables


def placeholder_values(values):
    """Placeholder name -> text. Inputs and settings answer to their environment name (`INPUT_FILE`)
    and to their manifest name; OUTPUT_DIR and ALLOCATED_* to theirs. Absent values are ''."""
    table = {}
    for name, value in (*values.inputs.items(), *values.settings.items()):
        text = '' if value is None else value
        table[name] = text
        table[environment_name(name)] = text
    table['OUTPUT_DIR'] = values.output_dir
    table.update(resource_variables(values.resources))
    return table


def expand(text, table):
    """`text` with each placeholder of a name in `table` replaced by its value, as plain text.

    `${NAME/#/PREFIX}` gives PREFIX + value, or '' when the value is empty (Seed's way to write an
    optional flag such as `${THRESHOLD/#/--threshold=}`). Unknown names are left as written.
    """

    def replace(match):
        name = match['braced'] or match['bare']
        if name not in table:
            return match[0]
        value = table[name]
        if match['prefix'] is not None:
            return f'{match["prefix"]}{value}' if value else ''
        return value

    return _PLACEHOLDER.sub(replace, text)


def _command_word(argv):
    """The index of the program `env` or `busybox` would run when argv starts with them, else 0."""
    index = 0
    if argv and os.path.basename(argv[0]) == 'env':
        index = 1
        while index < len(argv) and (argv[index].startswith('-') or '=' in argv[index]):
            # `-u NAME` and `-C DIR` take a value.
            index += 2 if argv[index] in ('-u', '-C', '--unset', '--chdir') else 1
    if index < len(argv) and os.path.basename(argv[index]) == 'busybox':
        index += 1
    return index


def _shell_script_index(argv):
    """The index of the script argument when argv starts a shell with `-c` (`sh -c`, `bash -ec`,
    `sh -o errexit -c`, also behind `env` or `busybox`), else None."""
    start = _command_word(argv)
    if start >= len(argv) or os.path.basename(argv[start]) not in SHELLS:
        return None
    wants_script = False
    index = start + 1
    while index < len(argv):
        arg = argv[index]
        if arg == '--':
            index += 1
            break
        if arg[:1] not in ('-', '+') or len(arg) == 1:
            break
        if not arg.startswith('--'):
            letters = arg[1:]
            wants_script = wants_script or 'c' in letters
            if letters.endswith('o'):
                index += 1  # `-o name`: the option's value
        index += 1
    return index if wants_script and index < len(argv) else None


def build_argv(command, values):
    """The argv of `command` (a Seed `interface.command`) with placeholders expanded (see the module
    docstring). Raises CommandError for an empty command or one shlex cannot split."""
    try:
        words = shlex.split(command or '', posix=True)
    except ValueError as exc:
        raise CommandError(f'the command line cannot be split: {exc}') from None
    if not words:
        raise CommandError('the job type has no command')
    table = placeholder_values(values)
    script = _shell_script_index(words)
    return [word if index == script else expand(word, table) for index, word in enumerate(words)]


def is_reserved(variable):
    """Whether an input or setting may not set the environment variable `variable`."""
    return variable in RESERVED_NAMES or variable.startswith(RESERVED_PREFIXES) or variable == 'OUTPUT_DIR'


def build_environment(values, home):
    """The job's environment and the names it refused: (env, refused).

    A minimal base (PATH, HOME = `home`, LANG), then inputs and settings under their environment names
    (uppercase, `-` -> `_`; absent ones left out; reserved names refused, see RESERVED_NAMES),
    OUTPUT_DIR, ALLOCATED_* and `values.extra_env`.
    """
    env = {'PATH': BASE_PATH, 'HOME': home, 'LANG': BASE_LANG}
    refused = []
    for name, value in (*values.inputs.items(), *values.settings.items()):
        if value is None:
            continue
        variable = environment_name(name)
        if is_reserved(variable):
            refused.append(variable)
            continue
        env[variable] = value
    env['OUTPUT_DIR'] = values.output_dir
    env.update(resource_variables(values.resources))
    env.update(values.extra_env)
    return env, refused
