"""GET /v6/jobs/ through HTTP: the exact queries the shipped Scale web UI sends and the fields it
reads (shared/reference/scale-ui-client.md sections 1.2-1.4, 2.1 and 8; DESIGN.md section 6).
"""

import datetime
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.db.models import Q

from job.models import Job
from tests import factories
from tests.factories import dt, set_fields

URL = '/v6/jobs/'
T = dt('2024-04-30T00:00:00Z')
HOUR = datetime.timedelta(hours=1)


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


def job_at(last_modified, *args, **fields):
    """A factories.job whose last_modified is then set to `last_modified` (an update bypassing
    auto_now, as factories.set_fields does, without reloading the row)."""
    job = factories.job(*args, **fields)
    Job.objects.filter(pk=job.pk).update(last_modified=last_modified)
    job.last_modified = last_modified
    return job


@pytest.fixture
def ui_jobs(db):
    """Jobs of a type `my-algo` 1.0.0 in and around the UI's default 24 h window, and decoys."""
    algo1 = factories.job_type('my-algo', '1.0.0', unmet_resources='chocolate,vanilla', icon_code='f013')
    algo2 = factories.job_type('my-algo', '2.0.0')
    other = factories.job_type('other-algo', '1.0.0')
    inside = dt('2024-04-30T12:00:00Z')
    matching = [
        job_at(inside, algo1, 'FAILED'),
        job_at(dt('2024-04-30T00:00:00Z'), algo1, 'CANCELED'),
        job_at(dt('2024-05-01T00:00:00Z'), algo1, 'FAILED'),
        job_at(inside + HOUR, algo1, 'CANCELED'),
        job_at(inside + HOUR, algo1, 'FAILED', error=factories.error('node-lost')),
    ]
    decoys = [
        job_at(inside, algo2, 'FAILED'),
        job_at(inside, other, 'CANCELED'),
        job_at(inside, algo1, 'COMPLETED'),
        job_at(inside, algo1, 'RUNNING'),
        job_at(dt('2024-04-29T23:59:59Z'), algo1, 'FAILED'),
        job_at(dt('2024-05-01T00:00:01Z'), algo1, 'CANCELED'),
    ]
    return SimpleNamespace(algo1=algo1, algo2=algo2, other=other, matching=matching, decoys=decoys)


UI_JOBS_PAGE = (
    'order=-last_modified&page=1&page_size=20&started=2024-04-30T00:00:00.000Z'
    '&ended=2024-05-01T00:00:00.000Z&status=FAILED&status=CANCELED&job_type_name=my-algo&job_type_version=1.0.0'
)


def test_ui_jobs_page_query(client, ui_jobs):
    response = get(client, UI_JOBS_PAGE)
    assert response.status_code == 200, response.content
    expected = list(
        Job.objects.filter(
            last_modified__gte=dt('2024-04-30T00:00:00Z'),
            last_modified__lte=dt('2024-05-01T00:00:00Z'),
            status__in=['FAILED', 'CANCELED'],
            job_type__name='my-algo',
            job_type__version='1.0.0',
        )
        .order_by('-last_modified', '-id')
        .values_list('id', flat=True)
    )
    assert sorted(expected) == sorted(job.id for job in ui_jobs.matching)
    assert ids(response) == expected
    assert response.json()['count'] == 5


def test_ui_jobs_page_count_honours_every_filter_on_later_pages(client, ui_jobs):
    """The confirm dialogs read only `count`; it must be the total, whatever the page."""
    body = get(client, UI_JOBS_PAGE.replace('page=1&page_size=20', 'page=2&page_size=2')).json()
    assert body['count'] == 5
    assert len(body['results']) == 2


def test_ui_requeue_and_cancel_all_counts(client, ui_jobs):
    window = 'started=2024-04-30T00:00:00.000Z&ended=2024-05-01T00:00:00.000Z&job_type_name=my-algo'
    requeue = get(client, f'{window}&status=CANCELED&status=FAILED&page=1&page_size=1').json()
    in_window = Q(
        last_modified__gte=dt('2024-04-30T00:00:00Z'), last_modified__lte=dt('2024-05-01T00:00:00Z')
    )
    assert (
        requeue['count']
        == Job.objects.filter(in_window, job_type__name='my-algo', status__in=['CANCELED', 'FAILED']).count()
        == 6
    )
    cancel = get(client, f'{window}&status=RUNNING&status=QUEUED&page=1&page_size=1').json()
    assert cancel['count'] == 1


@pytest.fixture
def running(db):
    """105 RUNNING jobs (more than the default page) and a few in other statuses."""
    job_type = factories.job_type()
    running = [factories.job(job_type, 'RUNNING') for _ in range(105)]
    others = [factories.job(job_type, status) for status in ('QUEUED', 'FAILED', 'COMPLETED')]
    return running, others


