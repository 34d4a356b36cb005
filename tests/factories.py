"""Small builders of consistent test data. Each takes keyword overrides for any model field.

Times: `last_modified` is stamped on every save (auto_now), so tests that need a given value set it
afterwards with `set_fields(obj, last_modified=...)`, a queryset update.
"""

import datetime
import itertools

from django.core.management import call_command
from django.utils import timezone

from batch.models import Batch
from job.choices import ExecutionStatus, JobStatus
from job.configuration import merged_configuration
from job.models import (
    Error,
    Job,
    JobExecution,
    JobExecutionLog,
    JobInputFile,
    JobType,
    JobTypeRevision,
    ScaleFile,
    TriggerEvent,
    Workspace,
)
from job.resources import job_resources
from node.models import Node
from recipe.models import Recipe, RecipeType, RecipeTypeRevision

_seq = itertools.count(1)
UTC = datetime.UTC


def dt(text):
    """An aware UTC datetime from '2024-01-02T03:04:05Z'-style text."""
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00')).astimezone(UTC)


def set_fields(obj, **fields):
    """Writes fields with a queryset update (bypassing auto_now) and refreshes obj."""
    type(obj).objects.filter(pk=obj.pk).update(**fields)
    obj.refresh_from_db()
    return obj


def seed_manifest(
    name, version='1.0.0', *, inputs=None, json_inputs=None, scalars=None, settings=None, errors=None
):
    return {
        'seedVersion': '1.0.0',
        'job': {
            'name': name,
            'jobVersion': version,
            'packageVersion': version,
            'title': f'{name} title',
            'description': f'{name} description',
            'maintainer': {'name': 'Tester', 'email': 'tester@example.invalid'},
            'timeout': 600,
            'interface': {
                'command': 'run ${INPUT_FILE}',
                'inputs': {
                    'files': [
                        {'name': n, 'required': True, 'mediaTypes': [], 'multiple': False, 'partial': False}
                        for n in (inputs if inputs is not None else ['INPUT_FILE'])
                    ],
                    'json': [{'name': n, 'type': 'string', 'required': False} for n in (json_inputs or [])],
                },
                'outputs': {'files': [], 'json': []},
                'mounts': [],
                'settings': settings or [],
            },
            'resources': {
                'scalar': scalars or [{'name': 'cpus', 'value': 1.0}, {'name': 'mem', 'value': 256.0}]
            },
            'errors': errors or [],
        },
    }


def job_type(name=None, version='1.0.0', **fields):
    name = name or f'job-type-{next(_seq)}'
    manifest = fields.pop('manifest', None) or seed_manifest(name, version)
    job_type = JobType.objects.create(
        name=name,
        version=version,
        title=manifest['job']['title'],
        description=manifest['job']['description'],
        manifest=manifest,
        configuration=fields.pop('configuration', {'priority': 100}),
        docker_image=fields.pop('docker_image', f'{name}:{version}'),
        **fields,
    )
    JobTypeRevision.objects.create(
        job_type=job_type, revision_num=1, manifest=manifest, docker_image=job_type.docker_image
    )
    return job_type


def error(name):
    """A builtin error (loaded from fixtures/builtin_errors.json by the test database setup, and again
    here after a transactional test emptied the tables)."""
    try:
        return Error.objects.get(name=name, job_type_name__isnull=True)
    except Error.DoesNotExist:
        call_command('loaddata', 'fixtures/builtin_errors.json', verbosity=0)
        return Error.objects.get(name=name, job_type_name__isnull=True)


def node(hostname=None, **fields):
    return Node.objects.create(
        hostname=hostname or f'node-{next(_seq)}.example',
        resources=fields.pop('resources', {'cpus': 8.0, 'mem': 16384.0, 'disk': 100000.0, 'gpus': 0.0}),
        **fields,
    )


def workspace(name=None, **fields):
    return Workspace.objects.create(
        name=name or f'workspace-{next(_seq)}',
        title=fields.pop('title', 'Workspace'),
        json_config=fields.pop('json_config', {'broker': {'type': 'host', 'host_path': '/data'}}),
        **fields,
    )


