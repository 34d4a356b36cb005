#!/usr/bin/env python
"""Execution logs: ingest lines per second as the node agent stores them, and fetching big logs over HTTP.

    python bench/bench_logs.py            # PostgreSQL (DATABASE_URL): 1,000,000 lines in, 100,000 out
    python bench/bench_logs.py --smoke    # 20,000 lines in, 5,000-line fetches, seconds

In a scratch database (<name>_logs_bench next to DATABASE_URL's PostgreSQL database, <name>_logs_smoke
for --smoke; SQLite under var/ without one), emptied first, a job type, a node and two jobs with one
RUNNING execution each are created.

Ingest: a child process stores N lines (1,000,000; realistic text of 60-130 characters, one line in
ten on stderr) into execution A exactly as the agent does (node/agent/logs.py): two producer threads
stand in for the agent's stdout and stderr reader threads and put stamped LogLines into one bounded
LineBuffer; the main thread runs the agent's loop, LogBatcher.pump() (FLUSH_LINES lines a batch, one
job.services.logs.append_log_lines call each: COPY on PostgreSQL, with the node's counter updated in
the same transaction), sleeping the agent's idle poll interval (0.1 s) whenever a pump stored nothing,
then the final pumps of a finished process. Lines per second = N / wall time from the first line put
to the last batch committed; `storage_seconds` is the part spent inside append_log_lines (wall time:
it includes waiting for the GIL while the producers run), `process_cpu_seconds` the CPU the process
used meanwhile and `producer_cpu_seconds` the producers' share of it. The child's peak RSS (VmHWM)
is reported. Checks (a failure is a problem and a non-zero exit): N lines stored,
scale_order_num exactly 1..N, the stdout/stderr split as produced, and the node's log_lines_ingested
grown by N. A second child stores 100,000 lines into execution B the same way; then VACUUM (ANALYZE)
on PostgreSQL (as autovacuum would after a million inserts), off the clock.

Fetch: gunicorn (two workers, bench_http.Api) against the scratch database serves
GET /v6/job-executions/B/logs/combined/?format=json (the JSON envelope; its default limit is 100,000
lines, so the whole log) and ?format=txt, each timed after warm-up, body read to the end: median, p95
and max over up to 50 requests, fewer (at least 10) when a figure passes its time budget (30 s; such
figures say `budget_cut`). Checks: the envelope's hits.total and number of hits are 100,000, the last
hit's scale_order_num is 100,000; the text has 100,000 lines. Then a fresh gunicorn (fresh workers,
so their high-water mark is this request's) serves A as text with limit=1000000, read in chunks: its
time and the API workers' peak RSS (VmHWM, before and after) are reported; check: 1,000,000 lines.

bench/run.py calls run() and keeps the figures under "logs".
"""

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import bench_http
import scratch

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FULL = {'ingest_lines': 1_000_000, 'fetch_lines': 100_000, 'requests': 50, 'budget': 30.0}
SMOKE = {'ingest_lines': 20_000, 'fetch_lines': 5_000, 'requests': 3, 'budget': 10.0}
AGENT_POLL_SECONDS = 0.1  # node.agent.agent.Agent's default poll_interval
STDERR_EVERY = 10
TARGET_LINES_PER_SECOND = 50_000
TARGET_FETCH_SECONDS = 1.0
TARGET_RSS_MIB = 512


# -- the database --------------------------------------------------------------------------------------


def scratch_database_url(smoke):
    if smoke:
        return scratch.scratch_database_url('_logs_smoke', 'bench-logs-smoke.sqlite3')
    return scratch.scratch_database_url('_logs_bench', 'bench-logs.sqlite3')


def prepare_database(url):
    scratch.ensure_database(url)
    # A SQLite file is kept and migrated like a PostgreSQL database: build_world empties its tables.
    subprocess.run(
        [PYTHON, 'manage.py', 'migrate', '--noinput', '--verbosity', '0'],
        env=scratch.child_env(url),
        cwd=ROOT,
        check=True,
    )


def child(url, *args):
    """Runs a phase in a fresh process (its peak RSS is its own); returns its JSON answer."""
    return scratch.run_child(__file__, scratch.child_env(url), *args)


# -- child phases (Django is set up) -------------------------------------------------------------------


