#!/usr/bin/env python
"""Benchmarks of the job service (issue 6), measured from outside: real processes, real HTTP.

    make bench          # DATABASE_URL=postgres://...: a <name>_bench database with 1,000,000 jobs
    make bench-smoke    # every benchmark at a small size, seconds (part of `make test`)
    python bench/run.py --only lists,post   # some benchmarks only (lists details ui post logs scheduler requeue)
    python bench/run.py --show bench/results/latest.json   # the table of a results file again

The benchmark database (BENCH_DATABASE_URL, else <name>_bench next to DATABASE_URL's PostgreSQL
database, else SQLite under var/) is migrated, gets the demo fixtures (manage.py load_demo, when its
job type `sleep` is missing) and is filled with `seed_jobs --jobs 1000000 --seed 1` once: it is
reused while it holds that many jobs. A database the harness has just seeded, or whose job table was
never vacuumed nor analyzed, gets VACUUM (ANALYZE) (what autovacuum does after a bulk load) before
anything is measured. A staff token (manage.py issue_token bench --staff) is issued for the POSTs.
Peak memory is VmHWM from /proc (seed_jobs: its rusage, taken while this process is still small).

Through gunicorn (two sync workers; bench_http.Api), after warm-up, median, p95 and max over 50
requests each (a figure that passes its 30 s budget stops there with at least 10, and says so in
`requests` and `budget_cut`):
- GET /v6/jobs/ at page_size 100 and 1000 in the shapes of the issue: no filter; page=last; the page
  holding the middle row (page 5,000 at page_size 100, 500 at 1000, for 1,000,000 jobs: computed from
  --jobs, not from the current count); status=RUNNING; status=FAILED&error_category=SYSTEM;
  started=P1D; job_type_name=<the most common job type>&order=-last_modified; batch_id=<the batch
  with the most jobs>; order=duration; order=job_type__name&order=-job_type__version;
  source_started=P30D&source_ended=PT0S&source_sensor_class=<the most common class>;
  is_superseded=false&order=-created. Every answer must be a 200 page; `count` and the number of
  `results` are kept. Durations (P1D, P30D) are relative to now: the seeded rows sit in the 60 days
  before seeding, so those shapes match fewer rows as the database ages.
- Beside each, the floor (bench_floor.py): the SQL the view runs for the same GET on the job table,
  plus its count query wherever it reads the count from (today: the count, a COUNT on job or a SUM
  over job_count; the page of ids with LIMIT/OFFSET; the rows of those ids), captured through the
  test client and executed verbatim on the same connection settings, at least 50 rounds after
  warm-up, timed until libpq holds the whole result (psycopg's decoding of the rows into Python
  values is reported apart); ratio = API median / floor median. The SQL texts, their times and one
  EXPLAIN (ANALYZE, BUFFERS) each go to bench/results/latest-sql.json. Check: the count the SQL
  returns equals the API's `count` (shapes without a duration; nothing else may write meanwhile).
- GET /v6/jobs/{id}/, /v6/jobs/{id}/executions/, /v6/jobs/{id}/input_files/ of a job in the middle of
  the table with two or more executions and input files, and GET /v6/job-executions/?status=FAILED.
- The Scale web UI's calls as it sends them (bench_ui.py): status, scheduler, running job types, the
  dashboard's tiles, load and charts, the jobs page, queue, nodes, errors, output files, a log.
- POST /v6/jobs/ throughput (bench_post.py): 4 client threads for 12 s (2 s on smoke), jobs/s and
  latency. The jobs stay: each full run adds some hundreds of QUEUED jobs to the benchmark database.
- The API workers' peak RSS (VmHWM) after all of the above.
Then, each in a scratch database of its own: execution logs (bench_logs.py: ingest of 1,000,000 lines
as the node agent stores them, lines/s and peak RSS; GET of a 100,000-line log as JSON and as text;
the API worker's peak RSS while it serves a 1,000,000-line log as text), scheduler placements per
second (bench_scheduler.py: 100,000 queued jobs, 1,000 nodes, against the bare writes) and the bulk
requeue of 100,000 jobs (bench_requeue.py, against one bare UPDATE).

One table is printed (figure, requests, median, p95, max, floor, floor p95, ratio, other results,
target, met) and written with everything else (details of each benchmark, peak memory, machine,
commit, date, load average) to bench/results/latest.json (smoke: smoke.json). Targets (issue 6, for
1,000,000 jobs on PostgreSQL on a 2-core machine): list shapes at page_size 100 p95 <= 50 ms and
ratio <= 2; page_size 1000 p95 <= 250 ms; job detail and executions p95 <= 20 ms; POST >= 300 jobs/s;
scheduler >= 5,000 placements/s; requeue of 100,000 jobs <= 10 s (and <= 3x the bare UPDATE, the
requeue benchmark's own); log ingest >= 50,000 lines/s; a 100,000-line log p95 <= 1 s; every peak
RSS <= 512 MiB. A missed target is shown, never an error. The exit status is non-zero when a
benchmark crashed or one of its checks failed (every benchmark still runs; the results are written).

--smoke: 1,000 jobs in a fresh <name>_bench_smoke PostgreSQL database when DATABASE_URL is
PostgreSQL (the scratch databases get a _smoke suffix too), else SQLite under var/; 2 requests a
figure; the other benchmarks at their smoke sizes.
"""

