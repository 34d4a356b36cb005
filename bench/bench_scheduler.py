#!/usr/bin/env python
"""Scheduler throughput: scheduler passes over a big queue, against the bare cost of the same writes.

    python bench/bench_scheduler.py            # PostgreSQL (DATABASE_URL): 100,000 jobs, 1,000 nodes
    python bench/bench_scheduler.py --smoke    # 2,000 jobs, 50 nodes, seconds

In a scratch database (<name>_sched_bench next to DATABASE_URL's PostgreSQL database, <name>_sched_smoke
for --smoke; SQLite under var/ without one), a
world of QUEUED jobs of a few job types (small, medium, large CPU jobs and some GPU jobs, at a few
priorities) and READY nodes sized so that most jobs fit is created with COPY (bulk_create on SQLite).
A child process then runs scheduler passes (node.scheduler.run_pass) until one places nothing (queue
drained or nodes full) and reports placements per second, where the time went, and its peak RSS.
The world is then rebuilt and another child writes the same placements with plain SQL, in the same
batches, with no planning: one UPDATE of the jobs and one INSERT of the executions per pass. That is
the floor the scheduler's writes cannot beat; the ratio says how close the scheduler gets to it.
bench/run.py calls run() and keeps the figures under "scheduler".
"""

import argparse
import datetime
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import bench_http
import scratch

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FULL = {'jobs': 100_000, 'nodes': 1_000}
SMOKE = {'jobs': 2_000, 'nodes': 50}
# (name, share of the jobs, cpus, mem MiB, disk MiB, gpus)
JOB_MIX = (
    ('bench-small', 0.60, 1.0, 2048.0, 1024.0, 0.0),
    ('bench-medium', 0.25, 2.0, 4096.0, 2048.0, 0.0),
    ('bench-large', 0.13, 4.0, 16384.0, 8192.0, 0.0),
    ('bench-gpu', 0.02, 2.0, 8192.0, 4096.0, 1.0),
)
PRIORITIES = (50, 100, 100, 100, 200)
GPU_NODE_SHARE = 0.1
# Node capacity as a share of the CPU jobs' total demand, so that most (not all) jobs fit.
CAPACITY = 0.95


def node_shapes(jobs, nodes):
    """(count, resources) of the CPU and the GPU nodes for `jobs` jobs of JOB_MIX on `nodes` nodes."""
    cpus = sum(share * cpu for _, share, cpu, _, _, _ in JOB_MIX) * jobs * CAPACITY / nodes
    mem = sum(share * mem for _, share, _, mem, _, _ in JOB_MIX) * jobs * CAPACITY / nodes
    disk = sum(share * disk for _, share, _, _, disk, _ in JOB_MIX) * jobs / nodes * 2
    gpu_nodes = max(1, round(nodes * GPU_NODE_SHARE))
    gpus = max(1.0, float(round(JOB_MIX[3][1] * jobs * CAPACITY / gpu_nodes)))
    base = {'cpus': float(round(cpus)), 'mem': float(round(mem)), 'disk': float(round(disk))}
    return [(nodes - gpu_nodes, {**base, 'gpus': 0.0}), (gpu_nodes, {**base, 'gpus': gpus})]


# -- the database --------------------------------------------------------------------------------------


def scratch_database_url(smoke):
    if smoke:
        return scratch.scratch_database_url('_sched_smoke', 'bench-sched-smoke.sqlite3')
    return scratch.scratch_database_url('_sched_bench', 'bench-sched.sqlite3')


def prepare_database(url):
    scratch.ensure_database(url)
    # A SQLite file is kept and migrated like a PostgreSQL database: build_world empties its tables.
    subprocess.run(
        [PYTHON, 'manage.py', 'migrate', '--noinput', '--verbosity', '0'],
        env=child_env(url),
        cwd=ROOT,
        check=True,
    )


def child_env(url):
    # The world's heartbeats are stamped once; no node may go lost during the run.
    return scratch.child_env(url, SCALE_NODE_TIMEOUT='86400')


def child(url, phase, jobs, nodes, data=None):
    """Runs `phase` in a fresh process (so its peak RSS is its own) and returns its JSON answer."""
    return scratch.run_child(__file__, child_env(url), phase, '--jobs', jobs, '--nodes', nodes, data=data)


# -- child phases (Django is set up) -------------------------------------------------------------------


