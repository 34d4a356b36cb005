"""GET /v6/jobs/ through HTTP: every filter (repeated values OR, different parameters AND), with the
`count` checked against the ORM; empty values are ignored.

Time filters are in test_api_jobs_time_filters.py, bad parameters in test_api_jobs_bad_params.py,
the Scale web UI's queries in test_api_jobs_ui.py, the item shape and auth in
test_api_jobs_shape_auth.py, ordering, paging and the query count in test_api_jobs_order_paging.py.
"""

import datetime
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.db.models import Q

from job.choices import ErrorCategory, JobStatus
from job.filters.jobs import JobFilterSet
from job.models import Error, Job
from tests import factories
from tests.factories import dt

URL = '/v6/jobs/'
T = dt('2024-04-30T00:00:00Z')
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def get(client, query=''):
    """GET /v6/jobs/ with `query`: a raw query string, or a list of (name, value) pairs."""
    if not isinstance(query, str):
        query = urlencode(query)
    return client.get(f'{URL}?{query}' if query else URL)


def ids(response):
    return [item['id'] for item in response.json()['results']]


def orm_ids(q=None):
    """Ids of the jobs matching q, in the default order of the list (last_modified, id)."""
    return list(Job.objects.filter(q or Q()).order_by('last_modified', 'id').values_list('id', flat=True))


def custom_error(name, category, **fields):
    return Error.objects.create(
        name=name,
        job_type_name=fields.pop('job_type_name', 'tester'),
        category=category,
        title=fields.pop('title', name.replace('-', ' ').title()),
        description=fields.pop('description', f'{name} happened'),
        **fields,
    )


def job_at(last_modified, *args, **fields):
    """A factories.job whose last_modified is then set to `last_modified` (an update bypassing
    auto_now, as factories.set_fields does, without reloading the row)."""
    job = factories.job(*args, **fields)
    Job.objects.filter(pk=job.pk).update(last_modified=last_modified)
    job.last_modified = last_modified
    return job


# --------------------------------------------------------------------------------------------------
# The data set of the filter tests: 12 jobs over 4 job types (2 names x 2 versions), 3 errors of the
# 3 categories, 2 batches, 2 recipes, source metadata and superseded jobs.


@pytest.fixture
def data(db):
    a1 = factories.job_type('alpha', '1.0.0')
    a2 = factories.job_type('alpha', '2.0.0')
    b1 = factories.job_type('bravo', '1.0.0')
    b2 = factories.job_type('bravo', '2.0.0')
    algo = factories.error('algorithm-unknown')
    lost = factories.error('node-lost')
    bad = custom_error('bad-data', ErrorCategory.DATA, job_type_name='bravo')
    batch1, batch2 = factories.batch(), factories.batch()
    recipe1, recipe2 = factories.recipe(), factories.recipe()
    assert (algo.category, lost.category) == (ErrorCategory.ALGORITHM, ErrorCategory.SYSTEM)
    source_a = {'source_sensor_class': 'classa', 'source_sensor': 's1', 'source_task': 't1'}
    jobs = {
        'q1': job_at(T - 2 * DAY, a1, 'QUEUED', **source_a, source_collection='c1', batch=batch1),
        'r1': job_at(
            T + HOUR,
            a1,
            'RUNNING',
            source_sensor_class='classb',
            source_sensor='s2',
            source_collection='c2',
            source_task='t2',
            recipe=recipe1,
        ),
        'f1': job_at(
            T + 2 * HOUR, a2, 'FAILED', **source_a, source_collection='c2', batch=batch1, recipe=recipe1
        ),
        'f2': job_at(T + 3 * HOUR, a2, 'FAILED', error=lost, batch=batch2),
        'f3': job_at(
            T + 4 * HOUR, b1, 'FAILED', error=bad, recipe=recipe2, is_superseded=True, source_task='t3'
        ),
        'c1': job_at(T + 5 * HOUR, b1, 'CANCELED', is_superseded=True),
        'd1': job_at(T + 6 * HOUR, b2, 'COMPLETED', source_sensor_class='classc'),
        'p1': job_at(T + DAY + HOUR, b2, 'PENDING'),
        'k1': job_at(T + 2 * DAY, a1, 'BLOCKED'),
        'd2': job_at(T - 3 * DAY, a1, 'COMPLETED', is_superseded=True),
        'c2': job_at(T + 23 * HOUR, b2, 'CANCELED'),
        'r2': job_at(T + 12 * HOUR, a2, 'RUNNING', batch=batch2),
    }
    assert jobs['f1'].error == algo
    return SimpleNamespace(
        jobs=jobs,
        a1=a1,
        a2=a2,
        b1=b1,
        b2=b2,
        algo=algo,
        lost=lost,
        bad=bad,
        batch1=batch1,
        batch2=batch2,
        recipe1=recipe1,
        recipe2=recipe2,
    )


