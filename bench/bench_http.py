"""What the benchmarks share: the API under gunicorn, an HTTP client, latency statistics, peak memory.

Api starts `gunicorn scale.wsgi` with two sync workers (as `make run` does, without the access log)
on a free port, against the database of the environment it is given, with SCALE_PUBLIC_READ_API on
(reads need no token; writes take a staff token). Its output goes to a log file under var/. The
worker timeout is raised to 600 s so that a slow request is measured rather than killed (run_all
keeps gunicorn's default of 30 s: a figure above that would be a killed worker in `make run`).

measure() times a request function after warm-up: at least `requests` timings unless the figure's
time budget runs out first (then at least `min_requests`; the figure says so with `budget_cut`).
Percentiles are nearest-rank. Peak memory is a process's VmHWM (the high-water mark of its resident
set), read from /proc.
"""

import http.client
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def percentile(sorted_values, share):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    index = max(0, math.ceil(share * len(sorted_values)) - 1)
    return sorted_values[index]


def summary(timings_ms):
    """{median_ms, p95_ms, max_ms, requests} of a list of milliseconds."""
    values = sorted(timings_ms)
    return {
        'median_ms': round(statistics.median(values), 2),
        'p95_ms': round(percentile(values, 0.95), 2),
        'max_ms': round(values[-1], 2),
        'requests': len(values),
    }


def measure(call, requests, warmup, budget_seconds=None, min_requests=10, max_warmup_seconds=5.0):
    """Runs `call()` `warmup` times (at least once, fewer past max_warmup_seconds), then `requests`
    timed times, or as many as `budget_seconds` allows but at least `min_requests`. Returns the
    summary, plus `warmup` and `budget_cut` (True when fewer than `requests` were timed)."""
    started = time.perf_counter()
    warmed = 0
    for _ in range(max(1, warmup)):
        call()
        warmed += 1
        if time.perf_counter() - started > max_warmup_seconds:
            break
    timings = []
    started = time.perf_counter()
    for _ in range(requests):
        begin = time.perf_counter()
        call()
        timings.append((time.perf_counter() - begin) * 1000)
        if (
            budget_seconds is not None
            and len(timings) >= min_requests
            and time.perf_counter() - started > budget_seconds
        ):
            break
    return {**summary(timings), 'warmup': warmed, 'budget_cut': len(timings) < requests}


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def peak_rss_mib(pid):
    """VmHWM of process `pid` in MiB (None once it is gone)."""
    try:
        for line in Path(f'/proc/{pid}/status').read_text().splitlines():
            if line.startswith('VmHWM:'):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def child_pids(pid):
    try:
        return [int(child) for child in Path(f'/proc/{pid}/task/{pid}/children').read_text().split()]
    except OSError:
        return []


class HttpError(RuntimeError):
    pass


class Api:
    """gunicorn serving the API against env['DATABASE_URL'] on 127.0.0.1 (stop() when done)."""

    def __init__(self, env, workers=2, log_name='bench-api.log'):
        self.port = free_port()
        self.log_path = ROOT / 'var' / log_name
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, 'w')  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                PYTHON, '-m', 'gunicorn', 'scale.wsgi', '--bind', f'127.0.0.1:{self.port}',
                '--workers', str(workers), '--timeout', '600', '--log-level', 'warning',
            ],
            env={
                **env,
                'SCALE_PUBLIC_READ_API': 'true',
                # No scheduler runs here: the one pass run.py stamps stays current (/v6/status/).
                'SCALE_SCHEDULER_STALE_SECONDS': str(10 * 365 * 86400),
                'ALLOWED_HOSTS': '127.0.0.1',
                'SCALE_LOG_LEVEL': 'WARNING',
            },
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = self.request('GET', '/v6/job-types/?page_size=1')
                if status == 200 and len(self.worker_pids()) >= workers:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f'the API did not start; see {self.log_path}:\n{self.log_tail()}')
            time.sleep(0.2)

    def connection(self, timeout=600):
        return http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, connection=None):
        """(status, headers, body bytes); a new connection unless one is given (kept open)."""
        own = connection is None
        connection = connection or self.connection()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            return response.status, response.headers, data
        finally:
            if own:
                connection.close()

    def get(self, path, expect=200):
        """The body of GET `path`; HttpError unless the status is `expect`."""
        status, _, body = self.request('GET', path)
        if status != expect:
            raise HttpError(f'GET {path}: {status} {body[:300]!r}')
        return body

    def stream(self, path, chunk_size=1 << 20):
        """GET `path` read in chunks, never held whole: (status, bytes, newlines, first and last chunk)."""
        connection = self.connection()
        try:
            connection.request('GET', path)
            response = connection.getresponse()
            size = newlines = 0
            first = last = b''
            while True:
                chunk = response.read(chunk_size)
                if not chunk:
                    break
                first = first or chunk
                last = chunk
                size += len(chunk)
                newlines += chunk.count(b'\n')
            return response.status, size, newlines, first[:2000], last[-2000:]
        finally:
            connection.close()

    def worker_pids(self):
        return child_pids(self.process.pid)

    def peak_rss(self):
        """VmHWM (MiB) of each worker."""
        return [peak_rss_mib(pid) for pid in self.worker_pids()]

    def log_tail(self, lines=30):
        try:
            return '\n'.join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return ''

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def cpu_load():
    """The 1-minute load average (a busy machine makes every figure worse)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None
