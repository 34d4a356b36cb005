#!/usr/bin/env python
"""Bulk requeue, end to end: POST /v6/jobs/requeue/ until the task worker completes it, against one bare
UPDATE of the same rows.

    python bench/bench_requeue.py              # PostgreSQL (DATABASE_URL): 100,000 FAILED jobs to requeue
    python bench/bench_requeue.py --smoke      # 2,000 FAILED jobs, seconds
    python bench/bench_requeue.py --profile    # also: where the operation's time goes (SQL by statement)
    python bench/bench_requeue.py --unanalyzed-errors   # the error table without statistics (see below)

In a scratch database (<name>_requeue_bench next to DATABASE_URL's PostgreSQL database,
<name>_requeue_smoke for --smoke; SQLite under var/ without one),
with the builtin errors loaded and a staff token issued (manage.py issue_token), a world is created
with COPY (bulk_create on SQLite): FAILED jobs with a SYSTEM error (the ones to requeue), interleaved
by id with jobs the filter must leave alone: COMPLETED, QUEUED and CANCELED jobs, FAILED jobs with an
ALGORITHM or a DATA error, and superseded FAILED SYSTEM jobs (matched by the filter but skipped), of
three job types with different max_tries. Then VACUUM (ANALYZE) of every table and a CHECKPOINT.

--unanalyzed-errors starts from a new scratch database and leaves the error table without statistics,
as autovacuum leaves it in a deployment (its ~30 rows never reach the 50-change threshold). The
requeue's filter on error categories is a subquery on that table; without statistics the planner
estimates one SYSTEM error and picks plans that read every remaining match in each batch.

End to end: a real task worker (manage.py db_worker --no-startup-delay --interval 0.05) is started
and, once it is up, a child process POSTs {"status": "FAILED", "error_categories": ["SYSTEM"]} to
/v6/jobs/requeue/ through Django's test client with the staff token, then polls the operation row
every 20 ms until it is COMPLETED. The clock runs from the POST to the poll that sees COMPLETED. The
worker's peak RSS (VmHWM) is read before it is stopped with SIGTERM. The operation's `changed` must
equal the jobs now QUEUED with num_exes 2 and the number of FAILED SYSTEM jobs built, and nothing
else may have moved; a mismatch is a loud error and a non-zero exit.

Floor: the world is built again and a child runs ONE bare SQL UPDATE of the same rows (the requeue's
SET list, WHERE status FAILED, error among the SYSTEM errors, not superseded) in one transaction.
The ratio end-to-end / bare UPDATE says how close the service gets to it. Targets (the issue): at most
10 s end to end and at most 3 times the bare UPDATE.

--profile builds the world a third time and runs job.services.bulk.run_operation in-process with
every SQL statement timed by kind, and EXPLAIN (ANALYZE, BUFFERS) of the middle batch's statements
(PostgreSQL; inside a savepoint that is rolled back).

bench/run.py calls run() and keeps the figures under "requeue".
"""

import argparse
import contextlib
import datetime
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import bench_http
import scratch

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FULL = {'failed': 100_000}
SMOKE = {'failed': 2_000}
# The other jobs, as shares of the FAILED SYSTEM jobs: (status, error category, is_superseded, share).
OTHERS = (
    ('COMPLETED', None, False, 0.20),
    ('QUEUED', None, False, 0.05),
    ('CANCELED', None, False, 0.05),
    ('FAILED', 'ALGORITHM', False, 0.05),
    ('FAILED', 'DATA', False, 0.03),
    ('FAILED', 'SYSTEM', True, 0.01),
)
# (name, max_tries, share of the jobs)
JOB_TYPES = (('bench-ingest', 3, 0.5), ('bench-detect', 5, 0.3), ('bench-export', 2, 0.2))
BODY = {'status': 'FAILED', 'error_categories': ['SYSTEM']}
POLL_SECONDS = 0.02
TARGET_SECONDS = 10.0
TARGET_RATIO = 3.0


# -- the database --------------------------------------------------------------------------------------


def scratch_database_url(smoke):
    if smoke:
        return scratch.scratch_database_url('_requeue_smoke', 'bench-requeue-smoke.sqlite3')
    return scratch.scratch_database_url('_requeue_bench', 'bench-requeue.sqlite3')