def test_ui_dashboard_running_query_uses_the_default_page_size(client, running):
    response = get(client, 'page=1&status=RUNNING')
    assert response.status_code == 200
    body = response.json()
    assert body['count'] == Job.objects.filter(status='RUNNING').count() == 105
    assert len(body['results']) == 100
    for item in body['results']:
        assert item['status'] == 'RUNNING'
        assert set(item['job_type']) >= {'id', 'title', 'icon_code', 'is_system'}
    assert body['next'] == 'http://testserver/v6/jobs/?page=2&status=RUNNING'


@pytest.mark.parametrize(
    'query', ['page_size=null', 'page_size=', 'page_size=NULL', 'page=1&page_size=null', '']
)
def test_page_size_null_or_empty_is_the_default(client, running, query):
    response = get(client, query)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body['count'] == 108
    assert len(body['results']) == 100
    assert body['next'] is not None


def test_unknown_parameters_are_ignored(client, ui_jobs):
    plain = get(client, UI_JOBS_PAGE)
    extra = get(
        client,
        UI_JOBS_PAGE
        + '&job_type_category=system&include_superseded=true&sortField=last_modified&sortOrder=desc&foo=bar',
    )
    assert extra.status_code == 200
    assert ids(extra) == ids(plain)
    assert extra.json()['count'] == plain.json()['count'] == 5
    assert get(client, 'include_superseded=true&job_type_category=x').json()['count'] == 11


@pytest.mark.parametrize(
    'query',
    [
        'page=1&&status=RUNNING',
        'page=1&status=RUNNING&',
        '&page=1&status=RUNNING',
        'page=1&&&status=RUNNING&&',
        'page=1&job_type_id=&status=RUNNING&',
    ],
)
def test_empty_segments_are_harmless(client, ui_jobs, query):
    response = get(client, query)
    assert response.status_code == 200, response.content
    assert response.json()['count'] == 1
    assert ids(response) == orm_ids(Q(status='RUNNING'))


def test_ui_recipe_status_query(client, db):
    recipe = factories.recipe()
    job_type = factories.job_type('recipe-step')
    jobs = [
        job_at(T + n * HOUR, job_type, status, recipe=recipe)
        for n, status in enumerate(['COMPLETED', 'RUNNING', 'QUEUED'])
    ]
    factories.job(job_type, recipe=factories.recipe())
    factories.job(job_type)
    response = get(client, f'order=-last_modified&page=1&page_size=1000&recipe_id={recipe.id}')
    assert response.status_code == 200
    body = response.json()
    assert body['count'] == 3
    assert ids(response) == [job.id for job in reversed(jobs)]
    for item in body['results']:
        assert isinstance(item['status'], str)
        assert set(item['job_type']) >= {'name', 'title', 'version', 'is_published', 'description'}
        assert isinstance(item['job_type']['description'], str)
        assert item['recipe']['id'] == recipe.id


def test_ui_fields_are_never_null_where_dereferenced(client, ui_jobs):
    bare = set_fields(factories.job_type('bare'), description='', title='')
    factories.job(bare, 'PENDING', input={})
    file_ = factories.scale_file(file_name='one.txt')
    factories.job(ui_jobs.other, 'RUNNING', input_files=[('INPUT_FILE', file_)])
    body = get(client, 'page_size=1000').json()
    assert body['count'] == Job.objects.count() == 13
    for item in body['results']:
        assert isinstance(item['status'], str) and item['status']
        for key in (
            'id',
            'created',
            'last_modified',
            'started',
            'ended',
            'is_superseded',
            'num_exes',
            'max_tries',
        ):
            assert key in item
        job_type = item['job_type']
        assert isinstance(job_type['description'], str)
        assert job_type['unmet_resources'] is None or isinstance(job_type['unmet_resources'], str)
        for key in ('id', 'name', 'version', 'title', 'icon_code', 'is_active', 'is_system', 'is_published'):
            assert key in job_type
        assert isinstance(item['input_files'], dict)
        for names in item['input_files'].values():
            assert isinstance(names, list) and all(isinstance(name, str) for name in names)
        assert item['recipe'] is None or isinstance(item['recipe']['recipe_type']['title'], str)
        assert item['node'] is None or isinstance(item['node']['hostname'], str)
        if item['error'] is not None:
            assert {'category', 'title', 'description'} <= set(item['error'])
        assert item['event'] is None or isinstance(item['event']['occurred'], str)
    by_type = {(item['job_type']['name'], item['job_type']['version']): item for item in body['results']}
    assert by_type['my-algo', '1.0.0']['job_type']['unmet_resources'] == 'chocolate,vanilla'
    assert by_type['my-algo', '2.0.0']['job_type']['unmet_resources'] is None
    assert by_type['bare', '1.0.0']['job_type']['description'] == ''
    assert by_type['bare', '1.0.0']['input_files'] == {}
    with_file = [item for item in body['results'] if item['input_files']]
    assert [item['input_files'] for item in with_file] == [{'INPUT_FILE': ['one.txt']}]