import argparse
import datetime
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path

# bench/ is the script's directory, first on sys.path
import bench_floor
import bench_http
import bench_logs
import bench_post
import bench_requeue
import bench_scheduler
import bench_ui
import scratch

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / 'bench' / 'results'
PYTHON = sys.executable
BENCHMARKS = ('lists', 'details', 'ui', 'post', 'logs', 'scheduler', 'requeue')
FULL_JOBS = 1_000_000
SMOKE_JOBS = 1_000
RSS_TARGET_MIB = 512
# (name, query, whether the query is relative to now: its count may move while the benchmark runs)
LIST_SHAPES = (
    ('no filter', '', False),
    ('page=last', 'page=last', False),
    ('middle page', 'page={middle}', False),
    ('status=RUNNING', 'status=RUNNING', False),
    ('status=FAILED&error_category=SYSTEM', 'status=FAILED&error_category=SYSTEM', False),
    ('started=P1D', 'started=P1D', True),
    ('job_type_name&order=-last_modified', 'job_type_name={name}&order=-last_modified', False),
    ('batch_id', 'batch_id={batch}', False),
    ('order=duration', 'order=duration', False),
    ('order=job_type__name&order=-job_type__version', 'order=job_type__name&order=-job_type__version', False),
    (
        'source range + sensor class',
        'source_started=P30D&source_ended=PT0S&source_sensor_class={sensor_class}',
        True,
    ),
    ('is_superseded=false&order=-created', 'is_superseded=false&order=-created', False),
)
PAGE_SIZES = (100, 1000)


# -- the benchmark database ----------------------------------------------------------------------------


def bench_database_url(smoke):
    """BENCH_DATABASE_URL (not for smoke), else <name>_bench (<name>_bench_smoke) next to DATABASE_URL's
    PostgreSQL database, else SQLite under var/."""
    if os.environ.get('BENCH_DATABASE_URL') and not smoke:
        return os.environ['BENCH_DATABASE_URL']
    if smoke:
        return scratch.scratch_database_url('_bench_smoke', 'bench-smoke.sqlite3')
    return scratch.scratch_database_url('_bench', 'bench.sqlite3')


def child(env, *args):
    """Runs a phase of this script in a child process with Django set up; returns its JSON answer."""
    return scratch.run_child(__file__, env, *args)


def child_state():
    """Migrates, loads the demo fixtures when the job type sleep is missing; the database's state."""
    import io

    from django.core.management import call_command
    from django.db import connection

    from job.models import Job, JobType

    call_command('migrate', interactive=False, verbosity=0)
    demo = JobType.objects.filter(name='sleep', version='1.0.0').exists()
    if not demo:
        call_command('load_demo', stdout=io.StringIO())
    maintained = True
    if connection.vendor == 'postgresql':
        with connection.cursor() as cursor:
            cursor.execute(
                'SELECT coalesce(last_vacuum, last_autovacuum) IS NOT NULL AND '
                'coalesce(last_analyze, last_autoanalyze) IS NOT NULL '
                "FROM pg_stat_user_tables WHERE relname = 'job'"
            )
            row = cursor.fetchone()
            maintained = bool(row and row[0])
    return {'jobs': Job.objects.count(), 'demo_loaded': not demo, 'maintained': maintained}


