"""manage.py seed_jobs: counts, the consistency of every generated job with its status (DESIGN.md
section 4), files, recipes, logs, determinism and re-runs. Each test seeds a small world of its own."""

import datetime
import hashlib
import io
import math
from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from batch.models import Batch
from job.choices import ErrorCategory, ExecutionStatus, FileType, JobStatus
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
from job.seeding.writer import check_columns
from node.models import Node
from recipe.models import Recipe, RecipeType
from tests import factories

ANCHOR = '2026-03-01T00:00:00Z'
ANCHOR_DT = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
DAYS = 30
JOBS = 1200
MIB = 2**20
FINAL = {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED}

pytestmark = pytest.mark.django_db


def run_seed(jobs=JOBS, seed=3, anchor=ANCHOR, days=DAYS, **options):
    out = io.StringIO()
    call_command(
        'seed_jobs', jobs=jobs, seed=seed, anchor=anchor, days=days, no_progress=True, stdout=out, **options
    )
    return out.getvalue()


@pytest.fixture
def seeded(db):
    """Seeds JOBS jobs; returns the command output."""
    return run_seed()


def test_the_job_type_metrics_cover_the_seeded_days(seeded):
    from django.db.models import Sum

    from job.models import JobTypeDailyMetrics

    totals = JobTypeDailyMetrics.objects.aggregate(
        completed=Sum('completed_count'), failed=Sum('failed_count')
    )
    assert totals['completed'] == Job.objects.filter(status=JobStatus.COMPLETED).count() > 0
    assert totals['failed'] == Job.objects.filter(status=JobStatus.FAILED).count() > 0


def jobs_by_id():
    return {job.id: job for job in Job.objects.select_related('error', 'job_type').order_by('id')}


def executions_by_job():
    executions = defaultdict(dict)
    for exe in JobExecution.objects.select_related('error').order_by('id'):
        executions[exe.job_id][exe.exe_num] = exe
    return executions


def is_retry(exe):
    """An automatic retry: FAILED with a retryable builtin SYSTEM error."""
    return (
        exe.status == ExecutionStatus.FAILED
        and exe.error is not None
        and exe.error.is_builtin
        and exe.error.should_be_retried
        and exe.error.category == ErrorCategory.SYSTEM
    )


def requeued(job):
    return job.max_tries > job.job_type.max_tries


# -- the command ----------------------------------------------------------------------------------


def test_columns_of_generated_rows_match_the_models():
    check_columns()


def test_summary_counts_and_status_mix(seeded):
    assert 'Seeded 1200 jobs' in seeded
    assert Job.objects.count() == JOBS
    statuses = Counter(Job.objects.values_list('status', flat=True))
    assert set(statuses) == set(JobStatus)
    for status, count in statuses.items():
        assert f'{status:<20}' in seeded or f'{status} ' in seeded
        assert f'{count:,}' in seeded
    assert 0.5 * JOBS < statuses[JobStatus.COMPLETED] < 0.7 * JOBS
    assert 0.07 * JOBS < statuses[JobStatus.FAILED] < 0.17 * JOBS
    assert JobExecution.objects.count() >= statuses[JobStatus.COMPLETED] + statuses[JobStatus.FAILED]
    assert JobExecutionLog.objects.count() >= 3 * JobExecution.objects.filter(started__isnull=False).count()
    assert ScaleFile.objects.filter(file_type=FileType.PRODUCT).count() == statuses[JobStatus.COMPLETED]
    assert JobInputFile.objects.count() >= JOBS


