"""POST /v6/jobs/ throughput: concurrent clients queueing jobs through the API under gunicorn.

bench/run.py calls run() with its running API (gunicorn, two sync workers, against the benchmark
database) and a staff token. `clients` threads (4) each keep one HTTP/1.1 connection (keep-alive is
asked for; gunicorn's sync workers close it after each response and the client opens the next one)
and POST a job of the demo job type `sleep` ({"job_type_id": <its id>, "input": {"json":
{"DURATION": 0}}}, looked up by GET /v6/job-types/sleep/1.0.0/; manage.py load_demo creates it) as
fast as they can. Each client first POSTs twice off the clock (warm-up); then all start together and
run for `seconds` (12 s; smoke 2 s). jobs/s = jobs queued (201) / wall time from the start to the
last answer; latency median, p95 and max over every timed POST.

Checks (a failure is a problem and a non-zero exit): every answer is 201 with a Location of
/v6/jobs/<id>/, the ids are all different, and a sample of them (up to 100) read back with
GET /v6/jobs/?job_id=... are that many jobs of the sleep job type. The jobs stay in the benchmark
database (QUEUED; no scheduler runs): each full run adds a few thousand jobs to it.
"""

import http.client
import json
import re
import statistics
import threading
import time

import bench_http

TARGET_JOBS_PER_SECOND = 300
LOCATION = re.compile(r'/v6/jobs/(\d+)/$')


def sleep_job_type(api):
    """The id of the demo job type sleep 1.0.0, read through the API."""
    data = json.loads(api.get('/v6/job-types/sleep/1.0.0/'))
    return data['id']


def run(api, token, clients=4, seconds=12.0, warmup=2):
    job_type_id = sleep_job_type(api)
    body = json.dumps({'job_type_id': job_type_id, 'input': {'json': {'DURATION': 0}}})
    headers = {
        'Authorization': f'Token {token}',
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'Connection': 'keep-alive',
    }
    state = {}
    barrier = threading.Barrier(clients, action=lambda: state.setdefault('start', time.perf_counter()))
    timings, ids, errors, ends = [], [], [], []
    timed = {'created': 0}
    lock = threading.Lock()

    def post(connection):
        try:
            status, answer_headers, data = api.request('POST', '/v6/jobs/', body, headers, connection)
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            return None, f'{type(exc).__name__}: {exc}'
        match = LOCATION.search(answer_headers.get('Location') or '')
        if status != 201 or not match:
            return None, f'{status} Location={answer_headers.get("Location")!r} {data[:200]!r}'
        return int(match.group(1)), None

    def client():
        connection = api.connection(timeout=60)
        try:
            for _ in range(warmup):
                job_id, error = post(connection)
                with lock:
                    ids.extend([job_id] if job_id else [])
                    errors.extend([error] if error else [])
            barrier.wait()
            deadline = state['start'] + seconds
            mine, my_ids, my_errors = [], [], []
            while time.perf_counter() < deadline:
                begin = time.perf_counter()
                job_id, error = post(connection)
                mine.append((time.perf_counter() - begin) * 1000)
                if job_id:
                    my_ids.append(job_id)
                else:
                    my_errors.append(error)
            with lock:
                timings.extend(mine)
                timed['created'] += len(my_ids)
                ids.extend(my_ids)
                errors.extend(my_errors)
                ends.append(time.perf_counter())
        except Exception as exc:  # a client that dies is a failure of the run, never a silent gap
            barrier.abort()
            with lock:
                errors.append(f'client thread: {type(exc).__name__}: {exc}')
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = max(ends) - state['start'] if ends and 'start' in state else 0.0
    created = timed['created']
    problems = [f'POST /v6/jobs/: {error}' for error in errors[:5]]
    if len(errors) > 5:
        problems.append(f'POST /v6/jobs/: {len(errors) - 5} more failures')
    if not timings:
        problems.append('POST /v6/jobs/: no POST was timed')
    if len(set(ids)) != len(ids):
        problems.append(f'POST /v6/jobs/: {len(ids) - len(set(ids))} job ids answered twice')
    sample = sorted(set(ids))[-100:]
    if sample:
        query = '&'.join(f'job_id={job_id}' for job_id in sample)
        page = json.loads(api.get(f'/v6/jobs/?{query}&page_size=100'))
        if page['count'] != len(sample):
            problems.append(f'GET /v6/jobs/?job_id=...: {page["count"]} of {len(sample)} posted jobs found')
        wrong = [job['id'] for job in page['results'] if job['job_type']['id'] != job_type_id]
        if wrong:
            problems.append(f'posted jobs {wrong[:5]} are not of job type {job_type_id}')
    elif not errors:
        problems.append('POST /v6/jobs/: no job was queued')
    stats = bench_http.summary(timings) if timings else {}
    return {
        'job_type_id': job_type_id,
        'body': json.loads(body),
        'clients': clients,
        'seconds': round(wall, 3),
        'posts': len(timings),
        'jobs_created': created,
        'failures': len(errors),
        'jobs_per_second': round(created / wall, 1) if wall else 0,
        'median_ms': stats.get('median_ms'),
        'p95_ms': stats.get('p95_ms'),
        'max_ms': stats.get('max_ms'),
        'latency_mean_ms': round(statistics.mean(timings), 2) if timings else None,
        'problems': problems,
    }
