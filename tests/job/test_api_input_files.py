"""GET /v6/jobs/{id}/input_files/ (spec "v6 Job Input File List"; behaviour reference section 12;
the UI reads file_name, file_size, url, created, last_modified)."""

import pytest

from job.choices import FileType, JobStatus
from tests import factories
from tests.factories import dt
from tests.job.contract import SCALE_FILE_KEYS

pytestmark = pytest.mark.django_db


def timed_file(name, *, modified, source=None, data=None, **fields):
    """A file with fixed times: `modified` (last_modified), `source` and `data` (start, end) pairs."""
    source = source or (None, None)
    data = data or (None, None)
    file_ = factories.scale_file(
        file_name=name,
        source_started=source[0] and dt(source[0]),
        source_ended=source[1] and dt(source[1]),
        data_started=data[0] and dt(data[0]),
        data_ended=data[1] and dt(data[1]),
        **fields,
    )
    return factories.set_fields(file_, last_modified=dt(modified))


@pytest.fixture
def files():
    """Four files of one job, with times spread over January 2016 (the reference's test data), and a
    file of another job."""
    a = timed_file(
        'a.txt',
        modified='2016-01-10T00:00:00Z',
        source=('2016-01-10T00:00:00Z', '2016-01-11T00:00:00Z'),
        data=('2016-01-01T00:00:00Z', '2016-01-02T00:00:00Z'),
    )
    b = timed_file(
        'b.txt',
        modified='2016-01-11T00:00:00Z',
        source=('2016-01-11T00:00:00Z', '2016-01-12T00:00:00Z'),
        data=('2016-01-02T00:00:00Z', '2016-01-03T00:00:00Z'),
    )
    c = timed_file(
        'c.txt',
        modified='2016-01-12T00:00:00Z',
        source=('2016-01-12T00:00:00Z', '2016-01-13T00:00:00Z'),
        data=('2016-01-03T00:00:00Z', '2016-01-04T00:00:00Z'),
    )
    d = timed_file('d.txt', modified='2016-01-13T00:00:00Z')
    job_type = factories.job_type(
        manifest=factories.seed_manifest('two-inputs', inputs=['INPUT_A', 'INPUT_B']), name='two-inputs'
    )
    job = factories.job(
        job_type,
        JobStatus.QUEUED,
        input_files=[('INPUT_A', a), ('INPUT_A', b), ('INPUT_B', c), ('INPUT_B', d)],
    )
    stranger = timed_file('stranger.txt', modified='2016-01-10T12:00:00Z')
    other_job = factories.job(status=JobStatus.QUEUED, input_files=[('INPUT_FILE', stranger)])
    return {'job': job, 'a': a, 'b': b, 'c': c, 'd': d, 'stranger': stranger, 'other_job': other_job}


def names(response):
    assert response.status_code == 200, response.content
    return [item['file_name'] for item in response.json()['results']]


def test_only_the_jobs_files_in_last_modified_order(client, files):
    response = client.get(f'/v6/jobs/{files["job"].id}/input_files/')

    assert names(response) == ['a.txt', 'b.txt', 'c.txt', 'd.txt']
    assert response.json()['count'] == 4
    other = client.get(f'/v6/jobs/{files["other_job"].id}/input_files/')
    assert names(other) == ['stranger.txt']


def test_a_job_without_inputs_has_an_empty_page(client):
    job = factories.job(status=JobStatus.PENDING)

    response = client.get(f'/v6/jobs/{job.id}/input_files/')

    assert response.json() == {'count': 0, 'next': None, 'previous': None, 'results': []}


def test_a_file_linked_twice_is_listed_once(client):
    file_ = factories.scale_file(file_name='twice.txt')
    job_type = factories.job_type(manifest=factories.seed_manifest('twice', inputs=['A', 'B']), name='twice')
    job = factories.job(job_type, JobStatus.QUEUED, input_files=[('A', file_), ('B', file_)])

    response = client.get(f'/v6/jobs/{job.id}/input_files/')

    assert names(response) == ['twice.txt']
    assert response.json()['count'] == 1


