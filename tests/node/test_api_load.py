"""GET /v6/load/ and the job load the scheduler records each minute (node.load)."""

import datetime
import itertools

import pytest
from django.utils import timezone

from job.choices import JobStatus
from node import load, scheduler
from node.models import JobLoad
from tests import factories
from tests.concurrency import needs_concurrent_writers, run_together

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def minute(text):
    return factories.dt(text)


def iso(value):
    return value.astimezone(UTC).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def point(time, pending, queued, running, job_type=None):
    return JobLoad.objects.create(
        time=time, job_type=job_type, pending_count=pending, queued_count=queued, running_count=running
    )


def counts(body):
    return [
        (row['time'], row['pending_count'], row['queued_count'], row['running_count'])
        for row in body['results']
    ]


# -- recording --------------------------------------------------------------------------------------


def test_a_scheduler_pass_records_the_minute_and_the_api_reads_it_back(client):
    algo, other = factories.job_type('algo'), factories.job_type('other-algo')
    factories.job(algo, JobStatus.PENDING)
    factories.job(algo, JobStatus.BLOCKED)
    for _ in range(3):
        factories.job(algo, JobStatus.QUEUED, resources={'cpus': 64.0})  # no node: they stay queued
    factories.job(other, JobStatus.QUEUED, resources={'cpus': 64.0})
    factories.job(other, JobStatus.RUNNING)
    factories.job(other, JobStatus.COMPLETED)
    factories.job(factories.job_type('idle-algo'), JobStatus.FAILED)
    now = timezone.now()

    result = scheduler.run_pass(now=now)

    assert result.load_recorded
    at = now.replace(second=0, microsecond=0)
    rows = {row.job_type_id: row for row in JobLoad.objects.all()}
    assert set(rows) == {None, algo.id, other.id}  # types with nothing waiting or running: no row
    assert all(row.time == at for row in rows.values())
    assert (rows[None].pending_count, rows[None].queued_count, rows[None].running_count) == (2, 4, 1)
    assert (rows[algo.id].pending_count, rows[algo.id].queued_count, rows[algo.id].running_count) == (2, 3, 0)
    assert (rows[other.id].pending_count, rows[other.id].queued_count, rows[other.id].running_count) == (
        0,
        1,
        1,
    )

    stamp = iso(at)
    body = client.get(f'/v6/load/?started={iso(at - datetime.timedelta(hours=1))}&ended={iso(now)}').json()
    assert body['count'] == 1 and body['next'] is None and body['previous'] is None
    assert body['results'] == [
        {'time': stamp.replace('.000Z', 'Z'), 'pending_count': 2, 'queued_count': 4, 'running_count': 1}
    ]
    body = client.get(f'/v6/load/?started={iso(at)}&job_type_id={other.id}').json()
    assert counts(body) == [(stamp.replace('.000Z', 'Z'), 0, 1, 1)]


def test_one_record_a_minute_whatever_the_number_of_passes():
    at = timezone.now().replace(second=0, microsecond=0)
    factories.job(status=JobStatus.PENDING)
    assert scheduler.run_pass(now=at + datetime.timedelta(seconds=1)).load_recorded
    assert not scheduler.run_pass(now=at + datetime.timedelta(seconds=30)).load_recorded
    assert not scheduler.run_pass(now=at + datetime.timedelta(seconds=59, microseconds=999999)).load_recorded
    assert JobLoad.objects.filter(job_type__isnull=True).count() == 1
    assert scheduler.run_pass(now=at + datetime.timedelta(minutes=1)).load_recorded
    assert list(
        JobLoad.objects.filter(job_type__isnull=True).values_list('time', flat=True).order_by('time')
    ) == [
        at,
        at + datetime.timedelta(minutes=1),
    ]
    # A clock behind the last record (another scheduler's) records nothing.
    assert not load.record_load(at - datetime.timedelta(minutes=5))


def test_an_idle_minute_is_recorded_as_zeros():
    assert load.record_load()
    row = JobLoad.objects.get()
    assert (row.job_type_id, row.pending_count, row.queued_count, row.running_count) == (None, 0, 0, 0)


def test_old_points_are_pruned(settings):
    settings.SCALE_LOAD_RETENTION_DAYS = 2
    now = timezone.now()
    point(now - datetime.timedelta(days=3), 1, 1, 1)
    point(now - datetime.timedelta(days=3), 1, 1, 1, job_type=factories.job_type())
    kept = point(now - datetime.timedelta(days=1), 1, 1, 1)
    assert load.record_load(now)
    assert set(JobLoad.objects.values_list('id', flat=True)) - {kept.id} == {
        JobLoad.objects.get(time=now.replace(second=0, microsecond=0)).id
    }


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_record_a_minute_once():
    needs_concurrent_writers()
    factories.job(status=JobStatus.QUEUED, resources={'cpus': 64.0})
    at = timezone.now().replace(second=0, microsecond=0)
    results = run_together(4, lambda index: load.record_load(at + datetime.timedelta(seconds=index)))
    assert sorted(results, key=str) == [False, False, False, True]
    assert JobLoad.objects.filter(job_type__isnull=True).count() == 1
    assert JobLoad.objects.filter(job_type__isnull=False).count() == 1


