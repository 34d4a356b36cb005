"""Turning a claimed execution into an ExecutionPlan: its inputs resolved to paths, its settings and
secrets read, a fresh working directory made, and its argv and environment built (command.py).

File inputs are read where they are: the workspace's host path joined with the file's path, refused
when it resolves outside the workspace (DESIGN.md section 4). A `multiple` input is a directory of
the working directory with a symlink per file.
"""

import json
import os
import shutil
import sys
from dataclasses import dataclass, field

from django.db.models import Q

from job.configuration import merged_configuration
from job.manifest import file_inputs, file_outputs, json_inputs, settings, timeout
from job.models import JobExecution, ScaleFile, SecretSetting, Workspace
from node.agent.command import CommandError, CommandValues, build_argv, build_environment

OUTPUT_DIR = 'output'
INPUTS_DIR = 'inputs'


class PrepareError(Exception):
    """The execution cannot run: `error` names the builtin error it fails with; the message is for
    its log (it never holds a secret value)."""

    def __init__(self, error, message):
        super().__init__(message)
        self.error = error


@dataclass
class ExecutionPlan:
    """Everything needed to run one execution and report on it, read once when it is claimed."""

    execution_id: int
    job_id: int
    exe_num: int
    job_type_name: str
    job_type_version: str
    manifest: dict
    timeout: int | None
    work_dir: str
    output_dir: str
    argv: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    secrets: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    # Output name -> (workspace id, host path), or an error message when it has no usable workspace.
    output_targets: dict = field(default_factory=dict)

    def redact(self, text):
        """`text` with every secret value masked: for anything the agent itself writes or logs."""
        for secret in self.secrets:
            text = text.replace(secret, '*****')
        return text


def host_root(workspace):
    """The absolute host path of a workspace with a host broker, else None."""
    broker = (workspace.json_config or {}).get('broker') or {}
    path = broker.get('host_path') if broker.get('type') == 'host' else None
    if not isinstance(path, str) or not os.path.isabs(path) or '\x00' in path:
        return None
    return path


def resolve_file(scale_file):
    """The absolute path of a file of a host workspace (its host path joined with the file's path);
    PrepareError when it is deleted, missing, or its path would leave the workspace (`..`, an
    absolute path, a symlink resolving outside)."""
    label = f'file {scale_file.id} ({scale_file.file_name})'
    if scale_file.is_deleted:
        raise PrepareError('deleted-file', f'input {label} is deleted')
    root = host_root(scale_file.workspace)
    if root is None:
        raise PrepareError(
            'missing-file', f'input {label}: workspace {scale_file.workspace.name} has no host path'
        )
    relative = scale_file.file_path
    if os.path.isabs(relative) or '\x00' in relative or '..' in relative.replace('\\', '/').split('/'):
        raise PrepareError(
            'missing-file', f'input {label}: its path leaves workspace {scale_file.workspace.name}'
        )
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([real_root, real]) != real_root or real == real_root:
        raise PrepareError(
            'missing-file', f'input {label}: its path leaves workspace {scale_file.workspace.name}'
        )
    if not os.path.isfile(real):
        raise PrepareError(
            'missing-file', f'input {label} is missing from workspace {scale_file.workspace.name}'
        )
    return os.path.normpath(os.path.join(root, relative))


def _link_directory(directory, files):
    """A directory with one symlink per file, named by file name (`<id>.<name>` on a clash)."""
    os.makedirs(directory)
    for scale_file, path in files:
        name = scale_file.file_name.replace('/', '_') or str(scale_file.id)
        if name in ('.', '..') or os.path.lexists(os.path.join(directory, name)):
            name = f'{scale_file.id}.{name}'
        os.symlink(path, os.path.join(directory, name))
    return directory


def _json_text(value):
    return value if isinstance(value, str) else json.dumps(value, separators=(',', ':'))


def fresh_directory(path):
    """Removes `path` (a leftover of an earlier agent process) and everything in it."""
    if os.path.lexists(path):
        # A job may leave read-only directories behind: make them writable and try again.
        def retry(function, name, _info):
            try:
                os.chmod(os.path.dirname(name), 0o700)
                function(name)
            except OSError:
                pass

        keyword = 'onexc' if sys.version_info >= (3, 12) else 'onerror'
        shutil.rmtree(path, **{keyword: retry})


def _secret_values(job):
    """Secret settings of the job type, overridden by the job's own."""
    values = {}
    rows = SecretSetting.objects.filter(
        Q(job_type_id=job.job_type_id, job__isnull=True) | Q(job_id=job.id)
    ).values_list('name', 'value', 'job_id')
    for name, value, _job_id in sorted(rows, key=lambda row: row[2] is not None):
        values[name] = value
    return values