def build_world(jobs, nodes):
    """Empties the job tables and creates the job types, `nodes` READY nodes and `jobs` QUEUED jobs."""
    from django.db import connection
    from django.utils import timezone

    from job.models import Job, JobExecution, JobType, JobTypeRevision, TriggerEvent
    from node.models import Node, Scheduler

    rng = random.Random(6)
    now = timezone.now()
    with connection.cursor() as cursor:
        tables = ['job_exe_log', 'job_exe', 'job_input_file', 'job', 'job_type_revision', 'job_type', 'node']
        if connection.vendor == 'postgresql':
            cursor.execute(f'TRUNCATE {", ".join(tables)}, trigger_event, scheduler RESTART IDENTITY CASCADE')
        else:
            for model in (JobExecution, Job, JobTypeRevision, JobType, Node, TriggerEvent, Scheduler):
                model.objects.all().delete()
            # Ids start again at 1, as after TRUNCATE ... RESTART IDENTITY: the floor reuses them.
            cursor.execute('DELETE FROM sqlite_sequence')
    Scheduler.load()
    types = []
    for name, share, cpus, mem, disk, gpus in JOB_MIX:
        scalars = [
            {'name': key, 'value': value} for key, value in (('cpus', cpus), ('mem', mem), ('disk', disk))
        ]
        if gpus:
            scalars.append({'name': 'gpus', 'value': gpus})
        manifest = {
            'job': {'name': name, 'jobVersion': '1.0.0', 'timeout': 3600, 'resources': {'scalar': scalars}}
        }
        job_type = JobType.objects.create(name=name, version='1.0.0', title=name, manifest=manifest)
        revision = JobTypeRevision.objects.create(job_type=job_type, revision_num=1, manifest=manifest)
        requirement = {'cpus': cpus, 'mem': mem, 'disk': disk, 'gpus': gpus}
        types.append((job_type.id, revision.id, share, requirement))
    count = 0
    node_rows = []
    for shape_count, resources in node_shapes(jobs, nodes):
        for _ in range(shape_count):
            count += 1
            node_rows.append(Node(hostname=f'node-{count:05}.bench', resources=resources, last_heartbeat=now))
    Node.objects.bulk_create(node_rows, batch_size=1000)
    event = TriggerEvent.objects.create(type='BENCH', occurred=now)
    weights = [share for _, _, share, _ in types]
    start = now - datetime.timedelta(hours=1)
    rows = []
    for index in range(1, jobs + 1):
        type_id, revision_id, _, requirement = rng.choices(types, weights)[0]
        queued = start + datetime.timedelta(milliseconds=index * 30)
        rows.append((index, type_id, revision_id, rng.choice(PRIORITIES), requirement, queued))
    if connection.vendor == 'postgresql':
        _copy_jobs(connection, rows, event.id, now)
    else:
        Job.objects.bulk_create(
            (
                Job(id=job_id, job_type_id=type_id, job_type_rev_id=revision_id, event_id=event.id,
                    status='QUEUED', priority=priority, num_exes=1, resources=resources, queued=queued,
                    created=queued, last_status_change=queued)
                for job_id, type_id, revision_id, priority, resources, queued in rows
            ),
            batch_size=500,
        )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE')
    return {'jobs': jobs, 'nodes': nodes, 'node_shapes': node_shapes(jobs, nodes)}


def _copy_jobs(connection, rows, event_id, now):
    columns = (
        'id', 'job_type_id', 'job_type_rev_id', 'event_id', 'is_superseded', 'status', 'priority', 'max_tries',
        'num_exes', 'input', 'resources', 'created', 'queued', 'last_status_change', 'last_modified',
    )  # fmt: skip
    with connection.cursor() as wrapper:
        statement = f'COPY job ({", ".join(columns)}) FROM STDIN'
        with wrapper.cursor.copy(statement) as copy:
            for job_id, type_id, revision_id, priority, resources, queued in rows:
                copy.write_row(
                    (job_id, type_id, revision_id, event_id, False, 'QUEUED', priority, 3, 1,
                     '{"files": {}, "json": {}}', json.dumps(resources), queued, queued, queued, now)
                )  # fmt: skip
        wrapper.execute("SELECT setval(pg_get_serial_sequence('job', 'id'), %s)", [len(rows)])