def scale_file(workspace_=None, file_name=None, **fields):
    workspace_ = workspace_ or workspace()
    file_name = file_name or f'file-{next(_seq)}.txt'
    return ScaleFile.objects.create(
        workspace=workspace_,
        file_name=file_name,
        file_path=fields.pop('file_path', f'in/{next(_seq)}/{file_name}'),
        file_size=fields.pop('file_size', 1024 * 1024),
        media_type=fields.pop('media_type', 'text/plain'),
        **fields,
    )


def recipe_type(name=None, **fields):
    recipe_type = RecipeType.objects.create(
        name=name or f'recipe-type-{next(_seq)}', title=fields.pop('title', 'Recipe Type'), **fields
    )
    RecipeTypeRevision.objects.create(recipe_type=recipe_type, revision_num=recipe_type.revision_num)
    return recipe_type


def recipe(recipe_type_=None, **fields):
    recipe_type_ = recipe_type_ or recipe_type()
    return Recipe.objects.create(
        recipe_type=recipe_type_,
        recipe_type_rev=recipe_type_.revisions.get(revision_num=recipe_type_.revision_num),
        event=fields.pop('event', None) or TriggerEvent.objects.create(type='USER'),
        **fields,
    )


def batch(**fields):
    return Batch.objects.create(title=fields.pop('title', f'Batch {next(_seq)}'), **fields)


def job(job_type_=None, status=JobStatus.QUEUED, *, input_files=(), **fields):
    """A job in `status`, consistent with it: queued jobs have num_exes >= 1, running ones a node
    and started time, failed ones an error and ended time. `input_files` is a list of
    (input name, ScaleFile) linked to the job and recorded in its input."""
    job_type_ = job_type_ or job_type()
    now = timezone.now()
    queued_like = status not in (JobStatus.PENDING, JobStatus.BLOCKED)
    defaults = {
        'num_exes': 1 if queued_like else 0,
        'queued': now if queued_like else None,
        'started': now if status in (JobStatus.RUNNING, JobStatus.COMPLETED, JobStatus.FAILED) else None,
        'ended': now if status in (JobStatus.COMPLETED, JobStatus.FAILED) else None,
        'last_status_change': now,
        'error': error('algorithm-unknown') if status == JobStatus.FAILED else None,
        'priority': merged_configuration(job_type_.configuration, fields.get('configuration'))['priority'],
    }
    defaults.update(fields)
    files = {}
    for input_name, file_ in input_files:
        files.setdefault(input_name, []).append(file_.id)
    size = sum(file_.file_size for _, file_ in input_files) / (1024 * 1024) if input_files else None
    created = Job.objects.create(
        job_type=job_type_,
        job_type_rev=job_type_.revisions.get(revision_num=job_type_.revision_num),
        event=defaults.pop('event', None) or TriggerEvent.objects.create(type='USER'),
        status=status,
        input=defaults.pop('input', {'files': files, 'json': {}}),
        input_file_size=defaults.pop('input_file_size', size),
        resources=defaults.pop('resources', job_resources(job_type_.manifest, size)),
        max_tries=defaults.pop('max_tries', job_type_.max_tries),
        **defaults,
    )
    for input_name, file_ in input_files:
        JobInputFile.objects.create(job=created, input_file=file_, job_input=input_name)
    return created


def execution(job_, exe_num=None, status=ExecutionStatus.RUNNING, **fields):
    exe_num = exe_num or job_.num_exes or 1
    now = timezone.now()
    final = status != ExecutionStatus.RUNNING
    return JobExecution.objects.create(
        job=job_,
        job_type_id=job_.job_type_id,
        exe_num=exe_num,
        status=status,
        cluster_id=fields.pop('cluster_id', f'scale_job_{job_.id}_{exe_num}'),
        node=fields.pop('node', None),
        error=fields.pop('error', error('algorithm-unknown') if status == ExecutionStatus.FAILED else None),
        timeout=fields.pop('timeout', 600),
        input_file_size=fields.pop('input_file_size', job_.input_file_size),
        resources=fields.pop('resources', job_.resources or {}),
        queued=fields.pop('queued', now),
        started=fields.pop('started', now),
        ended=fields.pop('ended', now if final else None),
        **fields,
    )


