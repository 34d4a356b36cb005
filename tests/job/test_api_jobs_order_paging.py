"""GET /v6/jobs/ through HTTP: ordering (every key, multi-sort, NULLs, tie-breaker), pagination
(envelope, links, page/page_size edge cases) and the number of queries a page costs.

Filters, bad parameters, the web UI's queries, the item shape and auth are in the other
test_api_jobs_*.py files.
"""

import datetime
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from job.choices import ErrorCategory, JobStatus
from job.filters.jobs import JOB_ORDER_FIELDS
from job.models import Error, Job
from tests import factories
from tests.factories import dt, set_fields
from tests.job.contract import UI_ORDER_KEYS

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


def walk(client, query):
    """Follows `next` from the first page; returns every id seen, in order, and the pages' counts."""
    response = get(client, query)
    seen, counts = [], set()
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [item['id'] for item in body['results']]
        counts.add(body['count'])
        if body['next'] is None:
            return seen, counts
        assert body['next'].startswith('http://testserver/v6/jobs/?')
        response = client.get(body['next'])


# --------------------------------------------------------------------------------------------------
# Ordering. The data set: 7 jobs whose values of every order key are in a different fixed order
# (so the expected order is observable and differs from the id order), with ties (job type names,
# is_superseded, error categories) and NULLs (two jobs have every nullable field NULL and a third
# has no `ended`, so no duration) on every nullable key.

N = 7
NULL_JOBS = (2, 6)
JOB_TYPES = [('charlie', '1.0.0'), ('alpha', '2.0.0'), ('bravo', '1.0.0'), ('alpha', '1.0.0')]
JOB_TYPE_OF = [0, 1, 2, 3, 0, 2, 1]
RECIPE_TITLES = ['delta', 'alpha', 'charlie']
RECIPE_OF = [0, None, 1, 2, None, 1, None]
HOSTNAMES = ['nodec', 'nodea', 'nodeb']
NODE_OF = [None, 2, 1, None, 0, 1, None]
ERRORS = [
    ('sort-zeta', ErrorCategory.SYSTEM, 'Zeta'),
    ('sort-beta', ErrorCategory.ALGORITHM, 'Beta'),
    ('sort-alpha', ErrorCategory.DATA, 'Alpha'),
    ('sort-untitled', ErrorCategory.SYSTEM, None),
]
ERROR_OF = [0, None, 1, 2, None, 3, None]
WORDS = ['kilo', 'echo', 'golf', 'alpha', 'india', 'bravo', 'hotel']
NULLABLE_SCALARS = {
    'input_file_size',
    'source_started',
    'source_ended',
    'source_sensor_class',
    'source_sensor',
    'source_collection',
    'source_task',
    'queued',
    'started',
    'ended',
    'last_status_change',
    'superseded',
}


DATETIME_KEYS = {
    'source_started',
    'source_ended',
    'created',
    'queued',
    'started',
    'ended',
    'last_status_change',
    'superseded',
    'last_modified',
}


def _ranks(key):
    """A fixed permutation of 0..N-1 per key (job i gets rank (a * i + b) mod N, a in 2..5), so
    that no key sorts the jobs in id order or in reverse id order."""
    index = SCALAR_KEYS.index(key)
    a, b = 2 + index % 4, index % N
    return [(a * i + b) % N for i in range(N)]


def _scalar(key, rank):
    if key == 'status':
        return list(JobStatus)[rank].value
    if key == 'is_superseded':
        return rank % 2 == 0
    if key in ('priority', 'max_tries', 'num_exes'):
        return rank * 10 + 1
    if key == 'input_file_size':
        return rank + 0.5
    if key in DATETIME_KEYS:
        return T + rank * HOUR + datetime.timedelta(minutes=rank * 7, microseconds=rank * 1000)
    return WORDS[rank]