def child_ready(vacuum):
    """VACUUM (ANALYZE) when asked; the job count, a staff token and the values the figures use."""
    import io

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from job.models import Job, JobTypeDailyMetrics
    from job.services.counts import compact_job_counts
    from node.models import Scheduler

    answer = {}
    if vacuum:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute('VACUUM (ANALYZE)')
        answer['vacuum_analyze_seconds'] = round(time.monotonic() - started, 1)
    # A database seeded before seed_jobs computed the job type metrics (the UI's charts read them).
    if not JobTypeDailyMetrics.objects.exists():
        call_command('compute_metrics', '--all', '--no-progress', stdout=io.StringIO())
    # No scheduler runs against the benchmark database (a pass would fail the seeded nodes' jobs as
    # lost): its upkeep is done here. The job_count rows the writers appended (63,000 after seeding a
    # million jobs, 5 ms of every count) are folded, as its passes do; one reported pass, which the API
    # is told never goes stale, lets /v6/status/ answer.
    compact_job_counts()
    Scheduler.objects.filter(pk=Scheduler.load().pk, last_pass__isnull=True).update(last_pass=timezone.now())
    out = io.StringIO()
    call_command('issue_token', 'bench', '--staff', stdout=out)
    answer['token'] = out.getvalue().strip().splitlines()[-1]
    answer['jobs'] = Job.objects.count()

    # A job in the middle of the table with two executions or more and input files, for the detail
    # figures; the most common job type, batch and sensor class, for the list shapes.
    middle = (Job.objects.order_by('id').values_list('id', flat=True).first() or 0) + answer['jobs'] // 2
    later = Job.objects.filter(id__gte=middle).order_by('id')
    job = (
        later.filter(num_exes__gte=2, input_file_links__isnull=False).values_list('id', flat=True).first()
        or later.filter(num_exes__gte=1).values_list('id', flat=True).first()
        or Job.objects.order_by('id').values_list('id', flat=True).first()
    )

    def most_common(field):
        row = (
            Job.objects.exclude(**{field: None})
            .values(field)
            .annotate(n=Count('id'))
            .order_by('-n', field)
            .first()
        )
        return row[field] if row else None

    answer['sample'] = {
        'job': job,
        'name': most_common('job_type__name'),
        'batch': most_common('batch_id'),
        'sensor_class': most_common('source_sensor_class'),
        'recipe': most_common('recipe_id'),
    }
    return answer


def prepare(url, jobs, smoke):
    """Creates, migrates, fills and maintains the benchmark database; returns (env, info)."""
    env = scratch.child_env(url)
    scratch.ensure_database(url, fresh=smoke)
    state = child(env, 'state')
    info = {'seeded': None, 'demo_loaded': state['demo_loaded']}
    if state['jobs'] < jobs:
        missing = jobs - state['jobs']
        print(f'seeding {missing:,} jobs (seed_jobs --jobs {missing} --seed 1)', flush=True)
        argv = [PYTHON, str(ROOT / 'manage.py'), 'seed_jobs', '--jobs', str(missing), '--seed', '1']
        if smoke:
            argv.append('--no-progress')
        started = time.monotonic()
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL if smoke else None)
        _pid, status, usage = os.wait4(process.pid, 0)
        if status != 0:
            raise SystemExit(f'seed_jobs failed ({status})')
        info['seeded'] = {
            'jobs': missing,
            'seconds': round(time.monotonic() - started, 1),
            'peak_rss_mib': round(usage.ru_maxrss / 1024, 1),
        }
        state['maintained'] = False
    vacuum = url.startswith('postgres') and not state['maintained']
    if vacuum:
        print('VACUUM (ANALYZE) of the benchmark database (just seeded, or never vacuumed)', flush=True)
    info.update(child(env, 'ready', '1' if vacuum else '0'))
    return env, info


# -- the figures ---------------------------------------------------------------------------------------


def list_paths(values, jobs):
    """{figure name: (path, relative to now)} of the jobs list shapes."""
    paths = {}
    for size in PAGE_SIZES:
        middle = max(1, math.ceil(jobs / 2 / size))
        for name, query, relative in LIST_SHAPES:
            query = query.format(middle=middle, **values)
            label = f'page={middle} (middle row)' if name == 'middle page' else name
            paths[f'GET /v6/jobs/ {label} (page_size {size})'] = (
                f'/v6/jobs/?{query}&page_size={size}',
                relative,
            )
    return paths