def log_lines(execution_, lines, start=None):
    """Stores `lines` ([(stream, message)]) for execution_, numbered from 1, a millisecond apart."""
    start = start or timezone.now()
    return JobExecutionLog.objects.bulk_create(
        JobExecutionLog(
            job_exe=execution_,
            scale_order_num=number,
            stream=stream,
            message=message,
            timestamp=start + datetime.timedelta(milliseconds=number),
        )
        for number, (stream, message) in enumerate(lines, start=1)
    )


def job_type_request(name=None, version='1.0.0', *, tags=(), outputs=(), settings=(), errors=(), **fields):
    """A body of POST /v6/job-types/: a valid Seed manifest (seed_manifest's) named `name` at
    `version`, with `tags`, file `outputs` (names), `settings` ([(name, secret)]) and `errors`
    ([(code, name, category)]), plus `fields` (docker_image defaults to '<name>:<version>')."""
    name = name or f'job-type-{next(_seq)}'
    manifest = seed_manifest(name, version)
    job = manifest['job']
    job['tags'] = list(tags)
    job['interface']['outputs']['files'] = [{'name': output, 'pattern': f'{output}.*'} for output in outputs]
    job['interface']['settings'] = [{'name': setting, 'secret': secret} for setting, secret in settings]
    job['errors'] = [
        {'code': code, 'name': error_name, 'category': category} for code, error_name, category in errors
    ]
    return {'docker_image': fields.pop('docker_image', f'{name}:{version}'), 'manifest': manifest, **fields}


# --- Job types that really run (node agent tests) ----------------------------------------------------


def runnable_manifest(
    name,
    command,
    *,
    timeout=60,
    file_inputs=(),
    json_inputs=(),
    file_outputs=(),
    json_outputs=(),
    settings=(),
    errors=(),
    scalars=None,
):
    """A Seed manifest (seed_manifest's) whose job runs `command`, with `timeout` seconds and:
    `file_inputs` [(name, required, multiple)], `json_inputs` [(name, type, required)],
    `file_outputs` [{name, pattern, ...}], `json_outputs` [{name, type, ...}], `settings`
    [(name, secret)], `errors` [(code, name, category)]; small cpus/mem unless `scalars`."""
    manifest = seed_manifest(
        name,
        inputs=[],
        scalars=scalars or [{'name': 'cpus', 'value': 0.25}, {'name': 'mem', 'value': 32.0}],
    )
    job = manifest['job']
    job['timeout'] = timeout
    interface = job['interface']
    interface['command'] = command
    interface['inputs']['files'] = [
        {'name': input_name, 'required': required, 'multiple': multiple}
        for input_name, required, multiple in file_inputs
    ]
    interface['inputs']['json'] = [
        {'name': input_name, 'type': json_type, 'required': required}
        for input_name, json_type, required in json_inputs
    ]
    interface['outputs'] = {'files': list(file_outputs), 'json': list(json_outputs)}
    interface['settings'] = [{'name': setting, 'secret': secret} for setting, secret in settings]
    job['errors'] = [
        {'code': code, 'name': error_name, 'category': category} for code, error_name, category in errors
    ]
    return manifest


def runnable_job_type(command, name=None, *, configuration=None, max_tries=None, **manifest_pieces):
    """A job type registered through the job types service (so its manifest errors and secret settings
    are stored as the API stores them) whose job runs `command`; see runnable_manifest for the
    manifest pieces."""
    from job.services.job_types import create_job_type

    name = name or f'agent-job-{next(_seq)}'
    manifest = runnable_manifest(name, command, **manifest_pieces)
    created = create_job_type(f'{name}:1.0.0', manifest, configuration or {}).job_type
    if max_tries is not None:
        set_fields(created, max_tries=max_tries)
    return created


def queue_runnable(job_type_, data=None, configuration=None):
    """A job of job_type_ queued through the queue service (input and configuration validated)."""
    from job.services.queue import queue_new_job

    return queue_new_job(job_type_, data or {}, configuration)


def place(job_, node_):
    """Places the queued job_ on node_ as the scheduler does (place_jobs); returns its execution."""
    from job.services.executions import Placement, place_jobs

    job_.refresh_from_db()
    assert place_jobs([Placement(job_.id, job_.num_exes, node_.id, job_.resources)]) == [job_.id]
    return JobExecution.objects.get(job=job_, exe_num=job_.num_exes)