def build_world():
    """Empties the job tables; creates a job type, a node and two jobs with a RUNNING execution each."""
    from django.db import connection
    from django.utils import timezone

    from job.models import Job, JobExecution, JobExecutionLog, JobType, JobTypeRevision, TriggerEvent
    from node.models import Node

    with connection.cursor() as cursor:
        if connection.vendor == 'postgresql':
            cursor.execute(
                'TRUNCATE job_exe_log, job_exe, job_input_file, job, job_type_revision, job_type, node, '
                'trigger_event RESTART IDENTITY CASCADE'
            )
        else:
            for model in (JobExecutionLog, JobExecution, Job, JobTypeRevision, JobType, Node, TriggerEvent):
                model.objects.all().delete()
            cursor.execute('DELETE FROM sqlite_sequence')
    now = timezone.now()
    manifest = {'job': {'name': 'bench-logs', 'jobVersion': '1.0.0', 'timeout': 3600}}
    job_type = JobType.objects.create(
        name='bench-logs', version='1.0.0', title='bench-logs', manifest=manifest
    )
    revision = JobTypeRevision.objects.create(job_type=job_type, revision_num=1, manifest=manifest)
    node = Node.objects.create(
        hostname='bench-logs-node',
        resources={'cpus': 4.0, 'mem': 8192.0, 'disk': 8192.0, 'gpus': 0.0},
        last_heartbeat=now,
    )
    event = TriggerEvent.objects.create(type='BENCH', occurred=now)
    executions = []
    for _ in range(2):
        job = Job.objects.create(
            job_type=job_type, job_type_rev=revision, event=event, status='RUNNING', num_exes=1, node=node,
            input={'files': {}, 'json': {}}, queued=now, started=now, last_status_change=now,
        )  # fmt: skip
        execution = JobExecution.objects.create(
            job=job, job_type=job_type, exe_num=1, status='RUNNING', node=node, timeout=3600,
            cluster_id=f'scale_job_{job.id}_1', queued=now, started=now,
        )  # fmt: skip
        executions.append(execution.id)
    return {'node': node.id, 'executions': executions}


def line_text(index):
    """The text of line `index` (from 1): 60-130 characters, deterministic."""
    if index % STDERR_EVERY == 0:
        return f'WARNING: read of chunk {index} timed out, retrying (attempt {index % 3 + 1} of 3) in {index % 7}s'
    return (
        f'{index:09d} INFO [worker-{index % 8}] processed record {index} of granule '
        f'LC08_L1TP_{index % 233:03d}{index % 248:03d}: {(index * 7919) % 100_000} bytes'
        + ', checksum ok'
        * (index % 4)
    )