def names_to_ids(data, names):
    return sorted(data.jobs[name].id for name in names)


# Each case: (parameters built from the data set, the ORM condition the parameters mean, the names of
# the jobs expected). The test checks the API against the names and against an ORM count.
FILTER_CASES = {
    'source_sensor_class': (
        lambda d: [('source_sensor_class', 'classa')],
        lambda d: Q(source_sensor_class='classa'),
        ['q1', 'f1'],
    ),
    'source_sensor_class repeated': (
        lambda d: [('source_sensor_class', 'classa'), ('source_sensor_class', 'classc')],
        lambda d: Q(source_sensor_class__in=['classa', 'classc']),
        ['q1', 'f1', 'd1'],
    ),
    'source_sensor': (lambda d: [('source_sensor', 's2')], lambda d: Q(source_sensor='s2'), ['r1']),
    'source_sensor repeated': (
        lambda d: [('source_sensor', 's1'), ('source_sensor', 's2')],
        lambda d: Q(source_sensor__in=['s1', 's2']),
        ['q1', 'r1', 'f1'],
    ),
    'source_collection': (
        lambda d: [('source_collection', 'c2')],
        lambda d: Q(source_collection='c2'),
        ['r1', 'f1'],
    ),
    'source_collection repeated': (
        lambda d: [('source_collection', 'c1'), ('source_collection', 'c2')],
        lambda d: Q(source_collection__in=['c1', 'c2']),
        ['q1', 'r1', 'f1'],
    ),
    'source_task': (lambda d: [('source_task', 't1')], lambda d: Q(source_task='t1'), ['q1', 'f1']),
    'source_tasks (alias)': (lambda d: [('source_tasks', 't1')], lambda d: Q(source_task='t1'), ['q1', 'f1']),
    'source_task repeated': (
        lambda d: [('source_task', 't2'), ('source_task', 't3')],
        lambda d: Q(source_task__in=['t2', 't3']),
        ['r1', 'f3'],
    ),
    'source_tasks repeated': (
        lambda d: [('source_tasks', 't2'), ('source_tasks', 't3')],
        lambda d: Q(source_task__in=['t2', 't3']),
        ['r1', 'f3'],
    ),
    'status repeated': (
        lambda d: [('status', 'FAILED'), ('status', 'CANCELED')],
        lambda d: Q(status__in=['FAILED', 'CANCELED']),
        ['f1', 'f2', 'f3', 'c1', 'c2'],
    ),
    'status repeated lower-case': (
        lambda d: [('status', 'failed'), ('status', 'Canceled')],
        lambda d: Q(status__in=['FAILED', 'CANCELED']),
        ['f1', 'f2', 'f3', 'c1', 'c2'],
    ),
    'job_id': (lambda d: [('job_id', d.jobs['f1'].id)], lambda d: Q(id=d.jobs['f1'].id), ['f1']),
    'job_id repeated': (
        lambda d: [('job_id', d.jobs['f1'].id), ('job_id', d.jobs['c2'].id)],
        lambda d: Q(id__in=[d.jobs['f1'].id, d.jobs['c2'].id]),
        ['f1', 'c2'],
    ),
    'job_id unknown': (lambda d: [('job_id', 2**63 - 1)], lambda d: Q(id=2**63 - 1), []),
    'job_type_id': (
        lambda d: [('job_type_id', d.a1.id)],
        lambda d: Q(job_type=d.a1),
        ['q1', 'r1', 'k1', 'd2'],
    ),
    'job_type_id repeated': (
        lambda d: [('job_type_id', d.a1.id), ('job_type_id', d.b1.id)],
        lambda d: Q(job_type__in=[d.a1, d.b1]),
        ['q1', 'r1', 'k1', 'd2', 'f3', 'c1'],
    ),
    'job_type_name': (
        lambda d: [('job_type_name', 'alpha')],
        lambda d: Q(job_type__name='alpha'),
        ['q1', 'r1', 'f1', 'f2', 'k1', 'd2', 'r2'],
    ),
    'job_type_name repeated': (
        lambda d: [('job_type_name', 'alpha'), ('job_type_name', 'bravo')],
        lambda d: Q(job_type__name__in=['alpha', 'bravo']),
        ['q1', 'r1', 'f1', 'f2', 'f3', 'c1', 'd1', 'p1', 'k1', 'd2', 'c2', 'r2'],
    ),
    'job_type_name unknown': (lambda d: [('job_type_name', 'nope')], lambda d: Q(job_type__name='nope'), []),
    'job_type_version': (
        lambda d: [('job_type_version', '2.0.0')],
        lambda d: Q(job_type__version='2.0.0'),
        ['f1', 'f2', 'r2', 'd1', 'p1', 'c2'],
    ),
    'job_type_name and job_type_version': (
        lambda d: [('job_type_name', 'alpha'), ('job_type_version', '1.0.0')],
        lambda d: Q(job_type=d.a1),
        ['q1', 'r1', 'k1', 'd2'],
    ),
    'job_type_names and one version': (
        lambda d: [('job_type_name', 'alpha'), ('job_type_name', 'bravo'), ('job_type_version', '1.0.0')],
        lambda d: Q(job_type__in=[d.a1, d.b1]),
        ['q1', 'r1', 'k1', 'd2', 'f3', 'c1'],
    ),
    'one job_type_name and versions': (
        lambda d: [('job_type_name', 'bravo'), ('job_type_version', '1.0.0'), ('job_type_version', '2.0.0')],
        lambda d: Q(job_type__in=[d.b1, d.b2]),
        ['f3', 'c1', 'd1', 'p1', 'c2'],
    ),
    'batch_id': (lambda d: [('batch_id', d.batch1.id)], lambda d: Q(batch=d.batch1), ['q1', 'f1']),
    'batch_id repeated': (
        lambda d: [('batch_id', d.batch1.id), ('batch_id', d.batch2.id)],
        lambda d: Q(batch__in=[d.batch1, d.batch2]),
        ['q1', 'f1', 'f2', 'r2'],
    ),
    'recipe_id': (lambda d: [('recipe_id', d.recipe1.id)], lambda d: Q(recipe=d.recipe1), ['r1', 'f1']),
    'recipe_id repeated': (
        lambda d: [('recipe_id', d.recipe1.id), ('recipe_id', d.recipe2.id)],
        lambda d: Q(recipe__in=[d.recipe1, d.recipe2]),
        ['r1', 'f1', 'f3'],
    ),
    'error_category ALGORITHM': (
        lambda d: [('error_category', 'ALGORITHM')],
        lambda d: Q(error__category='ALGORITHM'),
        ['f1'],
    ),
    'error_category SYSTEM': (
        lambda d: [('error_category', 'SYSTEM')],
        lambda d: Q(error__category='SYSTEM'),
        ['f2'],
    ),
    'error_category DATA': (
        lambda d: [('error_category', 'DATA')],
        lambda d: Q(error__category='DATA'),
        ['f3'],
    ),
    'error_category repeated lower-case': (
        lambda d: [('error_category', 'system'), ('error_category', 'data')],
        lambda d: Q(error__category__in=['SYSTEM', 'DATA']),
        ['f2', 'f3'],
    ),
    'error_id': (lambda d: [('error_id', d.lost.id)], lambda d: Q(error=d.lost), ['f2']),
    'error_id repeated': (
        lambda d: [('error_id', d.algo.id), ('error_id', d.bad.id)],
        lambda d: Q(error__in=[d.algo, d.bad]),
        ['f1', 'f3'],
    ),
    'started and ended (last_modified)': (
        lambda d: [('started', '2024-04-30T00:00:00Z'), ('ended', '2024-05-01T00:00:00Z')],
        lambda d: Q(last_modified__gte=T, last_modified__lte=T + DAY),
        ['r1', 'f1', 'f2', 'f3', 'c1', 'd1', 'c2', 'r2'],
    ),
    'status, job_type_name and batch_id': (
        lambda d: [('status', 'FAILED'), ('job_type_name', 'alpha'), ('batch_id', d.batch1.id)],
        lambda d: Q(status='FAILED', job_type__name='alpha', batch=d.batch1),
        ['f1'],
    ),
    'statuses and is_superseded': (
        lambda d: [('status', 'FAILED'), ('status', 'CANCELED'), ('is_superseded', 'true')],
        lambda d: Q(status__in=['FAILED', 'CANCELED'], is_superseded=True),
        ['f3', 'c1'],
    ),
    'status, batch_id and job_type_version': (
        lambda d: [('status', 'RUNNING'), ('batch_id', d.batch2.id), ('job_type_version', '2.0.0')],
        lambda d: Q(status='RUNNING', batch=d.batch2, job_type__version='2.0.0'),
        ['r2'],
    ),
    'recipe_id and status': (
        lambda d: [('recipe_id', d.recipe1.id), ('status', 'FAILED')],
        lambda d: Q(recipe=d.recipe1, status='FAILED'),
        ['f1'],
    ),
    'started, status and error categories': (
        lambda d: [
            ('started', '2024-04-30T00:00:00Z'),
            ('status', 'FAILED'),
            ('error_category', 'SYSTEM'),
            ('error_category', 'DATA'),
        ],
        lambda d: Q(last_modified__gte=T, status='FAILED', error__category__in=['SYSTEM', 'DATA']),
        ['f2', 'f3'],
    ),
    'job_type_name, source_sensor_class and status': (
        lambda d: [('job_type_name', 'alpha'), ('source_sensor_class', 'classa'), ('status', 'QUEUED')],
        lambda d: Q(job_type__name='alpha', source_sensor_class='classa', status='QUEUED'),
        ['q1'],
    ),
    'time range and job_type_name': (
        lambda d: [
            ('started', '2024-04-29T00:00:00Z'),
            ('ended', '2024-04-30T06:00:00Z'),
            ('job_type_name', 'bravo'),
        ],
        lambda d: Q(last_modified__gte=T - DAY, last_modified__lte=T + 6 * HOUR, job_type__name='bravo'),
        ['f3', 'c1', 'd1'],
    ),
    'is_superseded, error_id and recipe_id': (
        lambda d: [('is_superseded', '1'), ('error_id', d.bad.id), ('recipe_id', d.recipe2.id)],
        lambda d: Q(is_superseded=True, error=d.bad, recipe=d.recipe2),
        ['f3'],
    ),
    'disjoint filters': (
        lambda d: [('status', 'QUEUED'), ('batch_id', d.batch2.id)],
        lambda d: Q(status='QUEUED', batch=d.batch2),
        [],
    ),
}