def test_world(seeded):
    types = list(JobType.objects.all())
    assert len(types) >= 18
    assert any(t.is_system for t in types)
    assert any(t.is_paused and t.paused for t in types)
    assert any(not t.is_active and t.deprecated for t in types)
    assert Counter(t.name for t in types).most_common(1)[0][1] >= 3  # a name with several versions
    for job_type in types:
        manifest = job_type.manifest
        assert manifest['seedVersion'] == '1.0.0'
        assert (manifest['job']['name'], manifest['job']['jobVersion']) == (job_type.name, job_type.version)
        assert (job_type.title, job_type.description) == (
            manifest['job']['title'],
            manifest['job']['description'],
        )
        assert manifest['job']['interface']['inputs']['files']
        revisions = list(job_type.revisions.order_by('revision_num'))
        assert [r.revision_num for r in revisions] == list(range(1, job_type.revision_num + 1))
        assert revisions[-1].manifest == manifest
        secrets = {s['name'] for s in manifest['job']['interface']['settings'] if s['secret']}
        assert not secrets & set(job_type.configuration['settings'])
        assert Workspace.objects.filter(name=job_type.configuration['output_workspaces']['default']).exists()
        for item in manifest['job']['errors']:
            error = Error.objects.get(job_type_name=job_type.name, name=item['name'])
            assert not error.is_builtin and not error.should_be_retried
            assert error.category == (
                ErrorCategory.DATA if item['category'] == 'data' else ErrorCategory.ALGORITHM
            )
    assert JobTypeRevision.objects.filter(revision_num=2).exists()
    scalars = [s['name'] for t in types for s in t.manifest['job']['resources']['scalar']]
    assert 'gpus' in scalars
    assert set(scalars) - {'cpus', 'mem', 'disk', 'gpus'}  # a custom resource
    nodes = list(Node.objects.all())
    assert len(nodes) == 50
    assert all({'cpus', 'mem', 'disk', 'gpus'} <= set(n.resources) and n.last_heartbeat for n in nodes)
    assert any(n.resources['gpus'] > 0 for n in nodes)
    assert any(not n.is_active for n in nodes) and any(n.is_paused for n in nodes)
    for node in nodes:
        if node.is_active:
            assert ANCHOR_DT - node.last_heartbeat < datetime.timedelta(minutes=1)
    assert Workspace.objects.filter(base_url__isnull=False).exists()
    assert RecipeType.objects.count() >= 3
    assert Batch.objects.count() >= 3
    assert set(TriggerEvent.objects.values_list('type', flat=True)) == {
        'USER',
        'STRIKE_TRANSFER',
        'PARSE',
        'BATCH',
    }


# -- jobs and their executions -----------------------------------------------------------------------


def test_pending_and_blocked_jobs_never_ran(seeded):
    waiting = Job.objects.filter(status__in=[JobStatus.PENDING, JobStatus.BLOCKED])
    assert waiting.exists()
    assert not JobExecution.objects.filter(job__in=waiting).exists()
    for job in waiting:
        assert job.num_exes == 0
        assert (job.queued, job.started, job.ended, job.node_id, job.error_id) == (
            None,
            None,
            None,
            None,
            None,
        )


def test_queued_jobs_wait_for_their_next_execution(seeded):
    executions = executions_by_job()
    queued = [job for job in jobs_by_id().values() if job.status == JobStatus.QUEUED]
    assert queued
    for job in queued:
        assert job.num_exes >= 1 and job.queued is not None
        assert (job.started, job.ended, job.node_id, job.error_id) == (None, None, None, None)
        exes = executions[job.id]
        assert job.num_exes not in exes
        assert all(exe.status != ExecutionStatus.RUNNING for exe in exes.values())
        if not requeued(job):
            assert sorted(exes) == list(range(1, job.num_exes))
            assert all(is_retry(exe) for exe in exes.values())
    assert any(job.num_exes > 1 for job in queued)