def test_every_scale_file_key_is_present(client):
    workspace = factories.workspace('products', base_url='https://files.example/products/')
    job_type = factories.job_type('producer')
    producer = factories.job(job_type, JobStatus.COMPLETED)
    producer_exe = factories.execution(producer, status='COMPLETED')
    recipe = factories.recipe(factories.recipe_type('file-recipe', title='File Recipe'))
    batch = factories.batch(title='File batch')
    product = factories.scale_file(
        workspace,
        'product.h5',
        file_path='out/7/product.h5',
        file_size=123456789,
        media_type='application/x-hdf5',
        file_type=FileType.PRODUCT,
        data_type_tags=['tag-a', 'tag-b'],
        countries=['USA', 'CAN'],
        geometry='POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))',
        center_point='POINT (0.5 0.5)',
        source_sensor_class='classA',
        source_sensor='1',
        source_collection='12345',
        source_task='my-task',
        data_started=dt('2016-01-01T00:00:00Z'),
        data_ended=dt('2016-01-02T00:00:00Z'),
        source_started=dt('2016-01-10T00:00:00Z'),
        source_ended=dt('2016-01-11T00:00:00Z'),
        created=dt('2016-01-12T00:00:00Z'),
        job_type=job_type,
        job=producer,
        job_exe=producer_exe,
        job_output='OUTPUT',
        recipe_type=recipe.recipe_type,
        recipe=recipe,
        recipe_node='node-a',
        batch=batch,
    )
    consumer = factories.job(status=JobStatus.QUEUED, input_files=[('INPUT_FILE', product)])

    response = client.get(f'/v6/jobs/{consumer.id}/input_files/')

    assert response.status_code == 200
    item = response.json()['results'][0]
    assert set(item) == SCALE_FILE_KEYS
    assert item['id'] == product.id
    assert item['file_name'] == 'product.h5'
    assert item['workspace'] == {'id': workspace.id, 'name': 'products'}
    assert item['data_type_tags'] == ['tag-a', 'tag-b']
    assert item['media_type'] == 'application/x-hdf5'
    assert item['file_type'] == 'PRODUCT'
    assert item['file_size'] == 123456789
    assert item['file_path'] == 'out/7/product.h5'
    assert item['is_deleted'] is False
    assert item['deleted'] is None
    assert item['url'] == 'https://files.example/products/out/7/product.h5'
    assert item['created'] == '2016-01-12T00:00:00Z'
    assert item['data_started'] == '2016-01-01T00:00:00Z'
    assert item['data_ended'] == '2016-01-02T00:00:00Z'
    assert item['source_started'] == '2016-01-10T00:00:00Z'
    assert item['source_ended'] == '2016-01-11T00:00:00Z'
    assert item['source_sensor_class'] == 'classA'
    assert item['source_sensor'] == '1'
    assert item['source_collection'] == '12345'
    assert item['source_task'] == 'my-task'
    assert item['last_modified'] is not None
    assert item['geometry'] == 'POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))'
    assert item['center_point'] == 'POINT (0.5 0.5)'
    assert item['countries'] == ['USA', 'CAN']
    assert item['job_type']['id'] == job_type.id
    assert item['job_type']['name'] == 'producer'
    assert item['job'] == {'id': producer.id}
    assert item['job_exe'] == {'id': producer_exe.id}
    assert item['job_output'] == 'OUTPUT'
    assert item['recipe_type'] == {
        'id': recipe.recipe_type_id,
        'name': 'file-recipe',
        'title': 'File Recipe',
        'description': '',
        'revision_num': 1,
    }
    assert item['recipe'] == {'id': recipe.id}
    assert item['recipe_node'] == 'node-a'
    assert item['batch'] == {
        'id': batch.id,
        'title': 'File batch',
        'description': '',
        'created': batch.created.isoformat().replace('+00:00', 'Z'),
    }
    assert item['is_superseded'] is False
    assert item['superseded'] is None


