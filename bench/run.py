#!/usr/bin/env python
"""Benchmarks of the job service, measured from outside: real processes, real HTTP.

    make bench          # DATABASE_URL=postgres://... : a <name>_bench database with 1,000,000 jobs
    make bench-smoke    # a small SQLite world, seconds: checks that every benchmark still runs

The benchmark database is created and seeded once (seed_jobs), and reused while it holds enough
jobs. Each figure: median, p95 and max latency over --requests requests after warm-up, through
gunicorn (2 workers). Peak memory (VmHWM) of the seeding process and of the API workers is
reported too. Results are printed as a table and written to bench/results/latest.json. The scheduler
benchmark (bench_scheduler.py: placements per second against the bare writes) and the bulk requeue
benchmark (bench_requeue.py: POST /v6/jobs/requeue/ to COMPLETED through the task worker, against one
bare UPDATE) run last, each in a scratch database of its own.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import bench_requeue  # bench/ is the script's directory, first on sys.path
import bench_scheduler

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / 'bench' / 'results'
PYTHON = sys.executable


def bench_database_url(smoke):
    """The benchmark database: BENCH_DATABASE_URL, else <name>_bench next to DATABASE_URL's PostgreSQL
    database, else SQLite under var/."""
    if os.environ.get('BENCH_DATABASE_URL') and not smoke:
        return os.environ['BENCH_DATABASE_URL']
    url = os.environ.get('DATABASE_URL', '')
    if smoke or not url.startswith(('postgres://', 'postgresql://')):
        name = 'bench-smoke.sqlite3' if smoke else 'bench.sqlite3'
        return f'sqlite:///{ROOT / "var" / name}'
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip('/') + '_bench'))


def ensure_postgres_database(url):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip('/')
    admin = urlunsplit(parts._replace(path='/postgres', scheme='postgresql'))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute('SELECT 1 FROM pg_database WHERE datname = %s', [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(env, *args, capture=False):
    return subprocess.run(
        [PYTHON, str(ROOT / 'manage.py'), *args],
        env=env,
        cwd=ROOT,
        check=True,
        text=True,
        capture_output=capture,
    )


def job_count(env):
    out = manage(env, 'shell', '-c', 'from job.models import Job; print(Job.objects.count())', capture=True)
    return int(out.stdout.strip().splitlines()[-1])


def seed(env, jobs):
    """Runs seed_jobs in a child; returns (seconds, peak RSS MiB)."""
    started = time.monotonic()
    child = subprocess.Popen(
        [PYTHON, str(ROOT / 'manage.py'), 'seed_jobs', '--jobs', str(jobs), '--seed', '1'], env=env, cwd=ROOT
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f'seed_jobs failed ({status})')
    return time.monotonic() - started, usage.ru_maxrss / 1024


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def peak_rss_mib(pid):
    try:
        for line in Path(f'/proc/{pid}/status').read_text().splitlines():
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def worker_pids(master_pid):
    children = Path(f'/proc/{master_pid}/task/{master_pid}/children')
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


class Api:
    def __init__(self, env, workers=2):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                PYTHON,
                '-m',
                'gunicorn',
                'scale.wsgi',
                '--bind',
                f'127.0.0.1:{self.port}',
                '--workers',
                str(workers),
                '--log-level',
                'warning',
            ],
            env={**env, 'SCALE_PUBLIC_READ_API': 'true', 'ALLOWED_HOSTS': '127.0.0.1'},
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.get('/v6/jobs/?page_size=1')
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit('the API did not start')

    def get(self, path):
        connection = http.client.HTTPConnection('127.0.0.1', self.port, timeout=120)
        try:
            connection.request('GET', path)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status >= 400:
            raise RuntimeError(f'{path}: {response.status} {body[:300]!r}')
        return body

    def peak_rss(self):
        return [peak_rss_mib(pid) for pid in worker_pids(self.process.pid)]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def measure(api, path, requests, warmup):
    for _ in range(warmup):
        api.get(path)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        api.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        'median_ms': round(statistics.median(timings), 1),
        'p95_ms': round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        'max_ms': round(timings[-1], 1),
        'requests': requests,
    }


def sample_values(env):
    """Ids and names to put in the benchmarked queries, read from the benchmark database."""
    code = (
        'import json\n'
        'from job.models import Job, JobExecution\n'
        'from job.models import JobType\n'
        'job = JobExecution.objects.order_by("-job_id").values_list("job_id", flat=True).first()\n'
        'batch = Job.objects.exclude(batch=None).values_list("batch_id", flat=True).first()\n'
        'name = JobType.objects.order_by("id").values_list("name", flat=True).first()\n'
        'klass = Job.objects.exclude(source_sensor_class=None).values_list("source_sensor_class", flat=True).first()\n'
        'exe = JobExecution.objects.filter(log_lines__isnull=False).values_list("id", flat=True).first()\n'
        'print(json.dumps({"job": job, "batch": batch, "name": name, "sensor_class": klass, "exe": exe}))\n'
    )
    out = manage(env, 'shell', '-c', code, capture=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def shapes(values):
    lists = {
        'no filter': '',
        'page=last': 'page=last',
        'deep page (the middle row)': 'page={deep}',
        'status=RUNNING': 'status=RUNNING',
        'status=FAILED&error_category=SYSTEM': 'status=FAILED&error_category=SYSTEM',
        'started=P1D': 'started=P1D',
        'job_type_name&order=-last_modified': f'job_type_name={values["name"]}&order=-last_modified',
        'batch_id': f'batch_id={values["batch"]}',
        'order=duration': 'order=duration',
        'order=job_type__name&order=-job_type__version': 'order=job_type__name&order=-job_type__version',
        'source range + sensor class': (
            f'source_started=P30D&source_ended=PT0S&source_sensor_class={values["sensor_class"]}'
        ),
        'is_superseded=false&order=-created': 'is_superseded=false&order=-created',
    }
    result = {}
    for size in (100, 1000):
        for name, query in lists.items():
            query = query.format(deep=values['jobs'] // 2 // size + 1)
            result[f'GET /v6/jobs/ {name} (page_size {size})'] = f'/v6/jobs/?{query}&page_size={size}'
    job = values['job']
    result['GET /v6/jobs/{id}/'] = f'/v6/jobs/{job}/'
    result['GET /v6/jobs/{id}/executions/'] = f'/v6/jobs/{job}/executions/'
    result['GET /v6/jobs/{id}/input_files/'] = f'/v6/jobs/{job}/input_files/'
    result['GET /v6/job-executions/?status=FAILED'] = '/v6/job-executions/?status=FAILED'
    if values['exe']:
        result['GET log (json)'] = f'/v6/job-executions/{values["exe"]}/logs/combined/'
        result['GET log (txt)'] = f'/v6/job-executions/{values["exe"]}/logs/combined/?format=txt'
    return result


def git_commit():
    try:
        return subprocess.run(
            ['git', 'rev-parse', 'HEAD'], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--smoke', action='store_true', help='small SQLite world, few requests: seconds')
    parser.add_argument(
        '--jobs', type=int, help='jobs in the benchmark world (default 1,000,000; smoke 2,000)'
    )
    parser.add_argument('--requests', type=int, help='requests per figure (default 50; smoke 3)')
    args = parser.parse_args()
    jobs = args.jobs or (2000 if args.smoke else 1_000_000)
    requests = args.requests or (3 if args.smoke else 50)
    warmup = 1 if args.smoke else 5

    url = bench_database_url(args.smoke)
    env = {**os.environ, 'DATABASE_URL': url, 'DJANGO_SETTINGS_MODULE': 'scale.settings'}
    if url.startswith('postgres'):
        ensure_postgres_database(url)
    elif args.smoke:
        Path(urlsplit(url).path[1:]).unlink(missing_ok=True)
    print(f'benchmark database: {url.split("@")[-1]}', flush=True)
    manage(env, 'migrate', '--noinput', '--verbosity', '0')

    results = {'figures': {}, 'memory_mib': {}}
    existing = job_count(env)
    if existing < jobs:
        seconds, rss = seed(env, jobs - existing)
        results['figures']['seed_jobs'] = {'jobs': jobs - existing, 'seconds': round(seconds, 1)}
        results['memory_mib']['seed_jobs'] = round(rss, 1)
    results['jobs'] = job_count(env)

    values = {**sample_values(env), 'jobs': results['jobs']}
    api = Api(env)
    try:
        for name, path in shapes(values).items():
            results['figures'][name] = measure(api, path, requests, warmup)
            figure = results['figures'][name]
            print(
                f'{name:70} {figure["median_ms"]:9.1f} {figure["p95_ms"]:9.1f} {figure["max_ms"]:9.1f}',
                flush=True,
            )
        results['memory_mib']['api_workers'] = [round(value, 1) for value in api.peak_rss() if value]
    finally:
        api.stop()

    results['scheduler'] = bench_scheduler.run(smoke=args.smoke)
    results['memory_mib']['scheduler'] = results['scheduler']['scheduler_peak_rss_mib']
    results['requeue'] = bench_requeue.run(smoke=args.smoke)
    results['memory_mib']['requeue_worker'] = results['requeue']['worker_peak_rss_mib']

    results.update(
        {
            'date': datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds'),
            'commit': git_commit(),
            'database': 'postgresql' if url.startswith('postgres') else 'sqlite',
            'smoke': args.smoke,
            'machine': {
                'platform': platform.platform(),
                'python': platform.python_version(),
                'cpus': os.cpu_count(),
                'memory_gib': round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30, 1),
            },
            'bench_process_peak_rss_mib': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )
    print()
    print(f'{"figure":70} {"median":>9} {"p95":>9} {"max":>9}  (ms)')
    for name, figure in results['figures'].items():
        if 'median_ms' in figure:
            print(f'{name:70} {figure["median_ms"]:9.1f} {figure["p95_ms"]:9.1f} {figure["max_ms"]:9.1f}')
        else:
            print(f'{name:70} {figure}')
    print(f'peak memory (MiB): {results["memory_mib"]}')
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / ('smoke.json' if args.smoke else 'latest.json')
    target.write_text(json.dumps(results, indent=2) + '\n')
    print(f'written to {target.relative_to(ROOT)}')


if __name__ == '__main__':
    main()