def manage(url, *args):
    out = subprocess.run(
        [PYTHON, 'manage.py', *args],
        env=scratch.child_env(url),
        cwd=ROOT,
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    )
    return out.stdout


def prepare_database(url, fresh=False):
    """Creates the scratch database if missing (dropped or deleted first when `fresh`), migrates it,
    loads the builtin errors and returns a staff user's token. build_world empties its tables."""
    scratch.ensure_database(url, fresh)
    manage(url, 'migrate', '--noinput', '--verbosity', '0')
    manage(url, 'loaddata', str(ROOT / 'fixtures' / 'builtin_errors.json'), '--verbosity', '0')
    return manage(url, 'issue_token', 'bench-requeue', '--staff').strip().splitlines()[-1]


def child(url, phase, failed, data=None, **env):
    """Runs `phase` in a fresh process and returns its JSON answer."""
    return scratch.run_child(__file__, scratch.child_env(url, **env), phase, '--failed', failed, data=data)


class Worker:
    """manage.py db_worker in a child process, its output in a log file."""

    def __init__(self, url, log_path):
        self.log_path = log_path
        self.log = open(log_path, 'w')  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [PYTHON, 'manage.py', 'db_worker', '--no-startup-delay', '--interval', '0.05', '--no-reload'],
            env=scratch.child_env(url, SCALE_LOG_LEVEL='INFO'),
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while 'Starting worker' not in log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f'the task worker did not start; see {log_path}')
            time.sleep(0.05)

    def peak_rss(self):
        return bench_http.peak_rss_mib(self.process.pid)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# -- child phases (Django is set up) -------------------------------------------------------------------


def world_counts(failed):
    """How many jobs of each kind: {(status, category, is_superseded): count}."""
    counts = {('FAILED', 'SYSTEM', False): failed}
    for status, category, superseded, share in OTHERS:
        counts[(status, category, superseded)] = max(1, round(failed * share))
    return counts