def test_a_source_file_has_null_provenance_and_no_url_without_a_base_url(client):
    source = factories.scale_file(factories.workspace(base_url=None), 'source.txt')
    job = factories.job(status=JobStatus.QUEUED, input_files=[('INPUT_FILE', source)])

    item = client.get(f'/v6/jobs/{job.id}/input_files/').json()['results'][0]

    assert set(item) == SCALE_FILE_KEYS
    assert item['url'] is None
    assert item['file_type'] == 'SOURCE'
    for key in ('job_type', 'job', 'job_exe', 'job_output', 'recipe_type', 'recipe', 'recipe_node', 'batch'):
        assert item[key] is None, key


def test_url_joins_base_url_and_path_with_one_slash(client):
    workspace = factories.workspace(base_url='https://files.example/root')
    file_ = factories.scale_file(workspace, 'x.txt', file_path='/dir/x.txt')
    job = factories.job(status=JobStatus.QUEUED, input_files=[('INPUT_FILE', file_)])

    item = client.get(f'/v6/jobs/{job.id}/input_files/').json()['results'][0]

    assert item['url'] == 'https://files.example/root/dir/x.txt'


@pytest.mark.parametrize(
    ('query', 'expected'),
    [
        # Default time_field: last_modified (a: 10th, b: 11th, c: 12th, d: 13th), both bounds inclusive.
        ('started=2016-01-11T00:00:00Z', ['b.txt', 'c.txt', 'd.txt']),
        ('ended=2016-01-11T00:00:00Z', ['a.txt', 'b.txt']),
        ('started=2016-01-11T00:00:00Z&ended=2016-01-12T00:00:00Z', ['b.txt', 'c.txt']),
        ('started=2016-01-11T00:00:00Z&time_field=last_modified', ['b.txt', 'c.txt', 'd.txt']),
        ('started=2016-01-10T19:00:00-05:00', ['b.txt', 'c.txt', 'd.txt']),
        ('started=2016-01-11T00:00:00.000Z', ['b.txt', 'c.txt', 'd.txt']),
        # source: source_started >= started, source_ended <= ended (d has no source times).
        ('time_field=source&started=2016-01-11T00:00:00Z', ['b.txt', 'c.txt']),
        ('time_field=source&ended=2016-01-12T00:00:00Z', ['a.txt', 'b.txt']),
        (
            'time_field=source&started=2016-01-10T00:00:00Z&ended=2016-01-13T00:00:00Z',
            ['a.txt', 'b.txt', 'c.txt'],
        ),
        ('time_field=source&started=2016-01-10T12:00:00Z&ended=2016-01-12T12:00:00Z', ['b.txt']),
        # data: data_started >= started, data_ended <= ended.
        ('time_field=data&started=2016-01-02T00:00:00Z', ['b.txt', 'c.txt']),
        ('time_field=data&ended=2016-01-03T00:00:00Z', ['a.txt', 'b.txt']),
        ('time_field=data&started=2016-01-02T00:00:00Z&ended=2016-01-03T00:00:00Z', ['b.txt']),
        # time_field alone filters nothing.
        ('time_field=source', ['a.txt', 'b.txt', 'c.txt', 'd.txt']),
        ('time_field=DATA&started=2016-01-02T00:00:00Z', ['b.txt', 'c.txt']),
    ],
)
def test_time_filters(client, files, query, expected):
    response = client.get(f'/v6/jobs/{files["job"].id}/input_files/?{query}')

    assert names(response) == expected


@pytest.mark.parametrize(
    ('query', 'parameter'),
    [
        ('time_field=created', 'time_field'),
        ('time_field=bogus', 'time_field'),
        ('started=yesterday', 'started'),
        ('ended=2016-13-01T00:00:00Z', 'ended'),
        ('started=2016-01-12T00:00:00Z&ended=2016-01-11T00:00:00Z', 'started'),
        ('started=2016-01-12T00:00:00Z&ended=2016-01-12T00:00:00Z', 'started'),
        ('page=0', 'page'),
        ('page_size=abc', 'page_size'),
    ],
)
def test_bad_parameters_are_400(client, files, query, parameter):
    response = client.get(f'/v6/jobs/{files["job"].id}/input_files/?{query}')

    assert response.status_code == 400
    assert parameter in response.json()['errors']
    assert f'"{parameter}"' in response.json()['detail']