# -- reading ----------------------------------------------------------------------------------------


def test_points_are_ascending_and_bounded_by_started_and_ended(client):
    for minutes, queued in ((3, 30), (1, 10), (2, 20), (4, 40)):
        point(minute('2024-05-01T10:00:00Z') + datetime.timedelta(minutes=minutes), 0, queued, 0)

    body = client.get('/v6/load/?started=2024-05-01T10:01:00.000Z&ended=2024-05-01T10:03:00.000Z').json()

    assert counts(body) == [
        ('2024-05-01T10:01:00Z', 0, 10, 0),
        ('2024-05-01T10:02:00Z', 0, 20, 0),
        ('2024-05-01T10:03:00Z', 0, 30, 0),
    ]
    # Any offset, any milliseconds.
    body = client.get(
        '/v6/load/?started=2024-05-01T12:02:30.123%2B02:00&ended=2024-05-01T10:10:00.999Z'
    ).json()
    assert [row['queued_count'] for row in body['results']] == [30, 40]


def test_missing_ends_mean_the_retention_period_up_to_now(client, settings):
    settings.SCALE_LOAD_RETENTION_DAYS = 1
    now = timezone.now()
    point(now - datetime.timedelta(hours=30), 1, 1, 1)  # older than the retention: not shown
    point(now - datetime.timedelta(hours=2), 2, 2, 2)
    point(now + datetime.timedelta(hours=2), 3, 3, 3)  # after now
    assert [row['pending_count'] for row in client.get('/v6/load/').json()['results']] == [2]
    body = client.get(f'/v6/load/?started={iso(now - datetime.timedelta(hours=3))}').json()
    assert [row['pending_count'] for row in body['results']] == [2]
    body = client.get(f'/v6/load/?ended={iso(now + datetime.timedelta(hours=3))}').json()
    assert [row['pending_count'] for row in body['results']] == [2, 3]
    # A duration means now minus it.
    assert [row['pending_count'] for row in client.get('/v6/load/?started=PT3H').json()['results']] == [2]


def test_the_ui_query_of_the_last_day_fits_in_one_page_in_15_minute_points(client):
    now = timezone.now()
    start = (now - datetime.timedelta(hours=25)).replace(second=0, microsecond=0)
    JobLoad.objects.bulk_create(
        JobLoad(time=start + datetime.timedelta(minutes=index), queued_count=index % 15, running_count=2)
        for index in range(25 * 60 + 1)
    )
    query = f'started={iso(now - datetime.timedelta(days=1))}&ended={iso(now)}&'  # the UI's trailing &

    body = client.get(f'/v6/load/?{query}').json()

    assert 96 <= body['count'] <= 97 and len(body['results']) == body['count'] and body['next'] is None
    times = [factories.dt(row['time']) for row in body['results']]
    assert times == sorted(times)
    assert all(time.minute % 15 == 0 and time.second == 0 for time in times)
    assert all(b - a == datetime.timedelta(minutes=15) for a, b in itertools.pairwise(times))
    # A full bucket is the mean of its 15 minutes: 0..14 queued -> 7.
    assert {row['queued_count'] for row in body['results'][1:-1]} == {7}
    assert {row['running_count'] for row in body['results']} == {2}