def _output_targets(manifest, configuration):
    workspaces = configuration['output_workspaces']
    names = {
        output['name']: workspaces['outputs'].get(output['name']) or workspaces['default']
        for output in file_outputs(manifest)
    }
    found = {
        workspace.name: workspace for workspace in Workspace.objects.filter(name__in=set(names.values()))
    }
    targets = {}
    for output, name in names.items():
        workspace = found.get(name)
        root = host_root(workspace) if workspace is not None else None
        if not name:
            targets[output] = f'no output workspace is configured for output {output}'
        elif workspace is None or not workspace.is_active:
            targets[output] = f'output workspace {name} does not exist or is inactive'
        elif root is None:
            targets[output] = f'output workspace {name} has no host path'
        else:
            targets[output] = (workspace.id, root)
    return targets


def _file_values(job, manifest, work_dir):
    wanted = (job.input or {}).get('files') or {}
    ids = {file_id for file_ids in wanted.values() for file_id in file_ids}
    files = {item.id: item for item in ScaleFile.objects.filter(id__in=ids).select_related('workspace')}
    values = {}
    for spec in file_inputs(manifest):
        name = spec['name']
        file_ids = wanted.get(name) or []
        if not file_ids:
            if spec.get('required', True):
                raise PrepareError('missing-file', f'required input {name} has no file')
            values[name] = None
            continue
        missing = [file_id for file_id in file_ids if file_id not in files]
        if missing:
            raise PrepareError('missing-file', f'input {name}: file {missing[0]} does not exist')
        resolved = [(files[file_id], resolve_file(files[file_id])) for file_id in file_ids]
        if spec.get('multiple'):
            values[name] = _link_directory(os.path.join(work_dir, INPUTS_DIR, name), resolved)
        else:
            values[name] = resolved[0][1]
    return values


def prepare_execution(execution_id, node_work_dir):
    """The ExecutionPlan of claimed execution `execution_id`, its working directory
    `<node_work_dir>/job_<id>_<exe_num>` made afresh with `output/` inside.

    Raises PrepareError (missing-file, deleted-file: an input cannot be read; task-launch: the
    command cannot be built)."""
    execution = JobExecution.objects.select_related(
        'job', 'job__job_type', 'job__job_type_rev', 'job__recipe'
    ).get(id=execution_id)
    job = execution.job
    manifest = job.job_type_rev.manifest
    configuration = merged_configuration(job.job_type.configuration, job.configuration)
    work_dir = os.path.join(os.path.abspath(node_work_dir), f'job_{job.id}_{execution.exe_num}')
    output_dir = os.path.join(work_dir, OUTPUT_DIR)
    fresh_directory(work_dir)
    os.makedirs(output_dir)
    plan = ExecutionPlan(
        execution_id=execution.id,
        job_id=job.id,
        exe_num=execution.exe_num,
        job_type_name=job.job_type.name,
        job_type_version=job.job_type.version,
        manifest=manifest,
        timeout=execution.timeout or timeout(manifest),
        work_dir=work_dir,
        output_dir=output_dir,
    )
    secrets = _secret_values(job)
    plan.secrets = sorted({value for value in secrets.values() if value}, key=len, reverse=True)
    configured = configuration['settings']
    setting_values = {
        item['name']: secrets.get(item['name'], configured.get(item['name'])) for item in settings(manifest)
    }
    input_values = _file_values(job, manifest, work_dir)
    given = (job.input or {}).get('json') or {}
    for spec in json_inputs(manifest):
        value = given.get(spec['name'])
        input_values[spec['name']] = None if spec['name'] not in given else _json_text(value)
    extra = {'SCALE_JOB_ID': str(job.id), 'SCALE_EXE_NUM': str(execution.exe_num)}
    if job.recipe_id:
        extra['SCALE_RECIPE_ID'] = str(job.recipe_id)
    if job.batch_id:
        extra['SCALE_BATCH_ID'] = str(job.batch_id)
    values = CommandValues(
        inputs=input_values,
        settings=setting_values,
        resources=execution.resources or {},
        output_dir=output_dir,
        extra_env=extra,
    )
    command = ((manifest.get('job') or {}).get('interface') or {}).get('command') or ''
    try:
        plan.argv = build_argv(command, values)
    except CommandError as exc:
        raise PrepareError('task-launch', str(exc)) from None
    plan.env, refused = build_environment(values, work_dir)
    plan.warnings = [
        f'{name} is reserved: the input or setting of that name is not set in the environment'
        for name in refused
    ]
    plan.output_targets = _output_targets(manifest, configuration)
    return plan