def detail_paths(values):
    job = values['job']
    return {
        'GET /v6/jobs/{id}/': f'/v6/jobs/{job}/',
        'GET /v6/jobs/{id}/executions/': f'/v6/jobs/{job}/executions/',
        'GET /v6/jobs/{id}/input_files/': f'/v6/jobs/{job}/input_files/',
        'GET /v6/job-executions/?status=FAILED': '/v6/job-executions/?status=FAILED',
    }


def measure_get(api, path, settings, problems, page_size=None):
    """Times GET `path`; checks the answer (a page of at most `page_size` results for lists)."""
    body = json.loads(api.get(path))
    extra = {'path': path}
    if page_size is not None:
        if not isinstance(body, dict) or not {'count', 'results'} <= set(body):
            problems.append(f'GET {path}: not a page: {str(body)[:200]}')
        else:
            extra.update(count=body['count'], rows=len(body['results']))
            if len(body['results']) > page_size or len(body['results']) > body['count']:
                problems.append(f'GET {path}: {len(body["results"])} results, count {body["count"]}')
    figure = bench_http.measure(
        lambda: api.get(path), settings['requests'], settings['warmup'], settings['budget'], settings['min']
    )
    return {**extra, **figure}


def _print_progress(name, figure):
    cut = ' (budget cut)' if figure.get('budget_cut') else ''
    print(
        f'  {name:72} {figure["median_ms"]:9.1f} {figure["p95_ms"]:9.1f} {figure["max_ms"]:9.1f}'
        f'  n={figure["requests"]}{cut}',
        flush=True,
    )


def run_api_benchmarks(env, info, values, jobs, settings, selected, results, problems):
    api = bench_http.Api(env)
    try:
        results['memory_mib']['api_workers_at_start'] = api.peak_rss()
        if 'lists' in selected:
            print(f'  {"GET (ms)":72} {"median":>9} {"p95":>9} {"max":>9}', flush=True)
            paths = list_paths(values, jobs)
            lists_started = time.monotonic()
            for name, (path, _) in paths.items():
                size = int(path.rsplit('page_size=', 1)[1])
                figure = guarded(problems, name, measure_get, api, path, settings, problems, size)
                if figure:
                    results['lists'][name] = figure
                    _print_progress(name, figure)
            PHASE_SECONDS['lists (API)'] = round(time.monotonic() - lists_started, 1)
            print('  floors (bench_floor.py: the same SQL executed directly)', flush=True)
            floors = guarded(
                problems,
                'floors',
                bench_floor.run,
                env,
                {name: path for name, (path, _) in paths.items() if name in results['lists']},
                settings['requests'],
                settings['warmup'],
                settings['budget'],
                phase='lists (floors)',
            )
            for name, floor in (floors or {}).items():
                problems.extend(floor.get('problems', []))
                results['floors'][name] = floor
                figure = results['lists'][name]
                relative = paths[name][1]
                if not relative and 'sql_count' in floor and floor['sql_count'] != figure.get('count'):
                    problems.append(
                        f'{name}: the SQL counts {floor["sql_count"]} rows, the API said {figure.get("count")} '
                        '(exact counts must stay exact; or did something else write meanwhile?)'
                    )
        if 'details' in selected:
            details_started = time.monotonic()
            for name, path in detail_paths(values).items():
                figure = guarded(problems, name, measure_get, api, path, settings, problems)
                if figure:
                    results['details'][name] = figure
                    _print_progress(name, figure)
            PHASE_SECONDS['details'] = round(time.monotonic() - details_started, 1)
        if 'ui' in selected:
            ui_started = time.monotonic()
            results['ui'] = bench_ui.run(
                api,
                values,
                lambda name, path: guarded(problems, name, measure_get, api, path, settings, problems),
                _print_progress,
            )
            PHASE_SECONDS['ui'] = round(time.monotonic() - ui_started, 1)
        if 'post' in selected:
            print(
                f'  POST /v6/jobs/ with {settings["post_clients"]} clients for {settings["post_seconds"]} s',
                flush=True,
            )
            post = guarded(
                problems,
                'POST /v6/jobs/',
                bench_post.run,
                api,
                info['token'],
                settings['post_clients'],
                settings['post_seconds'],
                phase='post',
            )
            if post:
                problems.extend(post['problems'])
                results['post'] = post
                print(
                    f'  {post["jobs_created"]:,} jobs in {post["seconds"]:.1f} s: {post["jobs_per_second"]:,} jobs/s, '
                    f'median {post["median_ms"]} ms, p95 {post["p95_ms"]} ms, {post["failures"]} failures',
                    flush=True,
                )
        results['memory_mib']['api_workers'] = api.peak_rss()
    finally:
        api.stop()