def build_world(failed):
    """Empties the job tables and creates the job types and the jobs of world_counts(failed)."""
    from django.db import DatabaseError, connection
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from job.models import BulkOperation, Error, Job, JobExecution, JobType, JobTypeRevision, TriggerEvent

    rng = random.Random(11)
    now = timezone.now()
    with connection.cursor() as cursor:
        if connection.vendor == 'postgresql':
            tables = 'job_exe_log, job_exe, job_input_file, job, job_type_revision, job_type, trigger_event'
            cursor.execute(
                f'TRUNCATE {tables}, bulk_operation, {DBTaskResult._meta.db_table} RESTART IDENTITY CASCADE'
            )
        else:
            for model in (
                DBTaskResult,
                BulkOperation,
                JobExecution,
                Job,
                JobTypeRevision,
                JobType,
                TriggerEvent,
            ):
                model.objects.all().delete()
            cursor.execute('DELETE FROM sqlite_sequence')
    # The builtin errors have no DATA category: each job type gets a DATA error of its own.
    for name, _, _ in JOB_TYPES:
        Error.objects.get_or_create(
            job_type_name=name, name='bad-input', defaults={'title': 'Bad input', 'category': 'DATA'}
        )
    errors = {}
    for error_id, category in Error.objects.values_list('id', 'category'):
        errors.setdefault(category, []).append(error_id)
    if not errors.get('SYSTEM'):
        raise SystemExit('bench_requeue: no builtin SYSTEM errors (fixtures/builtin_errors.json not loaded?)')
    types = []
    for name, max_tries, share in JOB_TYPES:
        manifest = {'job': {'name': name, 'jobVersion': '1.0.0', 'timeout': 3600}}
        job_type = JobType.objects.create(
            name=name, version='1.0.0', title=name, manifest=manifest, max_tries=max_tries
        )
        revision = JobTypeRevision.objects.create(job_type=job_type, revision_num=1, manifest=manifest)
        types.append((job_type.id, revision.id, max_tries, share))
    event = TriggerEvent.objects.create(type='BENCH', occurred=now)
    kinds = []
    for kind, count in world_counts(failed).items():
        kinds.extend([kind] * count)
    rng.shuffle(kinds)
    weights = [share for *_, share in types]
    start = now - datetime.timedelta(days=30)
    rows = []
    for index, (status, category, superseded) in enumerate(kinds, start=1):
        type_id, revision_id, max_tries, _ = rng.choices(types, weights)[0]
        created = start + datetime.timedelta(seconds=index * 10)
        queued = created + datetime.timedelta(seconds=1)
        started = ended = None
        if status in ('FAILED', 'COMPLETED', 'CANCELED'):
            started = queued + datetime.timedelta(seconds=5)
            ended = started + datetime.timedelta(seconds=rng.randint(10, 600))
        error_id = rng.choice(errors[category]) if category else None
        rows.append(
            {
                'id': index,
                'job_type_id': type_id,
                'job_type_rev_id': revision_id,
                'event_id': event.id,
                'is_superseded': superseded,
                'superseded': ended if superseded else None,
                'status': status,
                'error_id': error_id,
                'priority': rng.choice((50, 100, 100, 200)),
                'max_tries': max_tries,
                'num_exes': 1,
                'input': '{"files": {}, "json": {}}',
                'resources': '{"cpus": 1.0, "mem": 1024.0, "disk": 512.0, "gpus": 0.0}',
                'created': created,
                'queued': queued,
                'started': started,
                'ended': ended,
                'last_status_change': ended or queued,
                'last_modified': ended or queued,
            }
        )
    if connection.vendor == 'postgresql':
        _copy_jobs(connection, rows)
        # Every table analyzed, the error table too, unless --unanalyzed-errors: its ~30 rows stay under
        # autovacuum's threshold (50 changes), so a deployment's error table has no statistics.
        if os.environ.get('BENCH_ANALYZE_ERRORS') == '0':
            connection.cursor().execute('VACUUM (ANALYZE) job, job_type, job_type_revision, trigger_event')
        else:
            connection.cursor().execute('VACUUM (ANALYZE)')
        # Dirty buffers written now, not during a measurement (needs the right to CHECKPOINT).
        with contextlib.suppress(DatabaseError):
            connection.cursor().execute('CHECKPOINT')
    else:
        for row in rows:
            row['input'], row['resources'] = json.loads(row['input']), json.loads(row['resources'])
        Job.objects.bulk_create((Job(**row) for row in rows), batch_size=500)
        # bulk_create stamps last_modified (auto_now): put the world's values back.
        with connection.cursor() as cursor:
            cursor.execute('UPDATE job SET last_modified = COALESCE(ended, queued)')
            cursor.execute('ANALYZE')
    return {
        'jobs': len(rows),
        'counts': {' '.join(map(str, kind)): count for kind, count in world_counts(failed).items()},
    }