def test_running_jobs_run_on_their_node(seeded):
    executions = executions_by_job()
    running = [job for job in jobs_by_id().values() if job.status == JobStatus.RUNNING]
    assert running
    for job in running:
        assert job.node_id is not None and job.queued is not None and job.started is not None
        assert (job.ended, job.error_id) == (None, None)
        current = executions[job.id][job.num_exes]
        assert current.status == ExecutionStatus.RUNNING
        assert (current.node_id, current.started, current.ended, current.error_id) == (
            job.node_id,
            job.started,
            None,
            None,
        )
        assert ANCHOR_DT - current.started < datetime.timedelta(seconds=current.timeout)
        others = [exe for num, exe in executions[job.id].items() if num != job.num_exes]
        assert all(exe.status != ExecutionStatus.RUNNING for exe in others)
        if not requeued(job):
            assert sorted(executions[job.id]) == list(range(1, job.num_exes + 1))
            assert all(is_retry(exe) for exe in others)
    # No RUNNING execution without a RUNNING job, and no node holds more than it has.
    for exe in JobExecution.objects.filter(status=ExecutionStatus.RUNNING).select_related('job', 'node'):
        assert exe.job.status == JobStatus.RUNNING and exe.job.num_exes == exe.exe_num
        assert exe.node.is_active and not exe.node.is_paused
    load = defaultdict(Counter)
    for exe in JobExecution.objects.filter(status=ExecutionStatus.RUNNING):
        load[exe.node_id].update(exe.resources)
    for node in Node.objects.filter(id__in=list(load)):
        for name, used in load[node.id].items():
            assert used <= node.resources.get(name, 0.0) + 1e-9, (node.hostname, name)


def test_completed_jobs_have_a_completed_last_execution_and_a_product(seeded):
    executions = executions_by_job()
    completed = [job for job in jobs_by_id().values() if job.status == JobStatus.COMPLETED]
    products = {f.id: f for f in ScaleFile.objects.filter(file_type=FileType.PRODUCT)}
    for job in completed:
        last = executions[job.id][job.num_exes]
        assert last.status == ExecutionStatus.COMPLETED and last.exit_code == 0 and last.error_id is None
        assert (job.started, job.ended, job.node_id, job.error_id) == (
            last.started,
            last.ended,
            last.node_id,
            None,
        )
        assert job.num_exes <= job.max_tries
        if not requeued(job):
            assert all(is_retry(exe) for num, exe in executions[job.id].items() if num != job.num_exes)
        assert set(job.output) == {'files', 'json'} and job.output == last.output
        (output_name, [product_id]), *_ = job.output['files'].items()
        product = products[product_id]
        assert (product.job_id, product.job_exe_id, product.job_type_id) == (job.id, last.id, job.job_type_id)
        assert product.job_output == output_name
        assert (product.recipe_id, product.batch_id) == (job.recipe_id, job.batch_id)
        assert product.is_superseded == job.is_superseded
        assert product.source_sensor_class == job.source_sensor_class
    assert len(products) == len(completed)


def test_failed_jobs_carry_the_error_of_their_last_execution(seeded):
    executions = executions_by_job()
    failed = [job for job in jobs_by_id().values() if job.status == JobStatus.FAILED]
    kinds = Counter()
    for job in failed:
        last = executions[job.id][job.num_exes]
        assert last.status == ExecutionStatus.FAILED
        assert job.error_id is not None and job.error_id == last.error_id
        assert (job.ended, job.started, job.node_id) == (last.ended, last.started, last.node_id)
        if job.error.should_be_retried:
            assert job.num_exes == job.max_tries  # retries exhausted
            kinds['exhausted'] += 1
        elif job.error.job_type_name is not None:
            assert job.error.job_type_name == job.job_type.name
            codes = {e['code'] for e in job.job_type.manifest['job']['errors'] if e['name'] == job.error.name}
            assert last.exit_code in codes
            kinds['manifest'] += 1
        else:
            kinds[job.error.name] += 1
    assert kinds['exhausted'] and kinds['manifest'] and kinds['algorithm-unknown']


def test_canceled_jobs(seeded):
    executions = executions_by_job()
    canceled = [job for job in jobs_by_id().values() if job.status == JobStatus.CANCELED]
    ways = Counter()
    for job in canceled:
        assert job.num_exes >= 1 and job.queued is not None and job.ended is not None
        assert (job.node_id, job.error_id) == (None, None)
        last = executions[job.id].get(job.num_exes)
        if last is None:
            ways['queued'] += 1
            assert job.started is None
        else:
            ways['running'] += 1
            assert last.status == ExecutionStatus.CANCELED and last.ended == job.ended
    assert ways['queued'] and ways['running']