def ingest(execution_id, node_id, lines, analyze):
    """Stores `lines` lines into execution `execution_id` as the node agent does; checks and times it."""
    import resource

    from django.db import connection
    from django.db.models import Count, Max, Min
    from django.utils import timezone

    from job.choices import LogStream
    from job.models import JobExecutionLog
    from job.services.logs import LogLine
    from node.agent import logs as agent_logs
    from node.models import Node

    rss_before = bench_http.peak_rss_mib('self')
    ingested_before = Node.objects.get(pk=node_id).log_lines_ingested
    storage = {'seconds': 0.0, 'calls': 0}
    real_append = agent_logs.append_log_lines

    def timed_append(*args, **kwargs):
        begin = time.perf_counter()
        try:
            return real_append(*args, **kwargs)
        finally:
            storage['seconds'] += time.perf_counter() - begin
            storage['calls'] += 1

    agent_logs.append_log_lines = timed_append
    buffer = agent_logs.LineBuffer()
    produced = {LogStream.STDOUT: 0, LogStream.STDERR: 0}

    producer_cpu = []

    def produce(stream, indices):
        # One of the agent's reader threads: a stamped LogLine a line, into the shared bounded buffer.
        try:
            for index in indices:
                buffer.put(LogLine(stream, line_text(index), timezone.now()))
                produced[stream] += 1
        finally:
            buffer.writer_done()
            producer_cpu.append(time.thread_time())

    stderr_lines = range(STDERR_EVERY, lines + 1, STDERR_EVERY)
    stdout_lines = (index for index in range(1, lines + 1) if index % STDERR_EVERY)
    threads = [
        threading.Thread(target=produce, args=(LogStream.STDOUT, stdout_lines), daemon=True),
        threading.Thread(target=produce, args=(LogStream.STDERR, stderr_lines), daemon=True),
    ]
    batcher = agent_logs.LogBatcher(execution_id, node_id)
    sleeps = 0
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    # The agent's loop while the process runs (Agent.run / Runner.poll): pump, sleep when idle.
    while not buffer.exhausted:
        if not batcher.pump(buffer, time.monotonic()):
            sleeps += 1
            time.sleep(AGENT_POLL_SECONDS)
    # The process finished: its remaining lines are stored (Runner.poll's final pumps).
    while True:
        stored = batcher.pump(buffer, time.monotonic(), final=True, max_flushes=1000)
        if not batcher.pending and (buffer.exhausted or not stored):
            break
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    for thread in threads:
        thread.join()
    agent_logs.append_log_lines = real_append
    # VmHWM, not getrusage's ru_maxrss: Linux keeps that across execve, so this child would start
    # with the high-water mark of the process it was forked from.
    peak = bench_http.peak_rss_mib('self')

    stored = JobExecutionLog.objects.filter(job_exe_id=execution_id).aggregate(
        count=Count('id'), low=Min('scale_order_num'), high=Max('scale_order_num')
    )
    streams = dict(
        JobExecutionLog.objects.filter(job_exe_id=execution_id)
        .values_list('stream')
        .annotate(count=Count('id'))
        .values_list('stream', 'count')
    )
    ingested = Node.objects.get(pk=node_id).log_lines_ingested - ingested_before
    problems = []
    if stored['count'] != lines:
        problems.append(f'{stored["count"]} lines stored of {lines}')
    if (stored['low'], stored['high']) != (1, lines):
        problems.append(f'scale_order_num from {stored["low"]} to {stored["high"]}, not 1 to {lines}')
    if (
        streams.get(LogStream.STDOUT, 0) != produced[LogStream.STDOUT]
        or streams.get(LogStream.STDERR, 0) != produced[LogStream.STDERR]
    ):
        problems.append(f'streams stored {streams}, produced {produced}')
    if ingested != lines:
        problems.append(f"the node's log_lines_ingested grew by {ingested}, not {lines}")
    if batcher.stored != lines:
        problems.append(f'the batcher says it stored {batcher.stored} lines of {lines}')
    if analyze and connection.vendor == 'postgresql':
        with connection.cursor() as cursor:
            cursor.execute('VACUUM (ANALYZE) job_exe_log')
    return {
        'lines': lines,
        'seconds': round(seconds, 3),
        'lines_per_second': round(lines / seconds) if seconds else 0,
        'storage_seconds': round(storage['seconds'], 3),
        'storage_lines_per_second': round(lines / storage['seconds']) if storage['seconds'] else 0,
        'batches': storage['calls'],
        # Where the time went: this process's CPU time during the ingest (Python: the producers, the
        # batcher, psycopg) and the part of it the two producer threads (the agent's readers) used;
        # the rest of the wall time is spent waiting, mostly on PostgreSQL.
        'process_cpu_seconds': round(
            usage.ru_utime + usage.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime, 2
        ),
        'producer_cpu_seconds': round(sum(producer_cpu), 2),
        'idle_sleeps': sleeps,
        'peak_rss_mib': round(peak, 1),
        'rss_before_mib': round(rss_before, 1),
        'problems': problems,
    }


def child_main(args):
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if args.child[0] == 'build':
        answer = build_world()
    else:
        _, execution_id, node_id, lines, analyze = args.child
        answer = ingest(int(execution_id), int(node_id), int(lines), analyze == '1')
    print(json.dumps(answer))


# -- the driver -----------------------------------------------------------------------------------------


def _check_json(body, lines):
    try:
        data = json.loads(body)
        hits = data['hits']['hits']
        problems = []
        if data['hits']['total'] != lines:
            problems.append(f'hits.total {data["hits"]["total"]}, not {lines}')
        if len(hits) != lines:
            problems.append(f'{len(hits)} hits, not {lines}')
        if hits and hits[-1]['_source']['scale_order_num'] != lines:
            problems.append(f'last scale_order_num {hits[-1]["_source"]["scale_order_num"]}, not {lines}')
        return problems
    except (ValueError, KeyError, TypeError) as exc:
        return [f'not the JSON log envelope: {type(exc).__name__}: {exc}']