@pytest.mark.parametrize(('params', 'condition', 'expected'), FILTER_CASES.values(), ids=FILTER_CASES.keys())
def test_filter(client, data, params, condition, expected):
    response = get(client, [*params(data), ('page_size', 1000)])
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(ids(response)) == names_to_ids(data, expected)
    assert body['count'] == len(expected) == Job.objects.filter(condition(data)).count()
    # The page is in the default order: last_modified, then id.
    assert ids(response) == orm_ids(condition(data))


@pytest.mark.parametrize('status', list(JobStatus))
def test_filter_each_status(client, data, status):
    expected = orm_ids(Q(status=status))
    assert expected, 'the data set has a job in every status'
    for value in (status.value, status.value.lower(), status.value.capitalize()):
        response = get(client, [('status', value)])
        assert response.status_code == 200, value
        assert ids(response) == expected, value
        assert response.json()['count'] == len(expected), value
        assert {item['status'] for item in response.json()['results']} == {status.value}


def test_filter_every_status_repeated_is_every_job(client, data):
    response = get(client, [('status', status.value) for status in JobStatus])
    assert response.json()['count'] == Job.objects.count() == len(data.jobs)


@pytest.mark.parametrize(
    ('value', 'superseded'),
    [('true', True), ('True', True), ('1', True), ('false', False), ('FALSE', False), ('0', False)],
)
def test_filter_is_superseded(client, data, value, superseded):
    response = get(client, [('is_superseded', value)])
    assert response.status_code == 200
    expected = orm_ids(Q(is_superseded=superseded))
    if superseded:
        assert sorted(expected) == names_to_ids(data, ['f3', 'c1', 'd2'])
    else:
        assert len(expected) == 9
    assert ids(response) == expected
    assert response.json()['count'] == len(expected)