def test_execution_numbers_and_fields(seeded):
    jobs = jobs_by_id()
    revisions = {rev.id: rev for rev in JobTypeRevision.objects.all()}
    for job_id, exes in executions_by_job().items():
        job = jobs[job_id]
        assert max(exes) <= job.num_exes <= job.max_tries
        for num, exe in exes.items():
            assert exe.cluster_id == f'scale_job_{job_id}_{num}'
            assert exe.job_type_id == job.job_type_id
            assert exe.resources == job.resources
            assert exe.input_file_size == job.input_file_size
            assert exe.timeout == revisions[job.job_type_rev_id].manifest['job']['timeout']
            assert exe.node_id is not None
            assert job.created <= exe.queued <= exe.started
            if exe.status == ExecutionStatus.RUNNING:
                assert exe.ended is None
            else:
                assert exe.ended is not None and exe.started <= exe.ended <= job.last_modified
            assert (exe.error_id is not None) == (exe.status == ExecutionStatus.FAILED)
            assert (exe.exit_code == 0) == (exe.status == ExecutionStatus.COMPLETED)
            if num < job.num_exes and not requeued(job):
                assert is_retry(exe)
    assert JobExecution.objects.filter(exe_num__gt=1).exists()


def test_job_timelines(seeded):
    start = ANCHOR_DT - datetime.timedelta(days=DAYS)
    for job in Job.objects.all():
        assert start <= job.created <= ANCHOR_DT
        times = [t for t in (job.created, job.queued, job.started, job.ended) if t is not None]
        assert times == sorted(times)
        assert job.last_status_change is not None
        assert times[-1] <= job.last_status_change <= job.last_modified <= ANCHOR_DT
        expected = job.superseded if job.is_superseded else job.last_status_change
        assert job.last_modified == expected
        assert job.priority == (job.configuration or {}).get(
            'priority', job.job_type.configuration['priority']
        )


def test_inputs_files_and_resources(seeded):
    revisions = {rev.id: rev for rev in JobTypeRevision.objects.all()}
    links = defaultdict(lambda: defaultdict(list))
    for link in JobInputFile.objects.order_by('id'):
        links[link.job_id][link.job_input].append(link.input_file_id)
    files = {f.id: f for f in ScaleFile.objects.all()}
    for job in Job.objects.all():
        inputs = job.input['files']
        assert dict(links[job.id]) == inputs
        interface = revisions[job.job_type_rev_id].manifest['job']['interface']['inputs']['files']
        assert set(inputs) == {item['name'] for item in interface}
        inputs_files = [files[file_id] for ids in inputs.values() for file_id in ids]
        assert all(f.file_type == FileType.SOURCE for f in inputs_files)
        assert job.input_file_size == math.ceil(sum(f.file_size for f in inputs_files) / MIB)
        assert job.resources == job_resources(revisions[job.job_type_rev_id].manifest, job.input_file_size)
        assert job.source_started == min(f.source_started for f in inputs_files if f.source_started)
        assert job.source_ended == max(f.source_ended for f in inputs_files if f.source_ended)
        assert job.source_sensor_class == max(
            f.source_sensor_class for f in inputs_files if f.source_sensor_class
        )
        assert job.source_task == max(f.source_task for f in inputs_files if f.source_task)
    sources = [f for f in files.values() if f.file_type == FileType.SOURCE]
    assert len({f.source_sensor_class for f in sources} - {None}) == 5
    assert min(f.file_size for f in sources) < MIB < 2**30 < max(f.file_size for f in sources)
    assert len({(f.workspace_id, f.file_path) for f in files.values()}) == len(files)
    assert all(f.file_path.endswith(f.file_name) for f in files.values())
    for f in sources:
        if f.source_sensor_class:
            assert f.data_started <= f.data_ended and f.source_started == f.data_started
            assert f.countries and f.media_type and f.data_type_tags