def run(smoke=False, ingest_lines=None, fetch_lines=None, requests=None):
    """Runs the benchmark and returns its figures (a dict with `problems`, empty when all checks
    passed); prints a summary."""
    size = SMOKE if smoke else FULL
    ingest_lines = ingest_lines or size['ingest_lines']
    fetch_lines = fetch_lines or size['fetch_lines']
    requests = requests or size['requests']
    budget = size['budget']
    url = scratch_database_url(smoke)
    database = 'postgresql' if url.startswith('postgres') else 'sqlite'
    print(
        f'logs benchmark: ingest {ingest_lines:,} lines, fetch a {fetch_lines:,}-line log, {database} '
        f'({url.split("@")[-1]})',
        flush=True,
    )
    prepare_database(url)
    world = child(url, 'build')
    big, small = world['executions']
    ingested = child(url, 'ingest', big, world['node'], ingest_lines, 0)
    print(
        f'  ingest: {ingest_lines:,} lines in {ingested["seconds"]:.2f} s: {ingested["lines_per_second"]:,} '
        f'lines/s ({ingested["storage_seconds"]:.2f} s in append_log_lines, {ingested["batches"]} batches; '
        f'CPU {ingested["process_cpu_seconds"]} s, of which producers {ingested["producer_cpu_seconds"]} s); '
        f'peak RSS {ingested["peak_rss_mib"]} MiB',
        flush=True,
    )
    second = child(url, 'ingest', small, world['node'], fetch_lines, 1)
    problems = [f'ingest: {problem}' for problem in ingested['problems']]
    problems += [f'ingest of the {fetch_lines:,}-line log: {problem}' for problem in second['problems']]

    env = scratch.child_env(url)
    figures = {
        'database': database,
        'ingest': ingested,
        'ingest_fetched_log': second,
        'fetch_lines': fetch_lines,
    }
    base = f'/v6/job-executions/{small}/logs/combined/'
    api = bench_http.Api(env, log_name='bench-logs-api.log')
    try:
        for fmt in ('json', 'txt'):
            path = f'{base}?format={fmt}'
            body = api.get(path)
            if fmt == 'json':
                found = _check_json(body, fetch_lines)
            else:
                count = body.count(b'\n')
                found = [] if count == fetch_lines else [f'{count} text lines, not {fetch_lines}']
            problems += [f'GET {path}: {problem}' for problem in found]
            figure = bench_http.measure(
                lambda path=path: api.get(path), requests, 2, budget, min(10, requests)
            )
            figure.update({'path': path, 'bytes': len(body), 'lines': fetch_lines})
            figures[f'fetch_{fmt}'] = figure
            print(
                f'  GET {fetch_lines:,}-line log as {fmt}: median {figure["median_ms"]:.0f} ms, p95 '
                f'{figure["p95_ms"]:.0f} ms, max {figure["max_ms"]:.0f} ms over {figure["requests"]} requests '
                f'({len(body) / 2**20:.1f} MiB)',
                flush=True,
            )
        figures['fetch_workers_peak_rss_mib'] = api.peak_rss()
    finally:
        api.stop()

    api = bench_http.Api(env, log_name='bench-logs-api.log')
    try:
        before = api.peak_rss()
        path = f'/v6/job-executions/{big}/logs/combined/?format=txt&limit={ingest_lines}'
        begin = time.perf_counter()
        status, size_bytes, newlines, _, _ = api.stream(path)
        seconds = time.perf_counter() - begin
        after = api.peak_rss()
    finally:
        api.stop()
    if status != 200:
        problems.append(f'GET {path}: {status}')
    elif newlines != ingest_lines:
        problems.append(f'GET {path}: {newlines} lines, not {ingest_lines}')
    peak = max((value for value in after if value), default=None)
    figures['fetch_big_txt'] = {
        'path': path,
        'lines': ingest_lines,
        'seconds': round(seconds, 3),
        'bytes': size_bytes,
        'lines_per_second': round(ingest_lines / seconds) if seconds else 0,
        'workers_peak_rss_mib_before': before,
        'workers_peak_rss_mib': after,
        'peak_rss_mib': peak,
    }
    print(
        f'  GET {ingest_lines:,}-line log as txt: {seconds:.2f} s ({size_bytes / 2**20:.1f} MiB); API workers '
        f'peak RSS {before} -> {after} MiB',
        flush=True,
    )
    figures['problems'] = problems
    return figures


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--smoke', action='store_true', help='small sizes, seconds')
    parser.add_argument('--ingest-lines', type=int)
    parser.add_argument('--fetch-lines', type=int)
    parser.add_argument('--requests', type=int)
    parser.add_argument('--child', nargs='+', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    figures = run(args.smoke, args.ingest_lines, args.fetch_lines, args.requests)
    print(json.dumps(figures, indent=2))
    if figures['problems']:
        for problem in figures['problems']:
            print(f'!!! {problem}', file=sys.stderr)
        raise SystemExit(1)


if __name__ == '__main__':
    main()