def _timed(module, name, seconds):
    real = getattr(module, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

    setattr(module, name, wrapper)


def schedule():
    """Scheduler passes until one places nothing; returns throughput, the time per step and peak RSS."""
    from node import scheduler, scheduling

    rss_before = bench_http.peak_rss_mib('self')
    steps = {}
    for module, name in (
        (scheduler, 'fail_lost_nodes'),
        (scheduler, 'load_nodes'),
        (scheduler, 'load_job_types'),
        (scheduler, 'load_window'),
        (scheduling, 'plan'),
        (scheduler, 'place_jobs'),
        (scheduler, 'write_reasons'),
        (scheduler, 'write_unmet'),
    ):
        _timed(module, name, steps)
    passes = []
    while True:
        started = time.perf_counter()
        result = scheduler.run_pass()
        seconds = time.perf_counter() - started
        passes.append({'placed': result.placed, 'window': result.window, 'seconds': round(seconds, 4)})
        if not result.placed or len(passes) > 10_000:
            break
    working = [item for item in passes if item['placed']]
    placed = sum(item['placed'] for item in working)
    seconds = sum(item['seconds'] for item in working)
    return {
        'placed': placed,
        'passes': len(working),
        'seconds': round(seconds, 3),
        'placements_per_second': round(placed / seconds) if seconds else 0,
        'last_pass_seconds': passes[-1]['seconds'],
        'pass_sizes': [item['placed'] for item in working],
        'steps_seconds': {name: round(value, 3) for name, value in steps.items()},
        'peak_rss_mib': bench_http.peak_rss_mib('self'),
        'rss_before_passes_mib': round(rss_before, 1),
    }


def placements_made():
    """The executions the scheduler created, in creation order, as the floor will write them."""
    from job.models import JobExecution

    rows = JobExecution.objects.order_by('id').values_list(
        'job_id', 'job_type_id', 'exe_num', 'node_id', 'timeout', 'resources', 'queued'
    )
    return [[*row[:6], row[6].isoformat()] for row in rows]


def floor(rows, pass_sizes):
    """The same writes with plain SQL, one transaction per pass: UPDATE the jobs, INSERT the executions."""
    from django.db import connection, transaction
    from django.utils import timezone

    batches, start = [], 0
    for size in pass_sizes:
        batches.append(rows[start : start + size])
        start += size
    started = time.perf_counter()
    for batch in batches:
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == 'postgresql':
                _floor_postgres(cursor, batch, now)
            else:
                _floor_sqlite(cursor, batch, now)
    seconds = time.perf_counter() - started
    placed = sum(len(batch) for batch in batches)
    return {'placed': placed, 'seconds': round(seconds, 3), 'placements_per_second': round(placed / seconds)}


def _floor_postgres(cursor, batch, now):
    ids = [row[0] for row in batch]
    cursor.execute(
        'UPDATE job SET status = %s, node_id = v.node_id, started = %s, ended = NULL, error_id = NULL, '
        'queue_reason = NULL, last_status_change = %s, last_modified = %s '
        'FROM unnest(%s::integer[], %s::integer[]) AS v(id, node_id) '
        "WHERE job.id = v.id AND job.status = 'QUEUED'",
        ['RUNNING', now, now, now, ids, [row[3] for row in batch]],
    )
    cursor.execute(
        'INSERT INTO job_exe (job_id, job_type_id, exe_num, status, cluster_id, node_id, timeout, resources, '
        'configuration, created, queued, started, last_modified) '
        "SELECT v.job_id, v.job_type_id, v.exe_num, 'RUNNING', 'scale_job_' || v.job_id || '_' || v.exe_num, "
        "v.node_id, v.timeout, v.resources, '{}'::jsonb, %s, v.queued, %s, %s "
        'FROM unnest(%s::integer[], %s::integer[], %s::integer[], %s::integer[], %s::integer[], %s::jsonb[], '
        '%s::timestamptz[]) AS v(job_id, job_type_id, exe_num, node_id, timeout, resources, queued)',
        [
            now,
            now,
            now,
            ids,
            *([row[index] for row in batch] for index in (1, 2, 3, 4)),
            [json.dumps(row[5]) for row in batch],
            [row[6] for row in batch],
        ],
    )


def _floor_sqlite(cursor, batch, now):
    cursor.executemany(
        'UPDATE job SET status = %s, node_id = %s, started = %s, ended = NULL, error_id = NULL, '
        "queue_reason = NULL, last_status_change = %s, last_modified = %s WHERE id = %s AND status = 'QUEUED'",
        [('RUNNING', row[3], now, now, now, row[0]) for row in batch],
    )
    cursor.executemany(
        'INSERT INTO job_exe (job_id, job_type_id, exe_num, status, cluster_id, node_id, timeout, resources, '
        'configuration, created, queued, started, last_modified) '
        "VALUES (%s, %s, %s, 'RUNNING', %s, %s, %s, %s, '{}', %s, %s, %s, %s)",
        [
            (row[0], row[1], row[2], f'scale_job_{row[0]}_{row[2]}', row[3], row[4], json.dumps(row[5]),
             now, row[6], now, now)
            for row in batch
        ],
    )  # fmt: skip


def child_main(args):
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if args.child == 'build':
        answer = build_world(args.jobs, args.nodes)
    elif args.child == 'schedule':
        answer = schedule()
    elif args.child == 'placements':
        answer = placements_made()
    else:
        payload = json.loads(sys.stdin.read())
        answer = floor(payload['rows'], payload['pass_sizes'])
    print(json.dumps(answer))


# -- the driver -----------------------------------------------------------------------------------------


def run(smoke=False, jobs=None, nodes=None):
    """Runs the benchmark and returns its figures (a dict); prints a summary."""
    size = SMOKE if smoke else FULL
    jobs, nodes = jobs or size['jobs'], nodes or size['nodes']
    url = scratch_database_url(smoke)
    database = 'postgresql' if url.startswith('postgres') else 'sqlite'
    print(
        f'scheduler benchmark: {jobs:,} queued jobs, {nodes:,} nodes, {database} ({url.split("@")[-1]})',
        flush=True,
    )
    prepare_database(url)
    started = time.monotonic()
    world = child(url, 'build', jobs, nodes)
    build_seconds = time.monotonic() - started
    scheduled = child(url, 'schedule', jobs, nodes)
    rows = child(url, 'placements', jobs, nodes)
    child(url, 'build', jobs, nodes)
    payload = json.dumps({'rows': rows, 'pass_sizes': scheduled['pass_sizes']})
    bare = child(url, 'floor', jobs, nodes, data=payload)
    ratio = (
        scheduled['placements_per_second'] / bare['placements_per_second']
        if bare['placements_per_second']
        else 0
    )
    figures = {
        'database': database,
        'jobs': jobs,
        'nodes': nodes,
        'node_shapes': world['node_shapes'],
        'world_build_seconds': round(build_seconds, 1),
        'placed': scheduled['placed'],
        'passes': scheduled['passes'],
        'scheduler_seconds': scheduled['seconds'],
        'placements_per_second': scheduled['placements_per_second'],
        'bare_writes_seconds': bare['seconds'],
        'bare_writes_placements_per_second': bare['placements_per_second'],
        'ratio_to_bare_writes': round(ratio, 2),
        'steps_seconds': scheduled['steps_seconds'],
        'last_pass_seconds': scheduled['last_pass_seconds'],
        'scheduler_peak_rss_mib': scheduled['peak_rss_mib'],
        'scheduler_rss_before_passes_mib': scheduled['rss_before_passes_mib'],
    }
    print(
        f'  placed {figures["placed"]:,} of {jobs:,} jobs in {figures["passes"]} passes, '
        f'{figures["scheduler_seconds"]:.2f} s: {figures["placements_per_second"]:,} placements/s\n'
        f'  bare writes (plain SQL, no planning): {figures["bare_writes_seconds"]:.2f} s: '
        f'{figures["bare_writes_placements_per_second"]:,} placements/s; ratio {figures["ratio_to_bare_writes"]}\n'
        f'  time by step (s): {figures["steps_seconds"]}\n'
        f'  scheduler peak RSS {figures["scheduler_peak_rss_mib"]} MiB '
        f'({figures["scheduler_rss_before_passes_mib"]} MiB before the first pass)',
        flush=True,
    )
    return figures


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        '--smoke', action='store_true', help=f'{SMOKE["jobs"]:,} jobs, {SMOKE["nodes"]} nodes'
    )
    parser.add_argument('--jobs', type=int)
    parser.add_argument('--nodes', type=int)
    parser.add_argument(
        '--child', choices=('build', 'schedule', 'placements', 'floor'), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child_main(args)
    else:
        print(json.dumps(run(args.smoke, args.jobs, args.nodes), indent=2))


if __name__ == '__main__':
    main()
