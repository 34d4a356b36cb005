"""GET /v6/job-types/status/, /v6/job-types/running/, /v6/job-types/pending/, /v6/queue/status/ and
/v6/ingests/status/: the shapes and queries of the Scale web UI (shared/reference/scale-ui-client.md
3.3, 3.4, 4.1, 6 and checklist items 18-20), the default window, the counts, paging and a constant
number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openapi_spec_validator import validate

from job.choices import ErrorCategory, JobStatus
from job.filters.job_type_status import (
    IngestStatusFilterSet,
    JobTypeAggregateFilterSet,
    JobTypeStatusFilterSet,
)
from job.models import Error
from tests import factories
from tests.factories import set_fields
from tests.job.test_api_job_types_lists import LIST_KEYS

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
COUNT_KEYS = {'status', 'count', 'most_recent', 'category'}
# The dashboard's exact query (scale-ui-client.md 3.3).
DASHBOARD = '/v6/job-types/status/?page=1&page_size=1000&is_active=true'


def ago(delta):
    return timezone.now() - delta


def job_at(job_type, status, modified, **fields):
    """A job in `status` whose last_modified (and last status change) is `modified`."""
    job = factories.job(job_type, status, **fields)
    return set_fields(job, last_modified=modified, last_status_change=modified)


def body(response):
    assert response.status_code == 200, response.content
    return response.json()


def counts_of(response, job_type):
    row = next(row for row in body(response)['results'] if row['job_type']['id'] == job_type.id)
    return {(item['status'], item['category']): item['count'] for item in row['job_counts']}


def data_error(job_type):
    return Error.objects.create(
        name='bad-input', job_type_name=job_type.name, title='Bad input', category=ErrorCategory.DATA
    )


# --- /v6/job-types/status/ -----------------------------------------------------------------------------


def test_status_has_scales_shape_with_every_job_type(client):
    busy = set_fields(factories.job_type('busy'), title='Busy')
    idle = factories.job_type('idle')
    job_at(busy, JobStatus.COMPLETED, ago(HOUR))

    data = body(client.get(DASHBOARD))

    assert set(data) == {'count', 'next', 'previous', 'results'}
    assert data['count'] == 2
    assert [row['job_type']['name'] for row in data['results']] == ['busy', 'idle']
    for row in data['results']:
        assert set(row) == {'job_type', 'job_counts'}
        assert set(row['job_type']) == LIST_KEYS
    busy_row, idle_row = data['results']
    assert busy_row['job_type']['id'] == busy.id and busy_row['job_type']['title'] == 'Busy'
    assert [set(item) for item in busy_row['job_counts']] == [COUNT_KEYS]
    assert busy_row['job_counts'][0]['status'] == 'COMPLETED' and busy_row['job_counts'][0]['count'] == 1
    assert idle_row['job_type']['id'] == idle.id and idle_row['job_counts'] == []


def test_status_counts_the_last_three_hours_by_default_and_running_jobs_always(client):
    job_type = factories.job_type()
    job_at(job_type, JobStatus.COMPLETED, ago(HOUR))
    job_at(job_type, JobStatus.COMPLETED, ago(2 * HOUR))
    job_at(job_type, JobStatus.COMPLETED, ago(4 * HOUR))  # outside the default window
    job_at(job_type, JobStatus.QUEUED, ago(5 * HOUR))
    job_at(job_type, JobStatus.RUNNING, ago(10 * 24 * HOUR))  # running for ten days: still counted
    job_at(job_type, JobStatus.RUNNING, ago(HOUR))

    assert counts_of(client.get(DASHBOARD), job_type) == {('COMPLETED', None): 2, ('RUNNING', None): 2}


def test_status_splits_failed_jobs_by_error_category(client):
    job_type = factories.job_type()
    for _ in range(3):
        job_at(job_type, JobStatus.FAILED, ago(HOUR), error=factories.error('algorithm-unknown'))
    job_at(job_type, JobStatus.FAILED, ago(HOUR), error=factories.error('node-lost'))
    job_at(job_type, JobStatus.FAILED, ago(HOUR), error=data_error(job_type))
    job_at(job_type, JobStatus.COMPLETED, ago(HOUR))

    response = client.get(DASHBOARD)

    assert counts_of(response, job_type) == {
        ('FAILED', 'ALGORITHM'): 3,
        ('FAILED', 'SYSTEM'): 1,
        ('FAILED', 'DATA'): 1,
        ('COMPLETED', None): 1,
    }
    # The UI sums every FAILED entry against the COMPLETED ones; entries come in status order.
    statuses = [item['status'] for item in body(response)['results'][0]['job_counts']]
    assert statuses == ['FAILED', 'FAILED', 'FAILED', 'COMPLETED']


def test_status_running_entry_comes_first_for_the_tiles_badge(client):
    job_type = factories.job_type()
    job_at(job_type, JobStatus.COMPLETED, ago(HOUR))
    job_at(job_type, JobStatus.RUNNING, ago(HOUR))
    job_at(job_type, JobStatus.QUEUED, ago(HOUR))

    counts = body(client.get(DASHBOARD))['results'][0]['job_counts']

    assert [item['status'] for item in counts] == ['QUEUED', 'RUNNING', 'COMPLETED']
    assert next(item for item in counts if item['status'] == 'RUNNING')['count'] == 1


def test_status_started_and_ended_bound_last_modified_with_milliseconds(client):
    job_type = factories.job_type()
    job_at(job_type, JobStatus.COMPLETED, factories.dt('2024-05-01T12:00:00.500Z'))
    job_at(job_type, JobStatus.COMPLETED, factories.dt('2024-05-01T13:00:00Z'))
    job_at(job_type, JobStatus.CANCELED, factories.dt('2024-05-02T00:00:00Z'))
    job_at(job_type, JobStatus.RUNNING, factories.dt('2020-01-01T00:00:00Z'))

    response = client.get(
        '/v6/job-types/status/?started=2024-05-01T12:00:00.500Z&ended=2024-05-01T23:59:59.999Z&page=1'
    )

    assert counts_of(response, job_type) == {('COMPLETED', None): 2, ('RUNNING', None): 1}
    # Only one end: the other is open (no default window then).
    response = client.get('/v6/job-types/status/?ended=2024-05-01T12:30:00.000Z')
    assert counts_of(response, job_type) == {('COMPLETED', None): 1, ('RUNNING', None): 1}
    response = client.get('/v6/job-types/status/?started=2024-05-01T12:30:00.000Z')
    assert counts_of(response, job_type) == {
        ('COMPLETED', None): 1,
        ('CANCELED', None): 1,
        ('RUNNING', None): 1,
    }


def test_status_accepts_durations(client):
    job_type = factories.job_type()
    job_at(job_type, JobStatus.COMPLETED, ago(20 * HOUR))
    job_at(job_type, JobStatus.COMPLETED, ago(30 * HOUR))

    assert counts_of(client.get('/v6/job-types/status/?started=P1D'), job_type) == {('COMPLETED', None): 1}
    assert counts_of(client.get('/v6/job-types/status/?started=PT48H0M0S'), job_type) == {
        ('COMPLETED', None): 2
    }


def test_status_filters_job_types(client):
    active = factories.job_type('active')
    factories.job_type('deprecated', is_active=False)
    factories.job_type('scale-clock', is_system=True)

    def names(query):
        response = client.get(f'/v6/job-types/status/?{query}')
        return [row['job_type']['name'] for row in body(response)['results']]

    assert names('is_active=true') == ['active', 'scale-clock']
    assert names('is_active=false') == ['deprecated']
    assert names('is_system=true') == ['scale-clock']
    assert names('is_system=false&is_active=true') == [active.name]
    assert names('') == ['active', 'deprecated', 'scale-clock']


def test_status_every_active_type_fits_one_page_of_1000(client):
    for index in range(120):
        factories.job_type(f'type-{index:03d}')

    data = body(client.get(DASHBOARD))
    assert data['count'] == 120 and len(data['results']) == 120 and data['next'] is None

    default = body(client.get('/v6/job-types/status/?page_size=null'))
    assert default['count'] == 120 and len(default['results']) == 100 and default['next'] is not None
    second = body(client.get('/v6/job-types/status/?page=2&page_size=50'))
    assert [row['job_type']['name'] for row in second['results']] == [f'type-{i:03d}' for i in range(50, 100)]


@pytest.mark.parametrize(
    ('query', 'name'),
    [
        ('is_active=maybe', 'is_active'),
        ('is_system=2', 'is_system'),
        ('started=yesterday', 'started'),
        ('ended=2024-13-01T00:00:00Z', 'ended'),
        ('started=2024-05-02T00:00:00.000Z&ended=2024-05-01T00:00:00.000Z', 'started'),
        ('page_size=1001', 'page_size'),
        ('page_size=0', 'page_size'),
        ('page=0', 'page'),
    ],
)
def test_status_bad_parameters_are_400_naming_them(client, query, name):
    response = client.get(f'/v6/job-types/status/?{query}')

    assert response.status_code == 400, response.content
    assert list(response.json()['errors']) == [name]
    assert f'"{name}"' in response.json()['detail']


def test_status_ignores_unknown_parameters_and_empty_segments(client):
    factories.job_type()

    response = client.get('/v6/job-types/status/?page=1&&page_size=1000&is_active=true&sortField=x&')

    assert body(response)['count'] == 1


def test_status_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    def fill(count):
        for _ in range(count):
            job_type = factories.job_type()
            job_at(job_type, JobStatus.RUNNING, ago(HOUR))
            job_at(job_type, JobStatus.FAILED, ago(HOUR))

    fill(2)
    client.get(DASHBOARD)  # the token is looked up the same way each time
    with CaptureQueriesContext(connection) as few:
        body(client.get(DASHBOARD))
    fill(30)
    with django_assert_max_num_queries(len(few)):
        assert body(client.get(DASHBOARD))['count'] == 32
    assert len(few) <= 5  # auth, count, page of job types, one aggregate


# --- /v6/job-types/running/ and /v6/job-types/pending/ -----------------------------------------------


def test_running_counts_running_jobs_by_job_type_longest_first(client):
    early, late, idle = factories.job_type('early'), factories.job_type('late'), factories.job_type('idle')
    first_start = factories.dt('2024-05-01T10:00:00Z')
    job_at(early, JobStatus.RUNNING, first_start)
    job_at(early, JobStatus.RUNNING, factories.dt('2024-05-01T12:00:00Z'))
    job_at(late, JobStatus.RUNNING, factories.dt('2024-05-01T11:00:00Z'))
    job_at(idle, JobStatus.COMPLETED, ago(HOUR))
    job_at(late, JobStatus.QUEUED, ago(HOUR))

    data = body(client.get('/v6/job-types/running/?page=1&page_size=20'))

    assert data['count'] == 2
    assert [set(row) for row in data['results']] == [{'job_type', 'count', 'longest_running'}] * 2
    assert [(row['job_type']['name'], row['count']) for row in data['results']] == [('early', 2), ('late', 1)]
    assert data['results'][0]['longest_running'] == '2024-05-01T10:00:00Z'
    assert set(data['results'][0]['job_type']) == LIST_KEYS


def test_running_pages_as_the_running_jobs_page_polls_it(client):
    for index in range(5):
        job_at(factories.job_type(f'type-{index}'), JobStatus.RUNNING, ago((10 - index) * HOUR))

    second = body(client.get('/v6/job-types/running/?page=2&page_size=2'))
    assert second['count'] == 5
    assert [row['job_type']['name'] for row in second['results']] == ['type-2', 'type-3']
    # The literal null (rows unset) and an absent page_size both mean the default page.
    for query in ('page=1&page_size=null', 'page_size=', ''):
        assert len(body(client.get(f'/v6/job-types/running?{query}'))['results']) == 5
    assert client.get('/v6/job-types/running/?page=4&page_size=2').json() == {'detail': 'Invalid page.'}
    assert client.get('/v6/job-types/running/?page_size=x').status_code == 400


def test_pending_counts_pending_jobs_by_job_type(client):
    job_type = factories.job_type('waiting')
    job_at(job_type, JobStatus.PENDING, factories.dt('2024-05-01T10:00:00Z'))
    job_at(job_type, JobStatus.PENDING, factories.dt('2024-05-03T10:00:00Z'))
    job_at(factories.job_type(), JobStatus.BLOCKED, ago(HOUR))

    data = body(client.get('/v6/job-types/pending/'))

    assert data['count'] == 1
    assert data['results'] == [
        {
            'job_type': data['results'][0]['job_type'],
            'count': 2,
            'longest_pending': '2024-05-01T10:00:00Z',
        }
    ]
    assert data['results'][0]['job_type']['name'] == 'waiting'


@pytest.mark.parametrize('path', ['/v6/job-types/running/', '/v6/job-types/pending/', '/v6/queue/status/'])
def test_grouped_lists_run_a_constant_number_of_queries(client, path, django_assert_max_num_queries):
    status = {'running': JobStatus.RUNNING, 'pending': JobStatus.PENDING}.get(
        path.split('/')[3], JobStatus.QUEUED
    )

    def fill(count):
        for _ in range(count):
            job_type = factories.job_type()
            job_at(job_type, status, ago(HOUR))
            job_at(job_type, status, ago(2 * HOUR))

    fill(1)
    client.get(path)
    with CaptureQueriesContext(connection) as few:
        assert body(client.get(path))['count'] == 1
    fill(25)
    with django_assert_max_num_queries(len(few)):
        assert body(client.get(f'{path}?page_size=1000'))['count'] == 26
    assert len(few) <= 4  # auth, the groups, their job types


# --- /v6/queue/status/ --------------------------------------------------------------------------------


def test_queue_status_shape_and_order(client):
    urgent = factories.job_type('urgent', unmet_resources='gpus')
    relaxed = factories.job_type('relaxed')
    paused = factories.job_type('paused', is_paused=True)
    job_at(urgent, JobStatus.QUEUED, ago(HOUR), priority=5, queued=factories.dt('2024-05-01T10:00:00Z'))
    job_at(urgent, JobStatus.QUEUED, ago(HOUR), priority=50, queued=factories.dt('2024-05-01T09:00:00Z'))
    job_at(relaxed, JobStatus.QUEUED, ago(HOUR), priority=100, queued=factories.dt('2024-04-01T00:00:00Z'))
    job_at(paused, JobStatus.QUEUED, ago(HOUR), priority=1)
    job_at(relaxed, JobStatus.RUNNING, ago(HOUR))

    data = body(client.get('/v6/queue/status/'))

    assert data['count'] == 3
    assert [set(row) for row in data['results']] == [
        {'job_type', 'count', 'longest_queued', 'highest_priority'}
    ] * 3
    # Not paused first, then the highest priority (smallest number), then the longest queued.
    assert [row['job_type']['name'] for row in data['results']] == ['urgent', 'relaxed', 'paused']
    first = data['results'][0]
    assert (first['count'], first['highest_priority'], first['longest_queued']) == (
        2,
        5,
        '2024-05-01T09:00:00Z',
    )
    assert first['job_type']['unmet_resources'] == 'gpus'
    assert {'name', 'version', 'title', 'icon_code', 'unmet_resources'} <= set(first['job_type'])


def test_queue_status_without_a_query_gives_the_default_page(client):
    for index in range(101):
        job_at(factories.job_type(f'type-{index:03d}'), JobStatus.QUEUED, ago(HOUR), priority=index + 1)

    data = body(client.get('/v6/queue/status/'))

    assert data['count'] == 101 and len(data['results']) == 100
    assert body(client.get('/v6/queue/status/?page=2'))['results'][0]['job_type']['name'] == 'type-100'


# --- /v6/ingests/status/ ------------------------------------------------------------------------------


def test_ingest_status_is_an_empty_page_for_the_data_feed(client):
    query = 'started=2024-04-30T13:45:12.123Z&ended=2024-05-01T13:45:12.123Z'
    for url in (f'/v6/ingests/status/?{query}&use_ingest_time=true', f'/v6/ingests/status?{query}'):
        assert body(client.get(url)) == {'count': 0, 'next': None, 'previous': None, 'results': []}
    assert list(client.get('/v6/ingests/status/?started=nope').json()['errors']) == ['started']


# --- Shared -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'path',
    ['/v6/job-types/status/', '/v6/job-types/running/', '/v6/job-types/pending/', '/v6/queue/status/'],
)
def test_reads_need_a_user(anon_client, path):
    assert anon_client.get(path).status_code == 401


def test_status_routes_come_before_job_type_names(client):
    # A job type named like a fixed path cannot take its URL (Scale routed them the same way).
    factories.job_type('running')

    assert set(body(client.get('/v6/job-types/running/'))) == {'count', 'next', 'previous', 'results'}
    assert body(client.get('/v6/job-types/running/1.0.0/'))['name'] == 'running'


def test_the_openapi_schema_documents_the_endpoints(client):
    schema = client.get('/v6/schema/', {'format': 'json'}).json()
    validate(schema)
    paths = schema['paths']
    filtersets = {
        '/v6/job-types/status/': JobTypeStatusFilterSet,
        '/v6/job-types/running/': JobTypeAggregateFilterSet,
        '/v6/job-types/pending/': JobTypeAggregateFilterSet,
        '/v6/queue/status/': JobTypeAggregateFilterSet,
        '/v6/ingests/status/': IngestStatusFilterSet,
    }
    for path, filterset in filtersets.items():
        parameters = {p['name'] for p in paths[path]['get']['parameters'] if p['in'] == 'query'}
        assert parameters == set(filterset.base_filters), path