SCALAR_KEYS = [
    'status',
    'is_superseded',
    'priority',
    'max_tries',
    'num_exes',
    'input_file_size',
    'source_started',
    'source_ended',
    'source_sensor_class',
    'source_sensor',
    'source_collection',
    'source_task',
    'created',
    'queued',
    'started',
    'ended',
    'last_status_change',
    'superseded',
    'last_modified',
]


def _duration(job):
    return job.ended - job.started if job.started and job.ended else None


# How each order key reads a job, to compute the expected order in Python.
ACCESSORS = {
    'id': lambda job: job.id,
    **{key: (lambda job, key=key: getattr(job, key)) for key in SCALAR_KEYS},
    'job_type__name': lambda job: job.job_type.name,
    'job_type__version': lambda job: job.job_type.version,
    'job_type': lambda job: job.job_type.name,
    'duration': _duration,
    'recipe': lambda job: job.recipe.recipe_type.title if job.recipe else None,
    'node': lambda job: job.node.hostname if job.node else None,
    'error.category': lambda job: job.error.category if job.error else None,
    'error.title': lambda job: job.error.title if job.error else None,
}


@pytest.fixture
def sortable(db):
    job_types = [factories.job_type(name, version) for name, version in JOB_TYPES]
    recipes = [factories.recipe(factories.recipe_type(title=title)) for title in RECIPE_TITLES]
    nodes = [factories.node(hostname) for hostname in HOSTNAMES]
    errors = [
        Error.objects.create(name=name, job_type_name='sorting', category=category, title=title)
        for name, category, title in ERRORS
    ]
    jobs = []
    for i in range(N):
        values = {key: _scalar(key, _ranks(key)[i]) for key in SCALAR_KEYS}
        if i in NULL_JOBS:
            values.update(dict.fromkeys(NULLABLE_SCALARS))
        if i == 4:
            values['ended'] = None
        last_modified = values.pop('last_modified')
        job = factories.job(
            job_types[JOB_TYPE_OF[i]],
            values.pop('status'),
            recipe=None if RECIPE_OF[i] is None else recipes[RECIPE_OF[i]],
            node=None if NODE_OF[i] is None else nodes[NODE_OF[i]],
            error=None if ERROR_OF[i] is None else errors[ERROR_OF[i]],
            **values,
        )
        jobs.append(set_fields(job, last_modified=last_modified))
    return Job.objects.select_related('job_type', 'recipe__recipe_type', 'node', 'error').filter(
        id__in=[job.id for job in jobs]
    )


def expected_order(jobs, key):
    """Ascending with NULLs last, then id ascending; `-key` is exactly the reverse."""
    accessor = ACCESSORS[key.lstrip('-')]

    def sort_key(job):
        value = accessor(job)
        return (value is None, value, job.id)

    ordered = [job.id for job in sorted(jobs, key=sort_key)]
    return ordered[::-1] if key.startswith('-') else ordered


def test_accessors_cover_every_order_key():
    assert set(ACCESSORS) == set(JOB_ORDER_FIELDS)
    assert set(UI_ORDER_KEYS) <= set(JOB_ORDER_FIELDS)


@pytest.mark.parametrize('direction', ['', '-'])
@pytest.mark.parametrize('key', sorted(JOB_ORDER_FIELDS))
def test_order_by_every_key(client, sortable, key, direction):
    response = get(client, [('order', f'{direction}{key}')])
    assert response.status_code == 200, response.content
    expected = expected_order(sortable, f'{direction}{key}')
    assert ids(response) == expected
    assert response.json()['count'] == N
    if key != 'id':
        # The data set makes the order observable: it is not the plain id order.
        assert expected not in (sorted(expected), sorted(expected, reverse=True))


def test_ui_order_keys(client, sortable):
    """The Jobs page sends one order key of its columns, with or without `-` (ui-client 2.1, 8.6)."""
    for key in UI_ORDER_KEYS:
        for order in (key, f'-{key}'):
            response = get(client, f'order={order}&page=1&page_size=20')
            assert response.status_code == 200, (order, response.content)
            assert ids(response) == expected_order(sortable, order), order
            assert response.json()['count'] == N