def test_filter_is_superseded_absent_is_every_job(client, data):
    body = get(client).json()
    assert body['count'] == len(data.jobs) == 12
    assert {item['is_superseded'] for item in body['results']} == {True, False}


def test_no_filter_lists_every_job_in_default_order(client, data):
    response = get(client)
    assert response.status_code == 200
    assert ids(response) == orm_ids()
    assert response.json()['count'] == 12


EVERY_PARAMETER = [
    'batch_id',
    'job_id',
    'job_type_id',
    'recipe_id',
    'error_id',
    'status',
    'error_category',
    'job_type_name',
    'job_type_version',
    'source_sensor_class',
    'source_sensor',
    'source_collection',
    'source_task',
    'source_tasks',
    'started',
    'ended',
    'source_started',
    'source_ended',
    'is_superseded',
    'order',
    'page',
    'page_size',
]


def test_every_declared_parameter_is_listed():
    assert sorted(EVERY_PARAMETER) == sorted(JobFilterSet.base_filters)


def test_empty_value_is_ignored(client, data):
    expected = orm_ids()
    for name in EVERY_PARAMETER:
        response = get(client, f'{name}=')
        assert response.status_code == 200, (name, response.content)
        assert ids(response) == expected, name
        assert response.json()['count'] == 12, name


def test_empty_values_of_every_parameter_at_once_are_ignored(client, data):
    query = '&'.join(f'{name}=' for name in EVERY_PARAMETER)
    response = get(client, query)
    assert response.status_code == 200
    assert response.json()['count'] == 12


def test_empty_value_beside_a_real_one_is_dropped(client, data):
    f1 = data.jobs['f1']
    response = get(client, f'job_id=&job_id={f1.id}&status=&status=FAILED&batch_id=')
    assert ids(response) == [f1.id]
    assert response.json()['count'] == 1