def test_file_name(client, files):
    url = f'/v6/jobs/{files["job"].id}/input_files/'

    assert names(client.get(url, {'file_name': 'b.txt'})) == ['b.txt']
    assert names(client.get(url, {'file_name': ['b.txt', 'd.txt']})) == ['b.txt', 'd.txt']
    # Exact match only, and only this job's files.
    assert names(client.get(url, {'file_name': 'b'})) == []
    assert names(client.get(url, {'file_name': 'stranger.txt'})) == []
    assert names(client.get(url, {'file_name': 'foo.bar'})) == []


def test_job_input(client, files):
    url = f'/v6/jobs/{files["job"].id}/input_files/'

    assert names(client.get(url, {'job_input': 'INPUT_A'})) == ['a.txt', 'b.txt']
    assert names(client.get(url, {'job_input': 'INPUT_B'})) == ['c.txt', 'd.txt']
    assert names(client.get(url, {'job_input': 'INPUT_B', 'file_name': 'c.txt'})) == ['c.txt']
    assert names(client.get(url, {'job_input': 'INPUT_FILE'})) == []


def test_job_input_is_scoped_to_the_job(client, files):
    # File a is also given to a second job, under another input name.
    second = factories.job(status=JobStatus.QUEUED, input_files=[('ELSEWHERE', files['a'])])
    url = f'/v6/jobs/{files["job"].id}/input_files/'

    assert names(client.get(url, {'job_input': 'ELSEWHERE'})) == []
    assert names(client.get(url, {'job_input': 'INPUT_A'})) == ['a.txt', 'b.txt']
    assert names(client.get(f'/v6/jobs/{second.id}/input_files/', {'job_input': 'ELSEWHERE'})) == ['a.txt']
    assert names(client.get(f'/v6/jobs/{second.id}/input_files/', {'job_input': 'INPUT_A'})) == []


@pytest.mark.parametrize('path', ['/v6/jobs/999999/input_files/', '/v6/jobs/999999/input_files'])
def test_unknown_job_is_404(client, files, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


def test_pagination(client, files):
    url = f'/v6/jobs/{files["job"].id}/input_files/'

    first = client.get(url, {'page_size': 3})
    second = client.get(url, {'page_size': 3, 'page': 2})
    last = client.get(url, {'page_size': 3, 'page': 'last'})

    assert names(first) == ['a.txt', 'b.txt', 'c.txt']
    assert first.json()['count'] == 4
    assert first.json()['previous'] is None
    assert first.json()['next'] == f'http://testserver{url}?page=2&page_size=3'
    assert names(second) == ['d.txt']
    assert second.json()['next'] is None
    assert names(last) == ['d.txt']
    past = client.get(url, {'page_size': 3, 'page': 3})
    assert past.status_code == 404
    assert past.json() == {'detail': 'Invalid page.'}
    assert names(client.get(url, {'page_size': 'null'})) == ['a.txt', 'b.txt', 'c.txt', 'd.txt']


def test_query_count_does_not_depend_on_page_size(client, django_assert_num_queries):
    recipe = factories.recipe()
    links = []
    for number in range(5):
        product = factories.scale_file(
            factories.workspace(base_url=f'https://w{number}.example/'),
            file_type=FileType.PRODUCT,
            job_type=factories.job_type(),
            recipe_type=recipe.recipe_type,
            recipe=recipe,
            batch=factories.batch(),
        )
        links.append(('INPUT_FILE', product))
    job = factories.job(status=JobStatus.QUEUED, input_files=links)

    # Token, job existence, count, page.
    with django_assert_num_queries(4):
        small = client.get(f'/v6/jobs/{job.id}/input_files/', {'page_size': 1})
    with django_assert_num_queries(4):
        large = client.get(f'/v6/jobs/{job.id}/input_files/', {'page_size': 100})
    assert len(small.json()['results']) == 1
    assert len(large.json()['results']) == 5
    assert all(item['url'].startswith('https://w') for item in large.json()['results'])