def test_order_keys_are_case_insensitive(client, sortable):
    assert ids(get(client, 'order=-Last_Modified')) == expected_order(sortable, '-last_modified')


@pytest.mark.parametrize('key', ['started', 'duration', 'node', 'error.category', 'recipe', 'source_task'])
def test_nulls_last_ascending_and_first_descending(client, sortable, key):
    accessor = ACCESSORS[key]
    null_ids = sorted(job.id for job in sortable if accessor(job) is None)
    assert 0 < len(null_ids) < N
    ascending = ids(get(client, f'order={key}'))
    assert ascending[-len(null_ids) :] == null_ids
    assert all(accessor(job) is not None for job in sortable if job.id in ascending[: -len(null_ids)])
    descending = ids(get(client, f'order=-{key}'))
    assert descending[: len(null_ids)] == null_ids[::-1]


def test_duration_is_ended_minus_started(client, db):
    job_type = factories.job_type()
    start = dt('2024-01-01T00:00:00Z')
    short = factories.job(job_type, 'COMPLETED', started=start, ended=start + datetime.timedelta(minutes=5))
    long = factories.job(job_type, 'COMPLETED', started=start - HOUR, ended=start + HOUR)
    middle = factories.job(job_type, 'FAILED', started=start + HOUR, ended=start + 2 * HOUR)
    running = factories.job(job_type, 'RUNNING', started=start)
    queued = factories.job(job_type, 'QUEUED')
    assert ids(get(client, 'order=duration')) == [short.id, middle.id, long.id, running.id, queued.id]
    assert ids(get(client, 'order=-duration')) == [queued.id, running.id, long.id, middle.id, short.id]


def test_multi_sort_scale_case(client, db):
    """Scale's own test: order=job_type__name&order=-job_type__version."""
    job_types = {
        (name, version): factories.job_type(name, version)
        for name in ('test-job-b', 'test-job-a')
        for version in ('1.0.0', '3.0.0', '2.0.0')
    }
    for job_type in job_types.values():
        factories.job(job_type)
    response = get(client, 'order=job_type__name&order=-job_type__version')
    assert response.status_code == 200
    pairs = [(item['job_type']['name'], item['job_type']['version']) for item in response.json()['results']]
    assert pairs == [
        ('test-job-a', '3.0.0'),
        ('test-job-a', '2.0.0'),
        ('test-job-a', '1.0.0'),
        ('test-job-b', '3.0.0'),
        ('test-job-b', '2.0.0'),
        ('test-job-b', '1.0.0'),
    ]


def test_multi_sort_with_ui_aliases(client, sortable):
    # error.category ascending (NULLs last), then node descending (NULLs first), then id descending.
    response = get(client, 'order=error.category&order=-node')

    groups = {}
    for job in sortable:
        groups.setdefault((job.error is None, job.error.category if job.error else ''), []).append(job)
    expected = []
    for group_key in sorted(groups):
        members = groups[group_key]
        nulls = sorted((job for job in members if job.node is None), key=lambda job: -job.id)
        rest = sorted(
            (job for job in members if job.node), key=lambda job: (job.node.hostname, job.id), reverse=True
        )
        expected += [job.id for job in nulls + rest]
    assert ids(response) == expected


@pytest.fixture
def tied(db):
    """13 jobs with one last_modified, 6 QUEUED and 7 FAILED (interleaved by id), no node."""
    job_type = factories.job_type()
    jobs = [factories.job(job_type, 'QUEUED' if n % 2 else 'FAILED') for n in range(13)]
    Job.objects.filter(id__in=[job.id for job in jobs]).update(last_modified=T)
    return jobs