PHASE_SECONDS = {}


def guarded(problems, name, function, *args, phase=None, **kwargs):
    """function(*args, **kwargs), or None after recording a crash (the other benchmarks still run).
    With `phase`, its wall time is kept under that name in PHASE_SECONDS."""
    started = time.monotonic()
    try:
        return function(*args, **kwargs)
    except (Exception, SystemExit) as exc:
        detail = ''.join(traceback.format_exception_only(type(exc), exc)).strip()
        print(f'!!! {name} crashed: {detail}', file=sys.stderr, flush=True)
        if not isinstance(exc, SystemExit):
            traceback.print_exc()
        problems.append(f'{name} crashed: {detail}')
        return None
    finally:
        if phase:
            PHASE_SECONDS[phase] = round(time.monotonic() - started, 1)


# -- the table -----------------------------------------------------------------------------------------


def _ms(value):
    return '' if value is None else f'{value:.1f}'


def _met(ok):
    return None if ok is None else bool(ok)


def table_rows(results):
    """The rows of the table: dicts with name, n, median, p95, max, floor, floor_p95, ratio, result,
    target, met (None: no target)."""
    rows = []
    for name, figure in results['lists'].items():
        floor = results['floors'].get(name, {})
        ratio = figure['median_ms'] / floor['median_ms'] if floor.get('median_ms') else None
        figure['floor'] = {
            key: floor.get(key)
            for key in (
                'median_ms', 'p95_ms', 'max_ms', 'iterations', 'budget_cut', 'decode_median_ms',
                'other_sql_median_ms',
            )
        }  # fmt: skip
        figure['ratio'] = round(ratio, 2) if ratio is not None else None
        if name.endswith('(page_size 100)'):
            target = 'p95 <= 50 ms, ratio <= 2'
            met = figure['p95_ms'] <= 50 and ratio is not None and ratio <= 2
        else:
            target = 'p95 <= 250 ms'
            met = figure['p95_ms'] <= 250
        figure['target'], figure['met'] = target, met
        size = name.rsplit('(page_size ', 1)[1].rstrip(')')
        rows.append(
            {
                'name': name,
                'section': f'GET /v6/jobs/ at page_size {size}, the shapes of issue 6',
                'label': name[len('GET /v6/jobs/ ') : name.rindex(' (page_size')],
                'n': figure['requests'],
                'median': figure['median_ms'],
                'p95': figure['p95_ms'],
                'max': figure['max_ms'],
                'floor': floor.get('median_ms'),
                'floor_p95': floor.get('p95_ms'),
                'ratio': figure['ratio'],
                # Rows on the page (a last page may be short) of the count.
                'result': f'{figure.get("rows")} of {figure["count"]:,}'
                if figure.get('count') is not None
                else '',
                'target': target,
                'met': met,
            }
        )
    for name, figure in results['details'].items():
        target = met = None
        if name in ('GET /v6/jobs/{id}/', 'GET /v6/jobs/{id}/executions/'):
            target, met = 'p95 <= 20 ms', figure['p95_ms'] <= 20
        figure['target'], figure['met'] = target, met
        rows.append(
            {'name': name, 'section': 'GET one job, its executions and input files; executions list',
             'n': figure['requests'], 'median': figure['median_ms'], 'p95': figure['p95_ms'],
             'max': figure['max_ms'], 'target': target, 'met': met}
        )  # fmt: skip
    post = results.get('post')
    if post:
        met = post['jobs_per_second'] >= bench_post.TARGET_JOBS_PER_SECOND
        rows.append(
            {'name': f'POST /v6/jobs/ ({post["clients"]} clients, {post["seconds"]:.0f} s)', 'n': post['posts'],
             'median': post['median_ms'], 'p95': post['p95_ms'], 'max': post['max_ms'],
             'result': f'{post["jobs_per_second"]:,.0f} jobs/s',
             'target': f'>= {bench_post.TARGET_JOBS_PER_SECOND} jobs/s', 'met': met}
        )  # fmt: skip
    logs = results.get('logs')
    if logs:
        ingest = logs['ingest']
        rows.append(
            {'name': f'log ingest ({ingest["lines"]:,} lines, agent batches)',
             'result': f'{ingest["lines_per_second"]:,} lines/s',
             'target': f'>= {bench_logs.TARGET_LINES_PER_SECOND:,} lines/s',
             'met': ingest['lines_per_second'] >= bench_logs.TARGET_LINES_PER_SECOND}
        )  # fmt: skip
        for fmt in ('json', 'txt'):
            figure = logs.get(f'fetch_{fmt}')
            if figure:
                rows.append(
                    {'name': f'GET {logs["fetch_lines"]:,}-line log ?format={fmt}', 'n': figure['requests'],
                     'median': figure['median_ms'], 'p95': figure['p95_ms'], 'max': figure['max_ms'],
                     'result': f'{figure["bytes"] / 2**20:.1f} MiB',
                     'target': f'p95 <= {bench_logs.TARGET_FETCH_SECONDS * 1000:.0f} ms',
                     'met': figure['p95_ms'] <= bench_logs.TARGET_FETCH_SECONDS * 1000}
                )  # fmt: skip
        big = logs.get('fetch_big_txt')
        if big:
            rows.append(
                {'name': f'GET {big["lines"]:,}-line log ?format=txt (once)', 'n': 1,
                 'median': big['seconds'] * 1000, 'result': f'{big["lines_per_second"]:,} lines/s'}
            )  # fmt: skip
    scheduler = results.get('scheduler')
    if scheduler:
        rows.append(
            {'name': f'scheduler ({scheduler["jobs"]:,} queued, {scheduler["nodes"]:,} nodes)',
             'result': f'{scheduler["placements_per_second"]:,} placements/s',
             'floor': None, 'ratio': scheduler['ratio_to_bare_writes'],
             'floor_text': f'bare {scheduler["bare_writes_placements_per_second"]:,}/s',
             'target': '>= 5,000 placements/s', 'met': scheduler['placements_per_second'] >= 5000}
        )  # fmt: skip
    requeue = results.get('requeue')
    if requeue:
        rows.append(
            {'name': f'requeue ({requeue["failed_system_jobs"]:,} FAILED jobs, end to end)',
             'median': requeue['end_to_end_seconds'] * 1000,
             'result': f'{requeue["end_to_end_seconds"]:.2f} s, {requeue["jobs_per_second"]:,} jobs/s',
             'floor_text': f'UPDATE {requeue["bare_update_seconds"]:.2f} s',
             'ratio': requeue['ratio_to_bare_update'],
             'target': f'<= {bench_requeue.TARGET_SECONDS:g} s, ratio <= {bench_requeue.TARGET_RATIO:g}',
             'met': requeue['end_to_end_seconds'] <= bench_requeue.TARGET_SECONDS
             and requeue['ratio_to_bare_update'] <= bench_requeue.TARGET_RATIO}
        )  # fmt: skip
    rows += bench_ui.table_rows(results.get('ui', {}))
    for name, value in peak_memory(results).items():
        rows.append(
            {'name': f'peak RSS: {name}', 'result': f'{value:.1f} MiB' if value is not None else '?',
             'target': f'<= {RSS_TARGET_MIB} MiB', 'met': value is not None and value <= RSS_TARGET_MIB}
        )  # fmt: skip
    return rows