def test_a_week_fits_in_the_default_page_in_2_hour_points(client):
    now = timezone.now()
    start = (now - datetime.timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    JobLoad.objects.bulk_create(
        JobLoad(time=start + datetime.timedelta(minutes=10 * index), pending_count=5)
        for index in range(7 * 24 * 6 + 6)
    )
    body = client.get(f'/v6/load/?started={iso(now - datetime.timedelta(days=7))}&ended={iso(now)}').json()
    assert 84 <= body['count'] <= 85 and len(body['results']) == body['count']
    times = [factories.dt(row['time']) for row in body['results']]
    assert all(time.hour % 2 == 0 and time.minute == 0 for time in times)
    assert {row['pending_count'] for row in body['results']} == {5}


def test_job_types_sum_and_missing_minutes_count_as_zero(client):
    algo, other, third = factories.job_type(), factories.job_type(), factories.job_type()
    at = minute('2024-05-01T10:00:00Z')
    for offset in range(4):
        point(at + datetime.timedelta(minutes=offset), 0, 100, 0)
    point(at, 0, 8, 0, job_type=algo)
    point(at + datetime.timedelta(minutes=1), 0, 8, 0, job_type=algo)  # none in the minutes after
    point(at, 0, 4, 2, job_type=other)
    point(at, 0, 50, 0, job_type=third)
    window = 'started=2024-05-01T10:00:00.000Z&ended=2024-05-01T10:03:00.000Z'

    body = client.get(f'/v6/load/?{window}&job_type_id={algo.id}&job_type_id={other.id}').json()

    assert counts(body) == [
        ('2024-05-01T10:00:00Z', 0, 12, 2),
        ('2024-05-01T10:01:00Z', 0, 8, 0),
        ('2024-05-01T10:02:00Z', 0, 0, 0),
        ('2024-05-01T10:03:00Z', 0, 0, 0),
    ]
    # Empty segments (the dashboard's "All" tab sends job_type_id with no value) mean all job types.
    for query in (f'{window}&job_type_id=', f'{window}&&job_type_id=&&', f'job_type_id=&{window}&'):
        assert [row['queued_count'] for row in client.get(f'/v6/load/?{query}').json()['results']] == [
            100
        ] * 4
    # An unknown job type has no load.
    body = client.get(f'/v6/load/?{window}&job_type_id=999999').json()
    assert [row['queued_count'] for row in body['results']] == [0] * 4


def test_minutes_without_a_scheduler_have_no_point(client):
    point(minute('2024-05-01T10:00:00Z'), 1, 1, 1)
    point(minute('2024-05-01T10:05:00Z'), 2, 2, 2)
    body = client.get('/v6/load/?started=2024-05-01T09:59:00Z&ended=2024-05-01T10:06:00Z').json()
    assert [row['time'] for row in body['results']] == ['2024-05-01T10:00:00Z', '2024-05-01T10:05:00Z']


def test_pages_of_the_usual_envelope(client):
    for index in range(5):
        point(minute('2024-05-01T10:00:00Z') + datetime.timedelta(minutes=index), index, 0, 0)
    window = 'started=2024-05-01T10:00:00Z&ended=2024-05-01T10:04:00Z'
    body = client.get(f'/v6/load/?{window}&page_size=2&page=2').json()
    assert body['count'] == 5 and [row['pending_count'] for row in body['results']] == [2, 3]
    assert 'page=3' in body['next'] and 'started=' in body['next']
    assert client.get(f'/v6/load/?{window}&page_size=null').json()['count'] == 5
    assert client.get(f'/v6/load/?{window}&page=9').status_code == 404


@pytest.mark.parametrize(
    ('query', 'parameter'),
    [
        ('started=yesterday', 'started'),
        ('ended=2024-13-01T00:00:00Z', 'ended'),
        ('started=2024-05-02T00:00:00Z&ended=2024-05-01T00:00:00Z', 'started'),
        ('job_type_id=abc', 'job_type_id'),
        ('job_type_id=1&job_type_id=-2', 'job_type_id'),
        ('page_size=0', 'page_size'),
        ('page=first', 'page'),
    ],
)
def test_bad_parameters_are_400_naming_them(client, query, parameter):
    response = client.get(f'/v6/load/?{query}')
    assert response.status_code == 400
    assert parameter in response.json()['errors']


def test_reads_need_a_user(anon_client):
    assert anon_client.get('/v6/load/').status_code == 401


def test_a_constant_number_of_queries(client, django_assert_max_num_queries):
    types = [factories.job_type() for _ in range(3)]
    at = minute('2024-05-01T10:00:00Z')
    for index in range(30):
        point(at + datetime.timedelta(minutes=index), 1, 1, 1)
        for job_type in types:
            point(at + datetime.timedelta(minutes=index), 1, 1, 1, job_type=job_type)
    ids = '&'.join(f'job_type_id={job_type.id}' for job_type in types)
    with django_assert_max_num_queries(3):  # token, totals, the job types' sums
        body = client.get(f'/v6/load/?started=2024-05-01T10:00:00Z&ended=2024-05-01T11:00:00Z&{ids}').json()
    assert body['count'] == 30 and body['results'][0]['queued_count'] == 3


def test_bucket_sizes():
    start = minute('2024-05-01T00:00:00Z')
    for span, expected in (
        (datetime.timedelta(minutes=99), 1),
        (datetime.timedelta(hours=3), 2),
        (datetime.timedelta(hours=24), 15),
        (datetime.timedelta(days=7), 120),
        (datetime.timedelta(days=30), 720),
        (datetime.timedelta(days=365), 4 * 1440),
    ):
        minutes = load.bucket_minutes(start, start + span)
        assert minutes == expected
        assert span.total_seconds() // (minutes * 60) + 1 <= load.MAX_POINTS