@pytest.mark.parametrize(
    ('order', 'expected'),
    [
        ('', lambda jobs: sorted(job.id for job in jobs)),
        ('order=last_modified', lambda jobs: sorted(job.id for job in jobs)),
        ('order=-last_modified', lambda jobs: sorted((job.id for job in jobs), reverse=True)),
        (
            'order=status',
            lambda jobs: (
                sorted(job.id for job in jobs if job.status == 'FAILED')
                + sorted(job.id for job in jobs if job.status == 'QUEUED')
            ),
        ),
        (
            'order=-status&order=last_modified',
            lambda jobs: (
                sorted(job.id for job in jobs if job.status == 'QUEUED')
                + sorted(job.id for job in jobs if job.status == 'FAILED')
            ),
        ),
        (
            'order=status&order=-last_modified',
            lambda jobs: (
                sorted((job.id for job in jobs if job.status == 'FAILED'), reverse=True)
                + sorted((job.id for job in jobs if job.status == 'QUEUED'), reverse=True)
            ),
        ),
        ('order=job_type', lambda jobs: sorted(job.id for job in jobs)),
        ('order=-node', lambda jobs: sorted((job.id for job in jobs), reverse=True)),
    ],
    ids=[
        'default',
        'last_modified',
        '-last_modified',
        'status',
        '-status,last_modified',
        'status,-last_modified',
        'job_type',
        '-node',
    ],
)
@pytest.mark.parametrize('page_size', [4, 13])
def test_ties_are_broken_by_id_in_the_direction_of_the_last_key(client, tied, order, expected, page_size):
    query = '&'.join(part for part in (order, f'page_size={page_size}') if part)
    seen, counts = walk(client, query)
    assert counts == {13}
    assert len(seen) == len(set(seen)) == 13
    assert seen == expected(tied)
    # Each page, fetched by number, is the same slice.
    last_page = -(-13 // page_size)
    body = get(client, f'{query}&page={last_page}').json()
    assert [item['id'] for item in body['results']] == seen[(last_page - 1) * page_size :]


def test_ties_one_row_a_page(client, tied):
    seen, counts = walk(client, 'order=status&order=-last_modified&page_size=1')
    assert counts == {13}
    failed = sorted((job.id for job in tied if job.status == 'FAILED'), reverse=True)
    queued = sorted((job.id for job in tied if job.status == 'QUEUED'), reverse=True)
    assert seen == failed + queued


def test_default_order_is_last_modified_then_id(client, db):
    job_type = factories.job_type()
    jobs = [factories.job(job_type) for _ in range(6)]
    times = [T + 2 * HOUR, T, T + HOUR, T, T + HOUR, T - HOUR]
    for job, when in zip(jobs, times, strict=True):
        set_fields(job, last_modified=when)
    expected = [job.id for job in sorted(jobs, key=lambda job: (job.last_modified, job.id))]
    assert ids(get(client)) == expected
    assert ids(get(client, 'order=')) == expected
    assert ids(get(client, 'order=last_modified')) == expected
    assert ids(get(client, 'order=-last_modified')) == expected[::-1]


# --------------------------------------------------------------------------------------------------
# Pagination.


@pytest.fixture
def paged(db):
    """25 QUEUED jobs one minute apart, and 5 RUNNING ones after them."""
    job_type = factories.job_type('paged')
    queued = [factories.job(job_type, 'QUEUED').id for _ in range(25)]
    running = [factories.job(job_type, 'RUNNING').id for _ in range(5)]
    for n, job_id in enumerate(queued + running):
        Job.objects.filter(pk=job_id).update(last_modified=T + datetime.timedelta(minutes=n))
    return SimpleNamespace(queued=queued, running=running)


def query_of(url):
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ('http', 'testserver', URL)
    return parse_qs(parts.query, keep_blank_values=True)


def test_first_page(client, paged):
    body = get(client, 'status=QUEUED&page_size=10').json()
    assert set(body) == {'count', 'next', 'previous', 'results'}
    assert body['count'] == 25
    assert [item['id'] for item in body['results']] == paged.queued[:10]
    assert body['previous'] is None
    assert query_of(body['next']) == {'status': ['QUEUED'], 'page_size': ['10'], 'page': ['2']}


def test_page_one_explicitly_is_the_first_page(client, paged):
    assert (
        get(client, 'status=QUEUED&page_size=10&page=1').json()
        == get(client, 'status=QUEUED&page_size=10').json()
    )


def test_middle_page(client, paged):
    body = get(client, 'status=QUEUED&page_size=10&page=2').json()
    assert [item['id'] for item in body['results']] == paged.queued[10:20]
    assert query_of(body['next'])['page'] == ['3']
    assert 'page' not in query_of(body['previous'])


@pytest.mark.parametrize('page', ['3', 'last', 'LAST'])
def test_last_page(client, paged, page):
    body = get(client, f'status=QUEUED&page_size=10&page={page}').json()
    assert body['count'] == 25
    assert [item['id'] for item in body['results']] == paged.queued[20:]
    assert body['next'] is None
    assert query_of(body['previous']) == {'status': ['QUEUED'], 'page_size': ['10'], 'page': ['2']}


@pytest.mark.parametrize('page', ['4', '5', '1000', '99999999999999999999'])
def test_page_past_the_end_is_404(client, paged, page):
    response = get(client, f'status=QUEUED&page_size=10&page={page}')
    assert response.status_code == 404
    assert response.json() == {'detail': 'Invalid page.'}


def test_empty_result(client, paged):
    response = get(client, 'status=CANCELED')
    assert response.status_code == 200
    assert response.json() == {'count': 0, 'next': None, 'previous': None, 'results': []}
    assert get(client, 'status=CANCELED&page=1').json()['count'] == 0
    assert get(client, 'status=CANCELED&page=last').json() == response.json()
    response = get(client, 'status=CANCELED&page=2')
    assert response.status_code == 404
    assert response.json() == {'detail': 'Invalid page.'}


def test_page_size_one(client, paged):
    body = get(client, 'page_size=1').json()
    assert body['count'] == 30
    assert [item['id'] for item in body['results']] == paged.queued[:1]
    body = get(client, 'page_size=1&page=last').json()
    assert [item['id'] for item in body['results']] == paged.running[-1:]
    assert query_of(body['previous'])['page'] == ['29']


def test_page_size_1000_is_honoured(client, db):
    job_type = factories.job_type()
    for _ in range(130):
        factories.job(job_type)
    body = get(client, 'page_size=1000').json()
    assert body['count'] == 130
    assert len(body['results']) == 130
    assert body['next'] is None
    default = get(client).json()
    assert len(default['results']) == 100
    assert query_of(default['next']) == {'page': ['2']}
    assert len(get(client, 'page=2').json()['results']) == 30


def test_next_and_previous_keep_every_other_parameter(client, paged):
    query = [
        ('status', 'QUEUED'),
        ('status', 'RUNNING'),
        ('job_type_name', 'paged'),
        ('job_type_name', 'other'),
        ('started', '2024-04-30T05:30:00.000+05:30'),
        ('order', '-created'),
        ('order', 'status'),
        ('include_superseded', 'true'),
        ('page_size', '4'),
        ('page', '2'),
    ]
    body = get(client, query).json()
    assert body['count'] == 30
    kept = {
        'status': ['QUEUED', 'RUNNING'],
        'job_type_name': ['paged', 'other'],
        'started': ['2024-04-30T05:30:00.000+05:30'],
        'order': ['-created', 'status'],
        'include_superseded': ['true'],
        'page_size': ['4'],
    }
    assert query_of(body['next']) == {**kept, 'page': ['3']}
    assert query_of(body['previous']) == kept
    # Following the links gives the neighbouring pages.
    assert client.get(body['previous']).json() == get(client, [*query[:-1], ('page', '1')]).json()
    assert client.get(body['next']).json() == get(client, [*query[:-1], ('page', '3')]).json()


def test_url_without_trailing_slash(client, paged):
    body = client.get('/v6/jobs?status=QUEUED&page_size=10').json()
    assert body['count'] == 25
    assert [item['id'] for item in body['results']] == paged.queued[:10]
    assert body['next'] == 'http://testserver/v6/jobs?page=2&page_size=10&status=QUEUED'


def test_walking_next_visits_every_matching_row_once(client, paged):
    seen, counts = walk(client, 'status=RUNNING&status=QUEUED&order=-status&page_size=7')
    assert counts == {30}
    assert len(seen) == len(set(seen)) == 30
    # RUNNING sorts after QUEUED, so -status puts RUNNING first; ties by id descending.
    assert seen == sorted(paged.running, reverse=True) + sorted(paged.queued, reverse=True)


def test_walking_next_with_filters_and_default_page_size(client, db):
    job_type = factories.job_type()
    matching = [factories.job(job_type, 'FAILED').id for _ in range(104)]
    for _ in range(6):
        factories.job(job_type, 'COMPLETED')
    Job.objects.filter(id__in=matching[::2]).update(last_modified=T)
    seen, counts = walk(client, 'status=FAILED')
    assert counts == {104}
    assert sorted(seen) == sorted(matching)
    assert len(seen) == len(set(seen))


# --------------------------------------------------------------------------------------------------
# A page costs the same number of queries whatever its size.


@pytest.fixture
def linked_jobs(db):
    """105 FAILED jobs that each have a recipe, a batch, a node, an error, 2 input files and (but the
    first) a superseded job."""
    job_type = factories.job_type()
    workspace = factories.workspace()
    recipes = [factories.recipe() for _ in range(3)]
    batches = [factories.batch() for _ in range(3)]
    nodes = [factories.node() for _ in range(3)]
    errors = [factories.error(name) for name in ('algorithm-unknown', 'node-lost', 'timeout')]
    jobs = []
    for n in range(105):
        files = [factories.scale_file(workspace), factories.scale_file(workspace)]
        jobs.append(
            factories.job(
                job_type,
                'FAILED',
                superseded_job=jobs[-1] if jobs else None,
                is_superseded=False,
                recipe=recipes[n % 3],
                batch=batches[n % 3],
                node=nodes[n % 3],
                error=errors[n % 3],
                input_files=[('INPUT_FILE', files[0]), ('OTHER', files[1])],
            )
        )
    return jobs


QUERY_COUNT_QUERIES = [
    ('page_size=1', 1),
    ('page_size=100', 100),
    ('', 100),
    ('page_size=1000', 105),
    ('page_size=100&page=last', 5),
    ('order=-last_modified&page=1&page_size=20&status=FAILED&job_type_version=1.0.0', 20),
    ('order=error.category&order=-node&order=recipe&order=duration&page_size=100', 100),
]


def test_query_count_does_not_grow_with_the_page(client, linked_jobs, django_assert_num_queries):
    for query, size in QUERY_COUNT_QUERIES:
        # Token lookup, count, the page's ids, their rows (events and recipes joined), one query per
        # small lookup table (job types, revisions, batches, nodes, errors), input-file links with
        # their files.
        with django_assert_num_queries(10):
            response = get(client, query)
        assert response.status_code == 200, query
        body = response.json()
        assert body['count'] == 105, query
        assert len(body['results']) == size, query
        check_linked_items(body['results'])


def check_linked_items(items):
    for item in items:
        for key in ('recipe', 'batch', 'node', 'error', 'job_type', 'job_type_rev', 'event'):
            assert item[key] is not None, key
        assert item['recipe']['recipe_type']['title']
        assert sorted(item['input_files']) == ['INPUT_FILE', 'OTHER']
        assert all(len(names) == 1 for names in item['input_files'].values())