def peak_memory(results):
    """{process: peak RSS MiB} of every process of ours the benchmarks ran."""
    memory = {}
    seeded = results['database_info'].get('seeded')
    if seeded:
        memory['seed_jobs'] = seeded['peak_rss_mib']
    workers = [value for value in results['memory_mib'].get('api_workers', []) if value]
    if workers:
        memory['API workers (GETs, POSTs)'] = max(workers)
    logs = results.get('logs')
    if logs:
        memory['log ingest'] = logs['ingest']['peak_rss_mib']
        if logs.get('fetch_workers_peak_rss_mib'):
            memory['API workers (log fetches)'] = max(v for v in logs['fetch_workers_peak_rss_mib'] if v)
        big = logs.get('fetch_big_txt')
        if big and big.get('peak_rss_mib'):
            memory[f'API worker ({big["lines"]:,}-line log as txt)'] = big['peak_rss_mib']
    if results.get('scheduler'):
        memory['scheduler'] = results['scheduler']['scheduler_peak_rss_mib']
    if results.get('requeue'):
        memory['requeue task worker'] = results['requeue']['worker_peak_rss_mib']
    return memory


def print_table(rows, smoke):
    head = (
        f'{"figure":60} {"n":>4} {"median":>9} {"p95":>9} {"max":>9} {"floor":>9} {"fl p95":>9} '
        f'{"ratio":>6}  {"result":24} {"target":28} met'
    )
    print()
    print(
        'times in ms'
        + ('   (smoke: targets are for 1,000,000 jobs on PostgreSQL; not enforced)' if smoke else '')
    )
    print(head)
    section = None
    for row in rows:
        if row.get('section', 'other') != section:
            section = row.get('section', 'other')
            print('-' * len(head))
            print(section if section != 'other' else 'POST, logs, scheduler, requeue, peak memory')
        floor = row.get('floor_text') or _ms(row.get('floor'))
        met = {None: '', True: 'yes', False: 'NO'}[row.get('met')]
        ratio = row.get('ratio')
        print(
            f'  {row.get("label", row["name"])[:58]:58} {row.get("n") or "":>4} {_ms(row.get("median")):>9} {_ms(row.get("p95")):>9} '
            f'{_ms(row.get("max")):>9} {floor:>9} {_ms(row.get("floor_p95")):>9} '
            f'{"" if ratio is None else f"{ratio:.2f}":>6}  {row.get("result", ""):24} '
            f'{row.get("target") or "":28} {met}'
        )
    print('-' * len(head))
    missed = [row['name'] for row in rows if row.get('met') is False]
    total = sum(1 for row in rows if row.get('met') is not None)
    print(f'targets met: {total - len(missed)} of {total}')


