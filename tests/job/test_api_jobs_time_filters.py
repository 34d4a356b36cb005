"""GET /v6/jobs/ through HTTP: `started`/`ended` (bounds of last_modified, inclusive; any offset,
milliseconds, a `+` sent unencoded; durations meaning now minus them) and
`source_started`/`source_ended`.
"""

import datetime
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from job.models import Job
from tests import factories
from tests.factories import dt, set_fields

URL = '/v6/jobs/'


def get(client, query=''):
    """GET /v6/jobs/ with `query`: a raw query string, or a list of (name, value) pairs."""
    if not isinstance(query, str):
        query = urlencode(query)
    return client.get(f'{URL}?{query}' if query else URL)


def ids(response):
    return [item['id'] for item in response.json()['results']]


def job_at(last_modified, *args, **fields):
    """A factories.job whose last_modified is then set to `last_modified` (an update bypassing
    auto_now, as factories.set_fields does, without reloading the row)."""
    job = factories.job(*args, **fields)
    Job.objects.filter(pk=job.pk).update(last_modified=last_modified)
    job.last_modified = last_modified
    return job


@pytest.fixture
def timed(db):
    """Four jobs last modified at fixed times of 2015-01-01/02 (UTC)."""
    return {
        name: job_at(dt(when))
        for name, when in (
            ('a', '2015-01-01T00:00:00Z'),
            ('b', '2015-01-01T05:00:00Z'),
            ('c', '2015-01-01T10:00:00Z'),
            ('d', '2015-01-02T00:00:00Z'),
        )
    }


@pytest.mark.parametrize(
    ('query', 'expected'),
    [
        ('started=2015-01-01T05:00:00Z', 'bcd'),
        ('ended=2015-01-01T05:00:00Z', 'ab'),
        ('started=2015-01-01T05:00:00Z&ended=2015-01-01T10:00:00Z', 'bc'),
        ('started=2015-01-01T05:00:00.000Z&ended=2015-01-01T10:00:00.000Z', 'bc'),
        ('started=2015-01-01T05:00:00.001Z', 'cd'),
        ('ended=2015-01-01T04:59:59.999Z', 'a'),
        ('ended=2015-01-01T05:00:00.999Z', 'ab'),
        ('started=2015-01-01T00:00:00-05:00', 'bcd'),
        ('started=2015-01-01T00:00:00.000-05:00&ended=2015-01-01T05:00:00-05:00', 'bc'),
        ('started=2015-01-01T10:30:00%2B05:30', 'bcd'),
        ('started=2015-01-01T10:30:00+05:30', 'bcd'),
        ('started=2015-01-01T10:30:00.000+05:30&ended=2015-01-01T15:30:00+05:30', 'bc'),
        ('started=2015-01-01T05:00:00', 'bcd'),
        ('started=2015-01-01t05:00:00z', 'bcd'),
        ('started=2015-01-01T05:00:00%2B00:00', 'bcd'),
        ('started=2014-12-31T00:00:00Z&ended=2015-01-03T00:00:00Z', 'abcd'),
        ('started=2015-01-03T00:00:00Z', ''),
        ('ended=2014-12-31T23:59:59Z', ''),
    ],
)
def test_started_ended_bound_last_modified_inclusively(client, timed, query, expected):
    response = get(client, query)
    assert response.status_code == 200, response.content
    assert ids(response) == [timed[name].id for name in expected]
    assert response.json()['count'] == len(expected)


def test_started_ended_do_not_look_at_the_job_times(client, timed):
    """`started`/`ended` are last_modified, not the job's own started/ended/created times."""
    job = factories.job(
        status='COMPLETED', started=dt('2015-01-01T06:00:00Z'), ended=dt('2015-01-01T07:00:00Z')
    )
    set_fields(job, created=dt('2015-01-01T06:00:00Z'), last_modified=dt('2016-01-01T00:00:00Z'))
    response = get(client, 'started=2015-01-01T05:30:00Z&ended=2015-01-01T08:00:00Z')
    assert ids(response) == []
    assert get(client, 'started=2015-12-31T00:00:00Z').json()['count'] == 1


