"""Job type metrics: the daily rows (job.services.metrics, manage.py compute_metrics) and
GET /v6/metrics/, /v6/metrics/job-types/ and its plot-data with the Scale web UI's exact queries
(shared/reference/scale-ui-client.md 5.3, 6 and checklist item 24)."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openapi_spec_validator import validate

from job.choices import ErrorCategory, ExecutionStatus, JobStatus
from job.filters.metrics import PlotDataFilterSet
from job.models import Error, JobTypeDailyMetrics
from job.services.metrics import COLUMNS, compute_job_type_metrics
from tests import factories
from tests.factories import set_fields
from tests.job.test_api_job_types_lists import LIST_KEYS

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
SECOND = datetime.timedelta(seconds=1)
PLOT = '/v6/metrics/job-types/plot-data/'
COLUMN_KEYS = {'name', 'title', 'description', 'units', 'group', 'aggregate'}


def midnight(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=UTC)


def iso(day):
    return midnight(day).isoformat().replace('+00:00', '.000Z')


def ended_job(job_type, status, ended, *, queue_s=10, stage_s=2, run_s=60, error=None, launched=True):
    """A final job that ended at `ended`: queued queue_s before being placed on a node, launched
    stage_s after, ended run_s after being placed; its latest execution carries the launch time."""
    started = ended - run_s * SECOND
    queued = started - queue_s * SECOND
    if status == JobStatus.FAILED and error is None:
        error = factories.error('algorithm-unknown')
    job = factories.job(job_type, status, error=error)
    execution_status = {
        JobStatus.COMPLETED: ExecutionStatus.COMPLETED,
        JobStatus.FAILED: ExecutionStatus.FAILED,
    }.get(status, ExecutionStatus.CANCELED)
    factories.execution(
        job,
        status=execution_status,
        queued=queued,
        started=started,
        ended=ended,
        launched=started + stage_s * SECOND if launched else None,
        error=error,
    )
    return set_fields(
        job, queued=queued, started=started, ended=ended, last_status_change=ended, last_modified=ended
    )


def rows_by_type(day):
    return {row.job_type_id: row for row in JobTypeDailyMetrics.objects.filter(date=day)}


def body(response):
    assert response.status_code == 200, response.content
    return response.json()


def series(response):
    return {result['column']['name']: result for result in body(response)['results']}


@pytest.fixture
def today():
    return timezone.now().astimezone(UTC).date()


# --- The daily rows ---------------------------------------------------------------------------------------


def test_a_day_is_computed_exactly_from_its_ended_jobs():
    job_type = factories.job_type()
    other = factories.job_type()
    day = datetime.date(2024, 5, 1)
    noon = midnight(day) + 12 * 3600 * SECOND
    ended_job(job_type, JobStatus.COMPLETED, noon, queue_s=10, stage_s=2, run_s=60)
    ended_job(job_type, JobStatus.COMPLETED, noon, queue_s=30, stage_s=4, run_s=120)
    ended_job(job_type, JobStatus.FAILED, noon, error=factories.error('node-lost'))
    ended_job(job_type, JobStatus.FAILED, noon)
    data = Error.objects.create(name='bad-data', job_type_name=job_type.name, category=ErrorCategory.DATA)
    ended_job(job_type, JobStatus.FAILED, midnight(day), error=data)  # 00:00:00 belongs to the day
    ended_job(job_type, JobStatus.CANCELED, midnight(day + DAY) - SECOND)
    ended_job(job_type, JobStatus.COMPLETED, midnight(day + DAY))  # the next day
    ended_job(other, JobStatus.COMPLETED, noon, queue_s=0, stage_s=0, run_s=5)
    factories.job(job_type, JobStatus.RUNNING)

    written = compute_job_type_metrics(days=1, last_day=day)

    assert written == 2
    row = rows_by_type(day)[job_type.id]
    assert (row.completed_count, row.failed_count, row.canceled_count, row.total_count) == (2, 3, 1, 6)
    assert (row.error_system_count, row.error_algorithm_count, row.error_data_count) == (1, 1, 1)
    # Times are over the completed jobs only.
    assert (row.queue_time_sum, row.queue_time_min, row.queue_time_max, row.queue_time_avg) == (
        40,
        10,
        30,
        20,
    )
    assert (row.stage_time_sum, row.stage_time_min, row.stage_time_max, row.stage_time_avg) == (6, 2, 4, 3)
    assert (row.job_time_sum, row.job_time_min, row.job_time_max, row.job_time_avg) == (174, 58, 116, 87)
    assert (row.run_time_sum, row.run_time_min, row.run_time_max, row.run_time_avg) == (180, 60, 120, 90)
    assert (row.queue_time_count, row.run_time_count) == (2, 2)
    other_row = rows_by_type(day)[other.id]
    assert (other_row.total_count, other_row.run_time_sum, other_row.queue_time_min) == (1, 5, 0)


def test_times_are_null_without_completed_jobs_or_a_launch():
    job_type = factories.job_type()
    day = datetime.date(2024, 5, 1)
    ended_job(job_type, JobStatus.FAILED, midnight(day) + 3600 * SECOND)
    compute_job_type_metrics(days=1, last_day=day)
    row = rows_by_type(day)[job_type.id]
    assert (row.total_count, row.run_time_sum, row.run_time_avg, row.run_time_count) == (1, None, None, 0)

    ended_job(job_type, JobStatus.COMPLETED, midnight(day) + 3600 * SECOND, launched=False)
    compute_job_type_metrics(days=1, last_day=day)
    row = rows_by_type(day)[job_type.id]
    assert (row.run_time_sum, row.job_time_sum, row.stage_time_count, row.job_time_count) == (60, None, 0, 0)


def test_recomputing_follows_the_jobs_and_drops_emptied_rows():
    job_type = factories.job_type()
    other = factories.job_type()
    day = datetime.date(2024, 5, 1)
    failed = ended_job(job_type, JobStatus.FAILED, midnight(day) + 3600 * SECOND)
    ended_job(job_type, JobStatus.COMPLETED, midnight(day) + 7200 * SECOND)
    requeued = ended_job(other, JobStatus.FAILED, midnight(day) + 3600 * SECOND)
    compute_job_type_metrics(days=1, last_day=day)
    assert set(rows_by_type(day)) == {job_type.id, other.id}

    # Requeued: no longer ended; the failed one is now known to have been a data problem.
    now = timezone.now()
    set_fields(requeued, status=JobStatus.QUEUED, ended=None, error=None, last_modified=now)
    data = Error.objects.create(name='bad-data', job_type_name=job_type.name, category=ErrorCategory.DATA)
    set_fields(failed, error=data, last_modified=now)
    compute_job_type_metrics(days=1, last_day=day)

    rows = rows_by_type(day)
    assert set(rows) == {job_type.id}
    assert (rows[job_type.id].total_count, rows[job_type.id].error_data_count) == (2, 1)
    assert rows[job_type.id].error_algorithm_count == 0


def test_the_periodic_update_recomputes_today_and_yesterday_only(today):
    job_type = factories.job_type()
    for days_ago in (0, 1, 2):
        ended_job(job_type, JobStatus.COMPLETED, midnight(today - days_ago * DAY) + SECOND)

    assert compute_job_type_metrics() == 2
    assert sorted(JobTypeDailyMetrics.objects.values_list('date', flat=True)) == [today - DAY, today]
    assert compute_job_type_metrics(days=3) == 3


def test_the_periodic_update_catches_up_after_a_pause(today):
    job_type = factories.job_type()
    for days_ago in (0, 3, 5, 40):
        ended_job(job_type, JobStatus.COMPLETED, midnight(today - days_ago * DAY) + SECOND)
    compute_job_type_metrics(days=1, last_day=today - 5 * DAY)  # the last update, five days ago

    assert compute_job_type_metrics() == 3  # back to that day: today - 5, - 3 and today
    assert sorted(JobTypeDailyMetrics.objects.values_list('date', flat=True)) == [
        today - 5 * DAY,
        today - 3 * DAY,
        today,
    ]
    # Never further back than a month: older days need a backfill.
    JobTypeDailyMetrics.objects.all().delete()
    compute_job_type_metrics(days=1, last_day=today - 40 * DAY)
    assert compute_job_type_metrics() == 3
    assert not JobTypeDailyMetrics.objects.filter(
        date__gt=today - 40 * DAY, date__lt=today - 31 * DAY
    ).exists()


def test_two_recomputations_at_once_both_succeed():
    job_type = factories.job_type()
    day = datetime.date(2024, 5, 1)
    ended_job(job_type, JobStatus.COMPLETED, midnight(day) + SECOND)
    compute_job_type_metrics(days=1, last_day=day)
    # The second finds the row the first wrote: an upsert, never a duplicate.
    compute_job_type_metrics(days=1, last_day=day)
    assert JobTypeDailyMetrics.objects.filter(date=day).count() == 1


def test_compute_metrics_command(today):
    job_type = factories.job_type()
    ended_job(job_type, JobStatus.COMPLETED, midnight(today - 40 * DAY) + SECOND)
    ended_job(job_type, JobStatus.COMPLETED, midnight(today - 5 * DAY) + SECOND)
    ended_job(job_type, JobStatus.COMPLETED, midnight(today) + SECOND)

    out = io.StringIO()
    call_command('compute_metrics', '--no-progress', stdout=out)
    assert out.getvalue().strip() == '2 days recomputed, 1 job type rows written'
    call_command('compute_metrics', '--days', '10', '--no-progress', stdout=out)
    assert JobTypeDailyMetrics.objects.count() == 2
    call_command('compute_metrics', '--all', '--no-progress', stdout=out)
    assert 'days recomputed, 3 job type rows written' in out.getvalue().splitlines()[-1]
    call_command(
        'compute_metrics', '--days', '1', '--end', str(today - 40 * DAY), '--no-progress', stdout=out
    )
    assert out.getvalue().splitlines()[-1] == '1 days recomputed, 1 job type rows written'
    for args in (['--days', '0'], ['--end', '2024-02-30'], ['--days', '99999999']):
        with pytest.raises(CommandError):
            call_command('compute_metrics', *args, '--no-progress')


# --- GET /v6/metrics/ and /v6/metrics/job-types/ -----------------------------------------------------------


def test_metric_types_list(client):
    data = body(client.get('/v6/metrics/'))

    assert data['count'] == 1
    (metric,) = data['results']
    assert set(metric) == {'name', 'title', 'description', 'filters', 'groups', 'columns'}
    assert metric['name'] == 'job-types'
    names = [column['name'] for column in metric['columns']]
    for name in (
        'completed_count',
        'failed_count',
        'canceled_count',
        'total_count',
        'error_system_count',
        'error_algorithm_count',
        'error_data_count',
        'queue_time_sum',
        'run_time_max',
        'job_time_avg',
    ):
        assert name in names
    assert all(set(column) == COLUMN_KEYS for column in metric['columns'])
    assert {group['name'] for group in metric['groups']} >= {'overview', 'errors', 'queue_time', 'run_time'}


def test_job_types_metric_has_every_job_type_as_a_choice(client, django_assert_max_num_queries):
    ortho = factories.job_type('ortho')
    factories.job_type('cloud-mask', is_active=False)

    with django_assert_max_num_queries(2):
        data = body(client.get('/v6/metrics/job-types/'))

    assert data['name'] == 'job-types'
    assert {'filters', 'groups', 'columns', 'choices'} <= set(data)
    assert [choice['name'] for choice in data['choices']] == ['cloud-mask', 'ortho']
    choice = data['choices'][1]
    assert set(choice) == LIST_KEYS
    assert (choice['id'], choice['version'], choice['title']) == (ortho.id, '1.0.0', 'ortho title')
    assert client.get('/v6/metrics/job-types').status_code == 200
    assert client.get('/v6/metrics/errors/').status_code == 404


# --- Plot data ------------------------------------------------------------------------------------------


@pytest.fixture
def history(today):
    """Two job types with jobs ended over the last days, and the daily rows computed."""
    ortho, cloud = factories.job_type('ortho'), factories.job_type('cloud')
    yesterday = today - DAY
    for _ in range(3):
        ended_job(ortho, JobStatus.COMPLETED, midnight(yesterday) + 3600 * SECOND, run_s=60)
    ended_job(ortho, JobStatus.FAILED, midnight(yesterday) + 7200 * SECOND)
    ended_job(cloud, JobStatus.COMPLETED, midnight(yesterday) + 3600 * SECOND, run_s=120)
    ended_job(cloud, JobStatus.FAILED, midnight(yesterday) + SECOND, error=factories.error('node-lost'))
    ended_job(ortho, JobStatus.COMPLETED, midnight(today - 3 * DAY) + SECOND, run_s=30)
    ended_job(cloud, JobStatus.COMPLETED, midnight(today) + SECOND)
    compute_job_type_metrics(days=5)
    return {'ortho': ortho, 'cloud': cloud, 'today': today, 'yesterday': yesterday}


def test_dashboard_completed_vs_failed_query(client, history):
    yesterday, today = history['yesterday'], history['today']
    # The exact query of the dashboard's "All" tab for a one-day range (yesterday, 00Z to 00Z).
    query = (
        f'choice_id=&column=completed_count&column=failed_count&dataType=job-types&started={iso(yesterday)}'
        f'&ended={iso(today)}&group=overview&page=1&page_size=null'
    )

    data = body(client.get(f'{PLOT}?{query}'))

    # The columns asked for and those of the overview group, in their declared order.
    assert [result['column']['name'] for result in data['results']] == [
        'completed_count',
        'failed_count',
        'canceled_count',
        'total_count',
    ]
    by_name = {result['column']['name']: result for result in data['results']}
    completed = by_name['completed_count']
    assert set(completed) == {'column', 'min_x', 'max_x', 'min_y', 'max_y', 'values'}
    assert set(completed['column']) == COLUMN_KEYS and completed['column']['title'] == 'Completed Count'
    # Every job type combined, one value for the one day (today's jobs are outside the range).
    assert completed['values'] == [{'datetime': f'{yesterday}T00:00:00Z', 'value': 4}]
    assert by_name['failed_count']['values'] == [{'datetime': f'{yesterday}T00:00:00Z', 'value': 2}]
    assert by_name['canceled_count']['values'] == [{'datetime': f'{yesterday}T00:00:00Z', 'value': 0}]
    assert (completed['min_x'], completed['max_x'], completed['min_y'], completed['max_y']) == (
        f'{yesterday}T00:00:00Z',
        f'{yesterday}T00:00:00Z',
        4,
        4,
    )


def test_dashboard_favourite_tab_query(client, history):
    ortho = history['ortho']
    query = (
        f'choice_id={ortho.id}&column=completed_count&column=failed_count&dataType=job-types'
        f'&started={iso(history["today"] - 7 * DAY)}&ended={iso(history["today"])}&group=overview&page=1'
        '&page_size=null'
    )

    completed = series(client.get(f'{PLOT}?{query}'))['completed_count']

    assert completed['values'] == [
        {'datetime': f'{history["today"] - 3 * DAY}T00:00:00Z', 'value': 1, 'id': ortho.id},
        {'datetime': f'{history["yesterday"]}T00:00:00Z', 'value': 3, 'id': ortho.id},
    ]


def test_job_type_history_query(client, history):
    ortho, cloud, today = history['ortho'], history['cloud'], history['today']
    # The Job Type History page: 30 days ago to tomorrow, every job type, group=null.
    query = (
        f'page=1&page_size=null&started={iso(today - 30 * DAY)}&ended={iso(today + DAY)}'
        f'&choice_id={ortho.id}&choice_id={cloud.id}&column=error_system_count'
        '&column=error_algorithm_count&column=error_data_count&column=total_count&group=null&dataType=job-types'
    )

    data = series(client.get(f'{PLOT}?{query}'))

    assert list(data) == ['total_count', 'error_system_count', 'error_data_count', 'error_algorithm_count']
    day = lambda delta: f'{today - delta * DAY}T00:00:00Z'  # noqa: E731
    assert data['total_count']['values'] == [
        {'datetime': day(3), 'value': 1, 'id': ortho.id},
        {'datetime': day(1), 'value': 4, 'id': ortho.id},
        {'datetime': day(1), 'value': 2, 'id': cloud.id},
        {'datetime': day(0), 'value': 1, 'id': cloud.id},
    ]
    assert data['error_system_count']['values'][2] == {'datetime': day(1), 'value': 1, 'id': cloud.id}
    assert (data['total_count']['min_y'], data['total_count']['max_y']) == (1, 4)
    assert (data['total_count']['min_x'], data['total_count']['max_x']) == (day(3), day(0))


def test_days_overlapping_the_range_are_plotted(client, history):
    today, yesterday = history['today'], history['yesterday']
    # The dashboard's live range: now minus 24 hours to now, real milliseconds.
    now = timezone.now()
    started = (now - DAY).isoformat(timespec='milliseconds').replace('+00:00', 'Z')
    ended = now.isoformat(timespec='milliseconds').replace('+00:00', 'Z')
    values = series(client.get(PLOT, {'column': 'total_count', 'started': started, 'ended': ended}))
    assert [point['datetime'] for point in values['total_count']['values']] == [
        f'{yesterday}T00:00:00Z',
        f'{today}T00:00:00Z',
    ]
    # No bounds: every day.
    assert len(series(client.get(PLOT, {'column': 'total_count'}))['total_count']['values']) == 3


def test_combined_values_follow_each_columns_aggregate(client, history):
    query = f'started={iso(history["yesterday"])}&ended={iso(history["today"])}&group=run_time'

    data = series(client.get(f'{PLOT}?{query}'))

    assert list(data) == ['run_time_sum', 'run_time_min', 'run_time_max', 'run_time_avg']
    value = {name: result['values'][0]['value'] for name, result in data.items()}
    # Yesterday: ortho's three completed jobs ran 60 s each, cloud's one 120 s.
    assert value == {'run_time_sum': 300, 'run_time_min': 60, 'run_time_max': 120, 'run_time_avg': 75}


def test_without_column_or_group_every_column_is_plotted(client, history):
    data = body(client.get(f'{PLOT}?group=null&page_size=1000'))

    assert [result['column']['name'] for result in data['results']] == [column.name for column in COLUMNS]
    assert data['count'] == len(COLUMNS)
    assert body(client.get(PLOT))['count'] == len(COLUMNS)  # 100 a page by default
    paged = body(client.get(f'{PLOT}?page=2&page_size=3'))
    assert [result['column']['name'] for result in paged['results']] == [
        column.name for column in COLUMNS[3:6]
    ]


def test_plot_data_reads_only_the_daily_rows(client, history, django_assert_max_num_queries):
    query = f'choice_id={history["ortho"].id}&choice_id={history["cloud"].id}&column=total_count'
    client.get(f'{PLOT}?{query}')
    with CaptureQueriesContext(connection) as captured:
        body(client.get(f'{PLOT}?{query}'))
        body(client.get(f'{PLOT}?group=overview'))
    plot_queries = [q['sql'] for q in captured if 'job_type_daily_metrics' in q['sql']]
    assert len(plot_queries) == 2
    assert not any('FROM "job"' in q['sql'] or 'JOIN "job"' in q['sql'] for q in captured)
    with django_assert_max_num_queries(len(captured) // 2):
        body(client.get(f'{PLOT}?{query}&choice_id=999999'))


@pytest.mark.parametrize(
    ('query', 'name', 'message'),
    [
        ('column=completed_count&column=bogus', 'column', 'completed_count, failed_count'),
        ('group=bogus', 'group', 'overview'),
        ('choice_id=abc', 'choice_id', 'integer'),
        ('started=2024-05-02T00:00:00.000Z&ended=2024-05-01T00:00:00.000Z', 'started', 'before'),
        ('ended=tomorrow', 'ended', 'ISO-8601'),
        ('page_size=5000', 'page_size', '1000'),
    ],
)
def test_bad_plot_parameters_are_400_naming_them(client, query, name, message):
    response = client.get(f'{PLOT}?{query}')

    assert response.status_code == 400
    assert list(response.json()['errors']) == [name]
    assert f'"{name}"' in response.json()['detail'] and message in response.json()['detail']


def test_unknown_choices_and_empty_ranges_give_empty_series(client, history):
    data = series(client.get(f'{PLOT}?choice_id=999999&column=total_count'))
    assert data['total_count'] == {
        'column': data['total_count']['column'],
        'min_x': None,
        'max_x': None,
        'min_y': None,
        'max_y': None,
        'values': [],
    }
    same_day = iso(history['today']).replace('00:00:00.000Z', '10:00:00.000Z')
    later = same_day.replace('10:00', '11:00')
    assert series(client.get(f'{PLOT}?started={same_day}&ended={later}&column=total_count'))['total_count'][
        'values'
    ] == [{'datetime': f'{history["today"]}T00:00:00Z', 'value': 1}]


def test_metrics_need_a_user(anon_client):
    for path in ('/v6/metrics/', '/v6/metrics/job-types/', PLOT):
        assert anon_client.get(path).status_code == 401


def test_the_openapi_schema_documents_the_metrics(client):
    schema = client.get('/v6/schema/', {'format': 'json'}).json()
    validate(schema)
    parameters = {p['name'] for p in schema['paths'][PLOT]['get']['parameters'] if p['in'] == 'query'}
    assert parameters == set(PlotDataFilterSet.base_filters)
    assert {'/v6/metrics/', '/v6/metrics/job-types/'} <= set(schema['paths'])