def test_superseded_jobs(seeded):
    jobs = jobs_by_id()
    superseded = [job for job in jobs.values() if job.is_superseded]
    assert 0.01 * JOBS <= len(superseded) <= 0.06 * JOBS
    newer = {job.superseded_job_id: job for job in jobs.values() if job.superseded_job_id}
    assert set(newer) == {job.id for job in superseded}
    for old in superseded:
        new = newer[old.id]
        assert old.status in FINAL and old.superseded is not None
        assert new.job_type_id == old.job_type_id and new.input['files'] == old.input['files']
        assert old.last_status_change <= old.superseded == new.created


def test_recipes_batches_and_events(seeded):
    jobs = list(Job.objects.select_related('recipe', 'event'))
    in_recipes = [job for job in jobs if job.recipe_id]
    assert 0.2 * JOBS < len(in_recipes) < 0.4 * JOBS
    by_recipe = defaultdict(list)
    for job in in_recipes:
        by_recipe[job.recipe_id].append(job)
        assert job.event_id == job.recipe.event_id and job.batch_id == job.recipe.batch_id
    assert {len(members) for members in by_recipe.values()} <= {1, 2, 3, 4}
    for recipe in Recipe.objects.filter(id__in=list(by_recipe)):
        members = by_recipe[recipe.id]
        assert recipe.created <= min(job.created for job in members)
        if recipe.completed:
            assert all(job.status == JobStatus.COMPLETED for job in members)
    assert any(job.batch_id for job in in_recipes)
    for job in jobs:
        assert job.event.occurred <= job.created
        if job.batch_id:
            assert job.event.type == 'BATCH'
    per_event = Counter(job.event_id for job in jobs)
    assert len(per_event) < len(jobs) / 2  # events are shared


def test_log_lines(seeded):
    lines = defaultdict(list)
    for line in JobExecutionLog.objects.order_by('job_exe_id', 'scale_order_num'):
        lines[line.job_exe_id].append(line)
    for exe in JobExecution.objects.all():
        exe_lines = lines[exe.id]
        assert 3 <= len(exe_lines) <= 8
        assert [line.scale_order_num for line in exe_lines] == list(range(1, len(exe_lines) + 1))
        stamps = [line.timestamp for line in exe_lines]
        assert stamps == sorted(stamps)
        assert exe.started <= stamps[0] and stamps[-1] <= (exe.ended or ANCHOR_DT)
        assert {line.stream for line in exe_lines} <= {'stdout', 'stderr'}
        if exe.status == ExecutionStatus.FAILED:
            assert exe_lines[-1].stream == 'stderr'
            assert any(word in exe_lines[-1].message for word in ('ERROR', 'Error', 'exited'))


def test_log_line_options(db):
    run_seed(jobs=100, log_lines_max=0)
    assert JobExecution.objects.exists() and not JobExecutionLog.objects.exists()
    run_seed(jobs=100, log_lines_max=2)
    assert JobExecutionLog.objects.exists()
    assert max(Counter(JobExecutionLog.objects.values_list('job_exe_id', flat=True)).values()) <= 2


# -- determinism and re-runs ----------------------------------------------------------------------