# -- main ----------------------------------------------------------------------------------------------


def git(*args):
    try:
        return subprocess.run(
            ['git', *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine():
    cpu = None
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    return {
        'platform': platform.platform(),
        'cpu': cpu,
        'cpus': os.cpu_count(),
        'memory_gib': round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30, 1),
        'python': platform.python_version(),
    }


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--smoke', action='store_true', help='small sizes, few requests: seconds')
    parser.add_argument(
        '--jobs',
        type=int,
        help=f'jobs in the benchmark database (default {FULL_JOBS:,}; smoke {SMOKE_JOBS:,})',
    )
    parser.add_argument('--requests', type=int, help='timed requests per figure (default 50; smoke 2)')
    parser.add_argument(
        '--budget', type=float, help='seconds a figure may take before it stops at >= 10 requests (30)'
    )
    parser.add_argument('--only', help=f'comma-separated benchmarks to run, of: {", ".join(BENCHMARKS)}')
    parser.add_argument('--show', metavar='JSON', help='print the table of a results file and stop')
    parser.add_argument('--child', nargs='+', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.show:
        results = json.loads(Path(args.show).read_text())
        print_table(table_rows(results), results.get('smoke'))
        return
    if args.child:
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        answer = child_state() if args.child[0] == 'state' else child_ready(args.child[1] == '1')
        print(json.dumps(answer))
        return
    selected = set(BENCHMARKS if not args.only else args.only.split(','))
    unknown = selected - set(BENCHMARKS)
    if unknown:
        parser.error(f'--only: unknown {", ".join(sorted(unknown))}')
    jobs = args.jobs or (SMOKE_JOBS if args.smoke else FULL_JOBS)
    settings = {
        'requests': args.requests or (2 if args.smoke else 50),
        'warmup': 1 if args.smoke else 5,
        'budget': args.budget or (10.0 if args.smoke else 30.0),
        'min': min(10, args.requests or (2 if args.smoke else 50)),
        'post_clients': 4,
        'post_seconds': 2.0 if args.smoke else 12.0,
    }
    started = time.monotonic()
    started_at = datetime.datetime.now(datetime.UTC)
    url = bench_database_url(args.smoke)
    database = 'postgresql' if url.startswith('postgres') else 'sqlite'
    print(
        f'benchmark database: {url.split("@")[-1]} ({database}); {"smoke" if args.smoke else "full"} run',
        flush=True,
    )
    problems = []
    results = {
        'smoke': args.smoke,
        'database': database,
        'lists': {},
        'floors': {},
        'details': {},
        'ui': {},
        'memory_mib': {},
        'settings': {**settings, 'jobs_target': jobs, 'benchmarks': sorted(selected)},
        'load_average_at_start': bench_http.cpu_load(),
    }
    prepare_started = time.monotonic()
    env, info = prepare(url, jobs, args.smoke)
    PHASE_SECONDS['prepare'] = round(time.monotonic() - prepare_started, 1)
    results['database_info'] = {key: value for key, value in info.items() if key not in ('token', 'sample')}
    results['jobs'] = info['jobs']
    print(f'{info["jobs"]:,} jobs in the benchmark database', flush=True)

    if selected & {'lists', 'details', 'ui', 'post'}:
        values = info['sample']
        results['sample'] = values
        print(f'API benchmarks (gunicorn, 2 workers); sample values {values}', flush=True)
        guarded(
            problems,
            'API benchmarks',
            run_api_benchmarks,
            env,
            info,
            values,
            jobs,
            settings,
            selected,
            results,
            problems,
        )
    if 'logs' in selected:
        logs = guarded(problems, 'logs benchmark', bench_logs.run, smoke=args.smoke, phase='logs')
        if logs:
            problems.extend(logs['problems'])
            results['logs'] = logs
    if 'scheduler' in selected:
        results['scheduler'] = guarded(
            problems, 'scheduler benchmark', bench_scheduler.run, smoke=args.smoke, phase='scheduler'
        )
    if 'requeue' in selected:
        results['requeue'] = guarded(
            problems, 'requeue benchmark', bench_requeue.run, smoke=args.smoke, phase='requeue'
        )
    results = {key: value for key, value in results.items() if value is not None}

    rows = table_rows(results)
    print_table(rows, args.smoke)
    # The side file keeps every query whole, with its plan; latest.json a shortened copy.
    sql = json.loads(
        json.dumps({name: floor.get('queries', []) for name, floor in results['floors'].items()})
    )
    for floor in results['floors'].values():
        for query in floor.get('queries', []):
            query.pop('explain', None)
            query['sql'] = query['sql'][:240] + (' ...' if len(query['sql']) > 240 else '')
    results['memory_mib']['peak_by_process'] = peak_memory(results)
    results.update(
        {
            'date': started_at.isoformat(timespec='seconds'),
            'seconds': round(time.monotonic() - started, 1),
            'phase_seconds': PHASE_SECONDS,
            'commit': git('rev-parse', 'HEAD'),
            'working_tree_changed': bool(git('status', '--porcelain', '--untracked-files=no')),
            'machine': machine(),
            'load_average_at_end': bench_http.cpu_load(),
            'floor_method': bench_floor.METHOD,
            'table': rows,
            'targets_met': sum(1 for row in rows if row.get('met')),
            'targets_missed': [row['name'] for row in rows if row.get('met') is False],
            'bench_process_peak_rss_mib': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            'problems': problems,
        }
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = 'smoke' if args.smoke else 'latest'
    target = RESULTS / f'{stem}.json'
    target.write_text(json.dumps(results, indent=2, default=str) + '\n')
    # The smoke's side file stays out of the tree (var/ is ignored).
    sql_path = ROOT / 'var' / 'bench-smoke-sql.json' if args.smoke else RESULTS / 'latest-sql.json'
    sql_path.write_text(json.dumps(sql, indent=2, default=str) + '\n')
    print(
        f"written to {target.relative_to(ROOT)}, the floors' SQL and plans to {sql_path.relative_to(ROOT)}, "
        f'in {results["seconds"]:.0f} s'
    )
    if problems:
        print(f'\n!!! {len(problems)} problem(s): a benchmark crashed or its checks failed', file=sys.stderr)
        for problem in problems:
            print(f'!!!   {problem}', file=sys.stderr)
        raise SystemExit(1)


if __name__ == '__main__':
    main()
