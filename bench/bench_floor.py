#!/usr/bin/env python
"""The floor of a list figure: the time the database itself needs for the SQL on the job table that the
view runs for the same request (the page and its count).

    python bench/bench_floor.py '/v6/jobs/?status=RUNNING&page_size=100' ...   # DATABASE_URL's database

How: a child process with the project's settings pointed at the benchmark database (and
SCALE_PUBLIC_READ_API on, as under the benchmarked gunicorn) sends each GET once through Django's test
client inside django.test.utils.CaptureQueriesContext, which records the SQL text each query ran with
its parameters bound (the backend's last_executed_query). The captured SELECTs are sorted by the table
their top-level FROM names (looking into a derived table, `SELECT COUNT(*) FROM (SELECT ... FROM job
...) subquery`): those on the job table, and the page's count wherever it is read from (a SELECT of
one COUNT(...), or of one SUM(...) over a table of counts such as job_count), are the floor; the
others (the lookups of job types, nodes, errors, input files fetched by id for the page's rows) are
timed too and reported as `other_sql_median_ms`, but are not part of the floor. Each captured text is then executed exactly as
captured, with a cursor of the view's own DB-API connection (psycopg on PostgreSQL, sqlite3 on
SQLite; same settings, autocommit), in the view's order, after warm-up, at least --requests rounds
(or as many as the time budget allows, at least 10). A query's time is its execute(): on PostgreSQL that returns once the
server has run it and libpq holds every row of the result (the rows are then fetched, and the time
psycopg takes to turn them into Python values is reported apart as `decode_median_ms`: the view pays
it too, but it is Python work, not PostgreSQL's); sqlite3 steps lazily, so there the fetch is part of
the time. floor = the sum of those queries in one round: today the count (a COUNT on the job table,
or the SUM over job_count for the shapes it serves), the page of ids (LIMIT/OFFSET) and the rows of
those ids; should the view's queries change shape again (another exact count, another deferred
join), the floor is still the sum of the count and whatever it runs on the job table. The JSON names
each query's kind (count; page: has a LIMIT; other), whether it is in the floor, and its time, and on PostgreSQL keeps one EXPLAIN (ANALYZE, BUFFERS) of every job-table query. The count
and row number the SQL returns are kept, for the caller to compare with the API's `count` and
`results`.

bench/run.py calls run() with the list figures' paths; the SQL texts and plans go to the results'
side file (bench/results/latest-sql.json).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
FLOOR_TABLE = 'job'
METHOD = (
    'floor = the sum, per round, of the SELECTs on the job table and the count query (COUNT, or SUM '
    'over a counts table) that the view runs for the same GET (captured with CaptureQueriesContext through the test client, executed verbatim on the same '
    'DB-API connection after warm-up; PostgreSQL: execute() until libpq holds the whole result, the '
    'psycopg decoding of the rows into Python values reported apart as decode_median_ms; SQLite: '
    'execute and fetch); the other SELECTs (lookups by id) are timed as other_sql_median_ms and left '
    'out; ratio = API median / floor median'
)


def main_table(sql):
    """The table a statement reads from: what its first top-level FROM names (inside a derived table
    when that FROM is a subquery), lower-cased, unquoted; None when it has no FROM."""
    depth = 0
    index = 0
    length = len(sql)
    while index < length:
        char = sql[index]
        if char in ('"', "'"):
            end = index + 1
            while end < length:
                if sql[end] == char:
                    if end + 1 < length and sql[end + 1] == char:
                        end += 2
                        continue
                    break
                end += 1
            index = end + 1
            continue
        if char == '(':
            depth += 1
        elif char == ')':
            depth -= 1
        elif (
            depth == 0
            and sql[index : index + 4].upper() == 'FROM'
            and (index == 0 or not (sql[index - 1].isalnum() or sql[index - 1] == '_'))
            and (index + 4 >= length or not (sql[index + 4].isalnum() or sql[index + 4] == '_'))
        ):
            rest = sql[index + 4 :].lstrip()
            if rest.startswith('('):
                return main_table(_inside_parentheses(rest))
            if rest.startswith('"'):
                return rest[1 : rest.index('"', 1)].lower()
            match = re.match(r'[A-Za-z_][A-Za-z0-9_.]*', rest)
            return match.group(0).lower() if match else None
        index += 1
    return None


def _inside_parentheses(text):
    """The text inside the parenthesis `text` starts with (quotes respected)."""
    depth = 0
    quote = None
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in ('"', "'"):
            quote = char
        elif char == '(':
            depth += 1
        elif char == ')':
            depth -= 1
            if depth == 0:
                return text[1:index]
    return text[1:]


def query_kind(sql):
    """count: the page's count (a SELECT of one COUNT(...), or one SUM(...) over a table of counts);
    page: has a LIMIT; other."""
    if re.match(r'\s*SELECT\s+(COUNT|SUM)\s*\([^()]*\)(\s+AS\s+\S+)?\s+FROM\b', sql, re.IGNORECASE):
        return 'count'
    if re.search(r'\bLIMIT\s+\d+', sql, re.IGNORECASE):
        return 'page'
    return 'other'


def is_read(sql):
    return bool(re.match(r'\s*(SELECT|WITH)\b', sql, re.IGNORECASE))


def _stats(values):
    values = sorted(values)
    index = max(0, -(-len(values) * 95 // 100) - 1)
    return {
        'median_ms': round(statistics.median(values), 2),
        'p95_ms': round(values[index], 2),
        'max_ms': round(values[-1], 2),
    }


# -- the child (Django is set up) -----------------------------------------------------------------------


def _execute(raw, sql):
    cursor = raw.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def _timed(raw, sql, lazy):
    """(milliseconds to execute, milliseconds to fetch every row into Python values). psycopg's
    execute() returns once libpq holds the whole result; sqlite3 steps lazily, so there (`lazy`) the
    fetch is part of the execution and the second figure is 0."""
    cursor = raw.cursor()
    try:
        begin = time.perf_counter()
        cursor.execute(sql)
        if lazy:
            cursor.fetchall()
        executed = time.perf_counter()
        if not lazy:
            cursor.fetchall()
        return (executed - begin) * 1000, (time.perf_counter() - executed) * 1000
    finally:
        cursor.close()


def floor_of(path, requests, warmup, budget_seconds, explain):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get(path)  # the first request of a process builds what every request uses; not captured
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    answer = {'path': path, 'status': response.status_code, 'problems': []}
    if response.status_code != 200:
        answer['problems'].append(f'GET {path} through the test client: {response.status_code}')
        return answer
    body = response.json()
    answer['api_count'] = body.get('count') if isinstance(body, dict) else None
    queries = []
    for item in captured.captured_queries:
        sql = item['sql']
        if not is_read(sql):
            continue
        table = main_table(sql)
        queries.append(
            {
                'table': table,
                'kind': query_kind(sql),
                'floor': table == FLOOR_TABLE or query_kind(sql) == 'count',
                'sql': sql,
                'times': [],
                'decode_times': [],
            }
        )
    floor_queries = [query for query in queries if query['floor']]
    if not floor_queries:
        answer['problems'].append(
            f'GET {path}: the view ran no SELECT on the {FLOOR_TABLE} table nor a count'
        )
        answer['queries'] = [{key: query[key] for key in ('table', 'kind', 'sql')} for query in queries]
        return answer
    raw = connection.connection
    started = time.perf_counter()
    for round_number in range(max(1, warmup)):
        for query in queries:
            rows = _execute(raw, query['sql'])
            if round_number == 0:
                query['rows'] = len(rows)
                if query['kind'] == 'count' and rows and len(rows[0]) == 1:
                    # A SUM comes back as a Decimal (or None over no rows).
                    answer['sql_count'] = int(rows[0][0] or 0)
                if query['kind'] == 'page' and query['floor']:
                    answer['sql_rows'] = len(rows)
        if time.perf_counter() - started > 5:
            break
    lazy = connection.vendor != 'postgresql'
    floors, decodes, others = [], [], []
    started = time.perf_counter()
    for _ in range(requests):
        total_floor = total_decode = total_other = 0.0
        for query in queries:
            executed, decoded = _timed(raw, query['sql'], lazy)
            query['times'].append(executed)
            query['decode_times'].append(decoded)
            if query['floor']:
                total_floor += executed
                total_decode += decoded
            else:
                total_other += executed + decoded
        floors.append(total_floor)
        decodes.append(total_decode)
        others.append(total_other)
        if len(floors) >= 10 and time.perf_counter() - started > budget_seconds:
            break
    answer.update(_stats(floors))
    answer['iterations'] = len(floors)
    answer['budget_cut'] = len(floors) < requests
    answer['decode_median_ms'] = round(statistics.median(decodes), 2)
    answer['other_sql_median_ms'] = round(statistics.median(others), 2)
    answer['queries'] = []
    for query in queries:
        entry = {
            'table': query['table'],
            'kind': query['kind'],
            'in_floor': query['floor'],
            'rows': query.get('rows'),
            **_stats(query['times']),
            'decode_median_ms': round(statistics.median(query['decode_times']), 2),
            'sql': query['sql'],
        }
        if explain and query['floor'] and connection.vendor == 'postgresql':
            entry['explain'] = [row[0] for row in _execute(raw, 'EXPLAIN (ANALYZE, BUFFERS) ' + query['sql'])]
        answer['queries'].append(entry)
    return answer


def child_main():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    job = json.loads(sys.stdin.read())
    answers = {}
    for name, path in job['paths'].items():
        started = time.perf_counter()
        try:
            answers[name] = floor_of(path, job['requests'], job['warmup'], job['budget'], job['explain'])
        except Exception as exc:  # one broken shape must not hide the others' floors
            answers[name] = {'path': path, 'problems': [f'floor of {path}: {type(exc).__name__}: {exc}']}
        answer = answers[name]
        figure = f'{answer["median_ms"]:.1f} ms' if 'median_ms' in answer else 'no floor'
        print(
            f'  floor {name}: {figure} ({answer.get("iterations", 0)} rounds, '
            f'{time.perf_counter() - started:.1f} s)',
            file=sys.stderr,
            flush=True,
        )
    print(json.dumps(answers, default=str))


# -- the driver -----------------------------------------------------------------------------------------


def run(env, paths, requests=50, warmup=5, budget_seconds=30.0, explain=True):
    """{name: floor} for `paths` ({name: path}) against env['DATABASE_URL'] (a child process)."""
    payload = {
        'paths': paths,
        'requests': requests,
        'warmup': warmup,
        'budget': budget_seconds,
        'explain': explain,
    }
    child_env = {
        **env,
        'DJANGO_SETTINGS_MODULE': 'scale.settings',
        'SCALE_PUBLIC_READ_API': 'true',
        'ALLOWED_HOSTS': 'testserver',
        'SCALE_LOG_LEVEL': 'WARNING',
    }
    out = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), '--child'],
        env=child_env,
        cwd=ROOT,
        check=True,
        text=True,
        input=json.dumps(payload),
        stdout=subprocess.PIPE,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('paths', nargs='*', help='GET paths, e.g. /v6/jobs/?page_size=100')
    parser.add_argument('--requests', type=int, default=50)
    parser.add_argument('--budget', type=float, default=30.0, help='seconds per path at most (>= 10 rounds)')
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main()
        return
    answers = run(dict(os.environ), {path: path for path in args.paths}, args.requests, 5, args.budget)
    for path, answer in answers.items():
        print(f'{path}: floor median {answer.get("median_ms")} ms, p95 {answer.get("p95_ms")} ms')
        for query in answer.get('queries', []):
            print(
                f'  {query["table"]:20} {query["kind"]:6} {query["median_ms"]:9.2f} ms  {query["sql"][:100]}'
            )
        for problem in answer.get('problems', []):
            print(f'  PROBLEM: {problem}')


if __name__ == '__main__':
    main()