def digest():
    """A digest of the generated rows (with their ids) of every table the command writes."""
    sha = hashlib.sha256()
    for row in Job.objects.order_by('id').values_list(
        'id', 'job_type__name', 'job_type__version', 'job_type_rev__revision_num', 'status', 'num_exes',
        'max_tries', 'priority', 'node__hostname', 'error__name', 'created', 'queued', 'started', 'ended',
        'last_modified', 'input', 'output', 'resources', 'source_sensor', 'recipe_id', 'batch_id',
        'superseded_job_id', 'event_id',
    ):  # fmt: skip
        sha.update(repr(row).encode())
    for model, fields in (
        (JobExecution, ('id', 'job_id', 'exe_num', 'status', 'node_id', 'error_id', 'started', 'ended')),
        (ScaleFile, ('id', 'file_name', 'file_path', 'file_size', 'uuid', 'data_started', 'job_id')),
        (JobExecutionLog, ('id', 'job_exe_id', 'scale_order_num', 'stream', 'message', 'timestamp')),
        (TriggerEvent, ('id', 'type', 'description', 'occurred')),
        (Recipe, ('id', 'recipe_type_id', 'batch_id', 'created', 'completed')),
        (JobType, ('id', 'name', 'version', 'manifest', 'configuration', 'created', 'last_modified')),
        (Node, ('id', 'hostname', 'resources', 'last_heartbeat')),
        (Batch, ('id', 'title', 'created', 'superseded_batch_id')),
    ):
        for row in model.objects.order_by('id').values_list(*fields):
            sha.update(repr(row).encode())
    return sha.hexdigest()


class Rollback(Exception):
    pass


def seed_and_digest(**options):
    """Seeds in a transaction that is then rolled back: the next run starts from the same database."""
    with pytest.raises(Rollback), transaction.atomic():
        run_seed(**options)
        value = digest()
        raise Rollback
    return value


def test_same_seed_and_anchor_give_identical_rows(db):
    first = seed_and_digest(jobs=400, seed=11)
    assert seed_and_digest(jobs=400, seed=11) == first
    assert seed_and_digest(jobs=400, seed=12) != first
    assert seed_and_digest(jobs=400, seed=11, anchor='2026-03-02T00:00:00Z') != first


def test_running_twice_appends(db):
    run_seed(jobs=300)
    counts = (JobType.objects.count(), Node.objects.count(), Workspace.objects.count(), Error.objects.count())
    run_seed(jobs=300)
    assert Job.objects.count() == 600
    assert (
        JobType.objects.count(),
        Node.objects.count(),
        Workspace.objects.count(),
        Error.objects.count(),
    ) == counts
    assert (
        ScaleFile.objects.values('workspace_id', 'file_path').distinct().count() == ScaleFile.objects.count()
    )
    # The second run's RUNNING executions still fit next to the first run's.
    load = defaultdict(Counter)
    for exe in JobExecution.objects.filter(status=ExecutionStatus.RUNNING):
        load[exe.node_id].update(exe.resources)
    for node in Node.objects.filter(id__in=list(load)):
        assert all(used <= node.resources.get(name, 0.0) + 1e-9 for name, used in load[node.id].items())


def test_orm_inserts_after_seeding_get_fresh_ids(db):
    run_seed(jobs=200)
    top = {
        model: model.objects.order_by('-id').values_list('id', flat=True).first()
        for model in (Job, JobExecution)
    }
    job = factories.job(status=JobStatus.RUNNING)
    execution = factories.execution(job)
    factories.log_lines(execution, [('stdout', 'hello')])
    assert job.id > top[Job] and execution.id > top[JobExecution]
    if connection.vendor == 'postgresql':
        with connection.cursor() as cursor:
            for table in (
                'job',
                'job_exe',
                'job_exe_log',
                'scale_file',
                'job_input_file',
                'trigger_event',
                'recipe',
            ):
                cursor.execute(f'SELECT last_value >= (SELECT max(id) FROM {table}) FROM {table}_id_seq')
                assert cursor.fetchone()[0], table


def test_loads_the_builtin_errors_when_missing(db):
    Error.objects.filter(is_builtin=True).delete()
    run_seed(jobs=50)
    assert Error.objects.filter(is_builtin=True, name='node-lost', should_be_retried=True).exists()


def test_bad_arguments():
    with pytest.raises(CommandError):
        call_command('seed_jobs', jobs=1, anchor='yesterday-ish', no_progress=True, stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command('seed_jobs', '--jobs', '-5', stdout=io.StringIO(), stderr=io.StringIO())
