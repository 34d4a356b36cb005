"""The Scale web UI's calls (issue 7), timed as the UI sends them, through the same gunicorn API.

Every query is the UI's own (shared/reference/scale-ui-client.md): literal `page_size=null` and
`group=null`, empty segments (`choice_id=&`, a trailing `&`), ISO times with milliseconds and a Z. The
times are fixed when the figures are built, as the UI freezes a poller's query when it creates it.
Targets: the two 5-second polls (running job types, an open log) p95 <= 50 ms; the calls every page
makes every 30 s (status, scheduler) p95 <= 100 ms; everything else, polled every 45-600 s or sent on
page load, p95 <= 250 ms.
"""

import datetime
import json
from urllib.parse import quote

FIVE_SECOND_POLL_MS = 50
EVERY_PAGE_POLL_MS = 100
PAGE_LOAD_MS = 250


def iso(moment):
    """Date.prototype.toISOString(): UTC, three millisecond digits, Z."""
    return moment.strftime('%Y-%m-%dT%H:%M:%S.') + f'{moment.microsecond // 1000:03d}Z'


def ui_paths(api, values, now):
    """{figure name: (path, target ms)}; looks up the ids the UI would hold (job types, an
    execution) through the API."""
    day_ago, week_ago = now - datetime.timedelta(days=1), now - datetime.timedelta(days=7)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    job_types = json.loads(api.get('/v6/job-types/?page_size=1000&is_active=true'))['results']
    choices = '&'.join(f'choice_id={job_type["id"]}' for job_type in job_types)
    job = values['job']
    execution = (json.loads(api.get(f'/v6/jobs/{job}/')).get('execution') or {}).get('id')
    name = quote(values['name'] or '')
    paths = {
        'status (navbar, every page)': ('/v6/status/', EVERY_PAGE_POLL_MS),
        'scheduler (navbar, every page)': ('/v6/scheduler/', EVERY_PAGE_POLL_MS),
        'running job types (Running Jobs)': (
            '/v6/job-types/running/?page=1&page_size=20',
            FIVE_SECOND_POLL_MS,
        ),
        'job type tiles (dashboard)': (
            '/v6/job-types/status/?page=1&page_size=1000&is_active=true',
            PAGE_LOAD_MS,
        ),
        'running jobs doughnut (dashboard)': ('/v6/jobs/?page=1&status=RUNNING', PAGE_LOAD_MS),
        'load, last week (dashboard)': (f'/v6/load/?started={iso(week_ago)}&ended={iso(now)}&', PAGE_LOAD_MS),
        'completed vs failed, yesterday (dashboard)': (
            f'/v6/metrics/job-types/plot-data/?choice_id=&column=completed_count&column=failed_count'
            f'&dataType=job-types&started={iso(midnight - datetime.timedelta(days=1))}&ended={iso(midnight)}'
            '&group=overview&page=1&page_size=null',
            PAGE_LOAD_MS,
        ),
        'job type history, 30 days, every type': (
            f'/v6/metrics/job-types/plot-data/?page=1&page_size=null'
            f'&started={iso(midnight - datetime.timedelta(days=30))}'
            f'&ended={iso(midnight + datetime.timedelta(days=1))}&{choices}'
            '&column=error_system_count&column=error_algorithm_count&column=error_data_count'
            '&column=total_count&group=null&dataType=job-types',
            PAGE_LOAD_MS,
        ),
        'data feed (dashboard)': (
            f'/v6/ingests/status/?started={iso(day_ago)}&ended={iso(now)}&use_ingest_time=true',
            PAGE_LOAD_MS,
        ),
        'job types (dropdowns)': ('/v6/job-types/?page=1&page_size=1000&is_active=true', PAGE_LOAD_MS),
        'jobs page, default query': (
            f'/v6/jobs/?order=-last_modified&page=1&page_size=20&started={iso(day_ago)}'
            f'&ended={iso(midnight + datetime.timedelta(days=1) - datetime.timedelta(seconds=1))}',
            PAGE_LOAD_MS,
        ),
        'queued jobs (Queued Jobs)': ('/v6/queue/status/', PAGE_LOAD_MS),
        'pending job types': ('/v6/job-types/pending/', PAGE_LOAD_MS),
        'nodes (Nodes)': ('/v6/nodes/?page=1&page_size=1000&is_active=true', PAGE_LOAD_MS),
        'errors of a job type (history)': (
            f'/v6/errors/?page=1&job_type_name={name}&order=-last_modified',
            PAGE_LOAD_MS,
        ),
        'output files of a job (job detail)': (
            f'/v6/files/?job_id={job}&sortField=last_modified&sortOrder=desc',
            PAGE_LOAD_MS,
        ),
        'version': ('/v6/version/', PAGE_LOAD_MS),
    }
    if values.get('recipe'):
        paths['jobs of a recipe (recipe status, 45 s)'] = (
            f'/v6/jobs/?order=-last_modified&page=1&page_size=1000&recipe_id={values["recipe"]}',
            PAGE_LOAD_MS,
        )
    if execution:
        paths['log of an execution (log viewer, 5 s)'] = (
            f'/v6/job-executions/{execution}/logs/combined/',
            FIVE_SECOND_POLL_MS,
        )
    return paths


def run(api, values, measure, progress):
    """{figure name: figure with path and target} of every UI call; `measure(name, path)` times one
    (None when it failed: the harness has recorded why)."""
    figures = {}
    for name, (path, target_ms) in ui_paths(api, values, datetime.datetime.now(datetime.UTC)).items():
        figure = measure(f'UI {name}', path)
        if figure:
            figures[name] = {**figure, 'target_ms': target_ms}
            progress(f'UI {name}', figure)
    return figures


def table_rows(figures):
    rows = []
    for name, figure in figures.items():
        figure['met'] = figure['p95_ms'] <= figure['target_ms']
        rows.append(
            {'name': f'UI {name}', 'section': 'The Scale web UI, its calls as it sends them (issue 7)',
             'n': figure['requests'], 'median': figure['median_ms'], 'p95': figure['p95_ms'],
             'max': figure['max_ms'],
             'target': f'p95 <= {figure["target_ms"]} ms', 'met': figure['met']}
        )  # fmt: skip
    return rows