def _copy_jobs(connection, rows):
    columns = list(rows[0])
    with connection.cursor() as wrapper:
        with wrapper.cursor.copy(f'COPY job ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(tuple(row.values()))
        wrapper.execute("SELECT setval(pg_get_serial_sequence('job', 'id'), %s)", [len(rows)])


def job_tally():
    """{status/category/superseded/num_exes: count} of every job."""
    from django.db.models import Count

    from job.models import Job

    rows = Job.objects.values_list('status', 'error__category', 'is_superseded', 'num_exes').annotate(
        count=Count('id')
    )
    return {
        f'{status} {category} {superseded} {num_exes}': count
        for status, category, superseded, num_exes, count in rows
    }


def check(failed, changed):
    """The problems (a list of strings) with the database after a requeue that reports `changed`."""
    from django.db.models import F

    from job.models import Job

    counts = world_counts(failed)
    problems = []
    requeued = Job.objects.filter(status='QUEUED', num_exes=2).count()
    if changed != requeued:
        problems.append(f'changed {changed} but {requeued} jobs are QUEUED with num_exes 2')
    if requeued != counts[('FAILED', 'SYSTEM', False)]:
        problems.append(
            f'{requeued} jobs requeued; {counts[("FAILED", "SYSTEM", False)]} FAILED SYSTEM jobs built'
        )
    wrong_tries = (
        Job.objects.filter(status='QUEUED', num_exes=2)
        .exclude(max_tries=1 + F('job_type__max_tries'))
        .count()
    )
    if wrong_tries:
        problems.append(f"{wrong_tries} requeued jobs have max_tries != 1 + their job type's max_tries")
    dirty = (
        Job.objects.filter(status='QUEUED', num_exes=2)
        .exclude(error=None, node=None, started=None, ended=None)
        .count()
    )
    if dirty:
        problems.append(f'{dirty} requeued jobs kept an error, a node, started or ended')
    for (status, category, superseded), count in counts.items():
        if (status, category, superseded) == ('FAILED', 'SYSTEM', False):
            continue
        left = Job.objects.filter(status=status, is_superseded=superseded, num_exes=1)
        left = left.filter(error__category=category) if category else left.filter(error=None)
        if left.count() != count:
            problems.append(f'{status} {category} superseded={superseded}: {left.count()} left of {count}')
    return problems


def requeue(token, failed):
    """POST the requeue, poll the operation until it ends; returns its figures (and checks)."""
    import resource

    from django.test import Client
    from django.utils import timezone

    from job.models import BulkOperation

    client = Client(headers={'Authorization': f'Token {token}'})
    # Warm-up, off the clock: the first request of a process imports and builds what every request
    # uses (URL resolvers, DRF, the authentication); a server's workers have done that long before.
    warm = client.get('/v6/bulk-operations/?page_size=1')
    if warm.status_code != 200:
        raise SystemExit(f'GET /v6/bulk-operations/: {warm.status_code} {warm.content[:500]!r}')
    started = time.perf_counter()
    response = client.post('/v6/jobs/requeue/', BODY, content_type='application/json')
    posted = time.perf_counter()
    if response.status_code != 202:
        raise SystemExit(f'POST /v6/jobs/requeue/: {response.status_code} {response.content[:500]!r}')
    operation_id = response.json()['id']
    deadline = started + (120 if failed <= 10_000 else 900)
    samples = []  # (seconds since the POST, processed) each time processed moved
    fields = ('state', 'processed')
    while True:
        state, processed = BulkOperation.objects.filter(pk=operation_id).values_list(*fields).get()
        now = time.perf_counter()
        if not samples or samples[-1][1] != processed:
            samples.append((round(now - started, 4), processed))
        if state in ('COMPLETED', 'FAILED'):
            break
        if now > deadline:
            raise SystemExit(f'bulk operation {operation_id} still {state} after {now - started:.0f} s')
        time.sleep(POLL_SECONDS)
    end_to_end = time.perf_counter() - started
    operation = BulkOperation.objects.get(pk=operation_id)
    detail = client.get(response.headers['Location'])
    return {
        'operation_id': operation_id,
        'state': operation.state,
        'error': operation.error,
        'location': response.headers['Location'],
        'detail_state': detail.json().get('state') if detail.status_code == 200 else detail.status_code,
        'end_to_end_seconds': round(end_to_end, 3),
        'post_seconds': round(posted - started, 3),
        # From the request's timestamp to run_operation's `started` (after the worker claimed the task
        # and the operation and counted the matching jobs), then to `ended`.
        'pickup_seconds': round((operation.started - operation.created).total_seconds(), 3)
        if operation.started
        else None,
        'run_operation_seconds': round((operation.ended - operation.started).total_seconds(), 3)
        if operation.started and operation.ended
        else None,
        'seen_after_end_seconds': round((timezone.now() - operation.ended).total_seconds(), 3)
        if operation.ended
        else None,
        'matched': operation.matched,
        'processed': operation.processed,
        'changed': operation.changed,
        'skipped': operation.skipped,
        'attempts': operation.attempts,
        'progress': samples,
        'problems': check(failed, operation.changed),
        'tally': job_tally(),
        'client_peak_rss_mib': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def bare_update(failed):
    """ONE plain UPDATE of the rows the requeue changes, in one transaction, timed (commit included)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from job.models import Error

    system = list(Error.objects.filter(category='SYSTEM').values_list('id', flat=True))
    placeholders = ', '.join(['%s'] * len(system))
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            'UPDATE job SET status = %s, num_exes = num_exes + 1, '
            'max_tries = num_exes + (SELECT t.max_tries FROM job_type t WHERE t.id = job.job_type_id), '
            'node_id = NULL, error_id = NULL, started = NULL, ended = NULL, queue_reason = NULL, '
            'queued = %s, last_status_change = %s, last_modified = %s '
            f"WHERE status = 'FAILED' AND error_id IN ({placeholders}) AND NOT is_superseded",
            ['QUEUED', now, now, now, *system],
        )
        updated = cursor.rowcount
    seconds = time.perf_counter() - started
    return {'updated': updated, 'seconds': round(seconds, 3), 'problems': check(failed, updated)}


def profile(token, failed):
    """run_operation in this process, every SQL statement timed by kind; EXPLAIN of the middle batch."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from job.choices import BulkOperationKind
    from job.services import bulk

    user = get_user_model().objects.get(pk=Token.objects.get(key=token).user_id)
    operation, _ = bulk.create_operation(BulkOperationKind.REQUEUE, user, BODY)
    middle = failed * (1 + sum(share for *_, share in OTHERS)) / 2
    seconds, counts, explained, plans = {}, {}, set(), {}

    def kind(sql):
        head = sql.lstrip()[:60].upper()
        if head.startswith(('EXPLAIN', 'SAVEPOINT', 'ROLLBACK TO')):
            return 'other: the profile itself'
        if head.startswith('UPDATE "JOB"'):
            return 'UPDATE job (the requeue)'
        if 'SKIP LOCKED' in sql.upper():
            return 'SELECT job ids FOR UPDATE SKIP LOCKED (the batch)'
        if 'FROM "JOB"' in sql.upper() and 'FOR UPDATE' in sql.upper():
            return 'SELECT job ids FOR UPDATE (rows another transaction held)'
        if head.startswith('UPDATE "BULK_OPERATION"'):
            return 'UPDATE bulk_operation'
        if 'FROM "BULK_OPERATION"' in sql.upper() and 'FOR UPDATE' in sql.upper():
            return 'SELECT bulk_operation FOR UPDATE'
        if 'COUNT(' in head:
            return 'SELECT COUNT(*) (matched, held rows check)'
        return 'other: ' + ' '.join(sql.split()[:4])

    def wrapper(execute, sql, params, many, context):
        name = kind(sql)
        cursor = context['cursor']
        if (
            connection.vendor == 'postgresql'
            and name
            in (
                'SELECT job ids FOR UPDATE SKIP LOCKED (the batch)',
                'UPDATE job (the requeue)',
            )
            and name not in explained
            and params
            and _first_id(name, params) >= middle
        ):
            explained.add(name)
            cursor.execute('SAVEPOINT bench_explain')
            cursor.execute('EXPLAIN (ANALYZE, BUFFERS) ' + sql, params)
            plans[name] = [row[0] for row in cursor.fetchall()]
            cursor.execute('ROLLBACK TO SAVEPOINT bench_explain')
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
            counts[name] = counts.get(name, 0) + 1

    batches = []
    real_batch = bulk._run_batch

    def timed_batch(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real_batch(*args, **kwargs)
        finally:
            batches.append(time.perf_counter() - started)

    bulk._run_batch = timed_batch
    connection.ensure_connection()
    real_commit = connection._commit

    def timed_commit(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real_commit(*args, **kwargs)
        finally:
            seconds['COMMIT'] = seconds.get('COMMIT', 0.0) + time.perf_counter() - started
            counts['COMMIT'] = counts.get('COMMIT', 0) + 1

    connection._commit = timed_commit
    started = time.perf_counter()
    with connection.execute_wrapper(wrapper):
        result = bulk.run_operation(operation.id)
    total = time.perf_counter() - started
    sql_total = sum(seconds.values())
    return {
        'state': result.state,
        'changed': result.changed,
        'seconds': round(total, 3),
        'sql_seconds': round(sql_total, 3),
        'python_seconds': round(total - sql_total, 3),
        'by_statement': {
            name: {
                'count': counts[name],
                'seconds': round(value, 3),
                'ms_each': round(value / counts[name] * 1000, 2),
            }
            for name, value in sorted(seconds.items(), key=lambda item: -item[1])
        },
        'batches': len(batches),
        'batch_ms': {
            'median': round(statistics.median(batches) * 1000, 1),
            'p95': round(sorted(batches)[int(len(batches) * 0.95) - 1] * 1000, 1),
            'max': round(max(batches) * 1000, 1),
        },
        'plans': plans,
    }


def _first_id(name, params):
    """A job id the batch statement is about: the cursor of the SELECT (the lower of its two ids), the
    highest id of the batch for the others (their other integer parameters are small: `num_exes + 1`)."""
    numbers = [value for value in params if isinstance(value, int) and not isinstance(value, bool)]
    for value in params:
        if isinstance(value, (list, tuple)):
            numbers.extend(item for item in value if isinstance(item, int))
    if not numbers:
        return 0
    return min(numbers) if name.startswith('SELECT job ids') else max(numbers)


def child_main(args):
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if args.child == 'build':
        answer = build_world(args.failed)
    elif args.child == 'requeue':
        answer = requeue(sys.stdin.read().strip(), args.failed)
    elif args.child == 'floor':
        answer = bare_update(args.failed)
    else:
        answer = profile(sys.stdin.read().strip(), args.failed)
    print(json.dumps(answer, default=str))


# -- the driver -----------------------------------------------------------------------------------------


def _rate(samples, low, high):
    """Jobs per second between the polls that saw processed cross `low` and `high` shares of the end."""
    if len(samples) < 3 or not samples[-1][1]:
        return None
    end = samples[-1][1]
    first = next(sample for sample in samples if sample[1] >= end * low)
    last = next(sample for sample in samples if sample[1] >= end * high)
    if last[0] <= first[0]:
        return None
    return round((last[1] - first[1]) / (last[0] - first[0]))


def run(smoke=False, failed=None, profile=False, unanalyzed_errors=False):
    """Runs the benchmark and returns its figures (a dict); prints a summary. Exits non-zero (SystemExit)
    when the database does not show what the operation reports. `unanalyzed_errors` (PostgreSQL): a
    new scratch database whose error table is never analyzed, as in a deployment."""
    failed = failed or (SMOKE if smoke else FULL)['failed']
    url = scratch_database_url(smoke)
    database = 'postgresql' if url.startswith('postgres') else 'sqlite'
    counts = world_counts(failed)
    total = sum(counts.values())
    print(
        f'requeue benchmark: {failed:,} FAILED SYSTEM jobs to requeue among {total:,} jobs, {database} '
        f'({url.split("@")[-1]})',
        flush=True,
    )
    unanalyzed_errors = unanalyzed_errors and database == 'postgresql'
    token = prepare_database(url, fresh=unanalyzed_errors)
    build_env = {'BENCH_ANALYZE_ERRORS': '0' if unanalyzed_errors else '1'}
    started = time.monotonic()
    world = child(url, 'build', failed, **build_env)
    build_seconds = time.monotonic() - started

    log_path = ROOT / 'var' / ('bench-requeue-smoke-worker.log' if smoke else 'bench-requeue-worker.log')
    worker = Worker(url, log_path)
    try:
        measured = child(url, 'requeue', failed, data=token, ALLOWED_HOSTS='testserver')
        worker_rss = worker.peak_rss()
    finally:
        worker.stop()
    child(url, 'build', failed, **build_env)
    bare = child(url, 'floor', failed)
    problems = [f'requeue: {problem}' for problem in measured['problems']]
    problems += [f'bare UPDATE: {problem}' for problem in bare['problems']]
    if measured['detail_state'] != measured['state']:
        problems.append(f'requeue: GET {measured["location"]} says {measured["detail_state"]}')
    if measured['state'] != 'COMPLETED':
        problems.append(f'requeue: the operation ended {measured["state"]}: {measured["error"]}')

    end_to_end = measured['end_to_end_seconds']
    ratio = end_to_end / bare['seconds'] if bare['seconds'] else 0
    progress = measured['progress']
    figures = {
        'database': database,
        'failed_system_jobs': failed,
        'jobs': world['jobs'],
        'world': world['counts'],
        'world_build_seconds': round(build_seconds, 1),
        'error_table_analyzed': not unanalyzed_errors,
        'batch_size': int(os.environ.get('SCALE_BULK_BATCH_SIZE', 1000)),
        'end_to_end_seconds': end_to_end,
        'post_seconds': measured['post_seconds'],
        'pickup_seconds': measured['pickup_seconds'],
        'run_operation_seconds': measured['run_operation_seconds'],
        'seen_after_end_seconds': measured['seen_after_end_seconds'],
        'matched': measured['matched'],
        'processed': measured['processed'],
        'changed': measured['changed'],
        'skipped': measured['skipped'],
        'jobs_per_second': round(measured['changed'] / end_to_end) if end_to_end else 0,
        'processed_per_second_first_tenth': _rate(progress, 0.0, 0.1),
        'processed_per_second_last_tenth': _rate(progress, 0.9, 1.0),
        'worker_peak_rss_mib': worker_rss,
        'bare_update_seconds': bare['seconds'],
        'bare_update_rows': bare['updated'],
        'bare_update_jobs_per_second': round(bare['updated'] / bare['seconds']) if bare['seconds'] else 0,
        'ratio_to_bare_update': round(ratio, 2),
        'targets': {
            f'end_to_end_at_most_{TARGET_SECONDS:g}_s': end_to_end <= TARGET_SECONDS,
            f'ratio_at_most_{TARGET_RATIO:g}': ratio <= TARGET_RATIO,
        },
        'worker_log': str(log_path.relative_to(ROOT)),
        'problems': problems,
    }
    if profile:
        child(url, 'build', failed, **build_env)
        figures['profile'] = child(url, 'profile', failed, data=token)
    print(
        f'  requeued {figures["changed"]:,} jobs ({figures["matched"]:,} matched, {figures["skipped"]:,} skipped) '
        f'end to end in {end_to_end:.2f} s: {figures["jobs_per_second"]:,} jobs/s\n'
        f'    POST {figures["post_seconds"]:.3f} s, request to run_operation start {figures["pickup_seconds"]} s, '
        f'inside run_operation {figures["run_operation_seconds"]} s, seen {figures["seen_after_end_seconds"]} s '
        f'after the end\n'
        f'    processed/s: first tenth {figures["processed_per_second_first_tenth"]}, '
        f'last tenth {figures["processed_per_second_last_tenth"]}; worker peak RSS {worker_rss} MiB\n'
        f'  bare UPDATE of the same {bare["updated"]:,} rows: {bare["seconds"]:.2f} s '
        f'({figures["bare_update_jobs_per_second"]:,} jobs/s); ratio {figures["ratio_to_bare_update"]}\n'
        f'  targets: end to end <= {TARGET_SECONDS:g} s: '
        f'{"yes" if end_to_end <= TARGET_SECONDS else "NO"} ({end_to_end:.2f} s); '
        f'ratio <= {TARGET_RATIO:g}: {"yes" if ratio <= TARGET_RATIO else "NO"} ({ratio:.2f})'
        + (
            ''
            if database == 'postgresql' and not smoke
            else '  [the targets are for 100,000 jobs on PostgreSQL]'
        ),
        flush=True,
    )
    if profile:
        _print_profile(figures['profile'])
    if problems:
        print('\n!!! REQUEUE BENCHMARK: THE DATABASE DOES NOT MATCH THE OPERATION !!!', file=sys.stderr)
        for problem in problems:
            print(f'!!!   {problem}', file=sys.stderr)
        print(f'!!! tally after the requeue: {measured["tally"]}', file=sys.stderr, flush=True)
        raise SystemExit(1)
    return figures


def _print_profile(found):
    print(
        f'  profile (run_operation in-process): {found["seconds"]:.2f} s, {found["batches"]} batches '
        f'(median {found["batch_ms"]["median"]} ms, p95 {found["batch_ms"]["p95"]} ms, max {found["batch_ms"]["max"]} ms); '
        f'SQL {found["sql_seconds"]:.2f} s, Python {found["python_seconds"]:.2f} s'
    )
    for name, figure in found['by_statement'].items():
        print(f'    {name:40} {figure["count"]:6} x {figure["ms_each"]:8.2f} ms = {figure["seconds"]:7.3f} s')
    for name, plan in found['plans'].items():
        print(f'    EXPLAIN (ANALYZE, BUFFERS) {name}:')
        for line in plan:
            print(f'      {line if len(line) <= 160 else line[:157] + "..."}')


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--smoke', action='store_true', help=f'{SMOKE["failed"]:,} FAILED jobs')
    parser.add_argument('--failed', type=int, help='FAILED SYSTEM jobs to requeue')
    parser.add_argument('--profile', action='store_true', help='also profile run_operation in-process')
    parser.add_argument(
        '--unanalyzed-errors',
        action='store_true',
        help='PostgreSQL: a new scratch database whose error table has no statistics, as in a deployment',
    )
    parser.add_argument('--child', choices=('build', 'requeue', 'floor', 'profile'), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
    else:
        figures = run(args.smoke, args.failed, args.profile, args.unanalyzed_errors)
        figures.pop('profile', None)
        print(json.dumps(figures, indent=2))


if __name__ == '__main__':
    main()