@pytest.fixture
def aged(db):
    """Jobs last modified at times before now, far enough from every duration tested."""
    now = timezone.now()
    ages = {
        '2h': datetime.timedelta(hours=2),
        '4h': datetime.timedelta(hours=4),
        '20h': datetime.timedelta(hours=20),
        '28h': datetime.timedelta(hours=28),
        '13d': datetime.timedelta(days=13),
        '15d': datetime.timedelta(days=15),
        '400d': datetime.timedelta(days=400),
        '460d': datetime.timedelta(days=460),
    }
    return {name: job_at(now - age) for name, age in ages.items()}


@pytest.mark.parametrize(
    ('query', 'expected'),
    [
        ('started=PT3H0M0S', ['2h']),
        ('started=PT3H', ['2h']),
        ('started=PT2.5H', ['2h']),
        ('started=P1D', ['2h', '4h', '20h']),
        ('started=P2W', ['2h', '4h', '20h', '28h', '13d']),
        ('started=P1M', ['2h', '4h', '20h', '28h', '13d', '15d']),
        ('started=P1Y2M3DT4H', ['2h', '4h', '20h', '28h', '13d', '15d', '400d']),
        ('ended=P1D', ['28h', '13d', '15d', '400d', '460d']),
        ('ended=PT3H0M0S', ['4h', '20h', '28h', '13d', '15d', '400d', '460d']),
        ('started=P2W&ended=P1D', ['28h', '13d']),
        ('started=P1Y2M3DT4H&ended=P2W', ['15d', '400d']),
        # Lower-case designators, as RFC 3339 allows.
        ('started=p1d', ['2h', '4h', '20h']),
        ('started=pt3h', ['2h']),
    ],
)
def test_started_ended_durations_mean_now_minus(client, aged, query, expected):
    response = get(client, query)
    assert response.status_code == 200, response.content
    assert sorted(ids(response)) == sorted(aged[name].id for name in expected)
    assert response.json()['count'] == len(expected)


@pytest.fixture
def sourced(db):
    """Jobs with source collection windows on consecutive days, and one without any."""
    return {
        's1': factories.job(
            source_started=dt('2015-01-01T00:00:00Z'), source_ended=dt('2015-01-02T00:00:00Z')
        ),
        's2': factories.job(
            source_started=dt('2015-01-03T00:00:00Z'), source_ended=dt('2015-01-04T00:00:00Z')
        ),
        's3': factories.job(
            source_started=dt('2015-01-05T00:00:00Z'), source_ended=dt('2015-01-06T00:00:00Z')
        ),
        'none': factories.job(),
    }


@pytest.mark.parametrize(
    ('query', 'expected'),
    [
        ('source_started=2015-01-03T00:00:00Z', ['s2', 's3']),
        ('source_started=2015-01-03T00:00:00.001Z', ['s3']),
        ('source_ended=2015-01-04T00:00:00Z', ['s1', 's2']),
        ('source_ended=2015-01-03T23:59:59.999Z', ['s1']),
        ('source_started=2015-01-03T00:00:00Z&source_ended=2015-01-04T00:00:00Z', ['s2']),
        ('source_started=2015-01-02T19:00:00-05:00&source_ended=2015-01-04T05:30:00%2B05:30', ['s2']),
        ('source_started=2015-01-02T00:00:00.000Z&source_ended=2015-01-07T00:00:00.000Z', ['s2', 's3']),
        ('source_started=P1D', []),
        ('source_ended=P1D', ['s1', 's2', 's3']),
    ],
)
def test_source_started_ended(client, sourced, query, expected):
    response = get(client, query)
    assert response.status_code == 200, response.content
    assert sorted(ids(response)) == sorted(sourced[name].id for name in expected)
    assert response.json()['count'] == len(expected)


def test_source_range_and_last_modified_range_combine(client, sourced):
    set_fields(sourced['s2'], last_modified=dt('2020-01-01T00:00:00Z'))
    set_fields(sourced['s3'], last_modified=dt('2021-01-01T00:00:00Z'))
    response = get(client, 'source_started=2015-01-03T00:00:00Z&ended=2020-06-01T00:00:00Z')
    assert ids(response) == [sourced['s2'].id]
    assert response.json()['count'] == 1
