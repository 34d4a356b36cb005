"""/v6/errors/ (shared/reference/scale-supporting-apis.md section 9; the Scale web UI's Job Type
History page, scale-ui-client.md 5.3 and checklist item 25), and the OpenAPI description of the
workspaces, files and errors endpoints."""

import pytest

from job.choices import ErrorCategory, FileType, JobStatus
from job.filters.errors import ErrorFilterSet
from job.filters.storage import ScaleFileFilterSet, WorkspaceFilterSet
from job.models import Error
from job.services import storage
from tests import factories
from tests.factories import dt

pytestmark = pytest.mark.django_db

ERROR_KEYS = {
    'id',
    'name',
    'title',
    'description',
    'job_type_name',
    'category',
    'is_builtin',
    'should_be_retried',
    'created',
    'last_modified',
}

# The reference's table of builtin errors: name -> (title, category, should_be_retried).
BUILTIN_ERRORS = {
    'unknown': ('Unknown', 'SYSTEM', True),
    'database': ('Database', 'SYSTEM', True),
    'database-operation': ('Database Operation', 'SYSTEM', True),
    'filesystem-io': ('Filesystem I/O', 'SYSTEM', True),
    'task-launch': ('Task Launch', 'SYSTEM', True),
    'docker-task-launch': ('Docker Launch', 'SYSTEM', True),
    'docker-terminated': ('Docker Terminated', 'SYSTEM', True),
    'node-lost': ('Node Lost', 'SYSTEM', True),
    'resource-starvation': ('Resource Starvation', 'SYSTEM', True),
    'launch-timeout': ('Launch Timeout', 'SYSTEM', True),
    'pull-timeout': ('Pull-task Timeout', 'SYSTEM', True),
    'pre-timeout': ('Pre-task Timeout', 'SYSTEM', True),
    'post-timeout': ('Post-task Timeout', 'SYSTEM', True),
    'system-timeout': ('Timeout', 'SYSTEM', True),
    'timeout': ('Timeout', 'ALGORITHM', False),
    'pull': ('Docker Pull Failed', 'SYSTEM', True),
    'algorithm-unknown': ('Algorithm Failure', 'ALGORITHM', False),
    'invalid-results-manifest': ('Invalid Results Manifest', 'ALGORITHM', False),
    'missing-required-output': ('Missing Required Output', 'ALGORITHM', False),
    'missing-setting': ('Missing Setting', 'SYSTEM', False),
    'missing-mount': ('Missing Mount', 'SYSTEM', False),
    'unexpected-multiple-outputs': ('Unexpected Multiple Outputs', 'ALGORITHM', False),
    'scheduler-lost': ('Scheduler Restarted', 'SYSTEM', True),
    'deleted-file': ('Deleted File', 'SYSTEM', False),
    'missing-file': ('Missing File', 'SYSTEM', False),
    'ingest-timeout': ('Ingest Timeout', 'SYSTEM', True),
    'test': ('Test Error', 'SYSTEM', False),
}


def job_type_error(job_type_name, name, category=ErrorCategory.DATA, *, modified, **fields):
    error = Error.objects.create(
        job_type_name=job_type_name,
        name=name,
        title=fields.pop('title', f'{name} title'),
        category=category,
        **fields,
    )
    return factories.set_fields(error, last_modified=dt(modified))


@pytest.fixture
def seeded():
    """Errors of two job types on top of the builtin ones."""
    return {
        'bad-input': job_type_error('sensor-proc', 'bad-input', modified='2024-01-01T00:00:00Z'),
        'no-space': job_type_error(
            'sensor-proc',
            'no-space',
            ErrorCategory.SYSTEM,
            modified='2024-01-03T00:00:00Z',
            should_be_retried=True,
        ),
        'crash': job_type_error(
            'sensor-proc', 'crash', ErrorCategory.ALGORITHM, modified='2024-01-02T00:00:00Z'
        ),
        'other-crash': job_type_error(
            'other', 'crash', ErrorCategory.ALGORITHM, modified='2024-01-04T00:00:00Z'
        ),
    }


def results(response):
    assert response.status_code == 200, response.content
    return response.json()['results']


def names(response):
    return [(item['job_type_name'], item['name']) for item in results(response)]


def test_every_builtin_error_of_the_reference_is_served(client):
    items = results(client.get('/v6/errors/?is_builtin=true&page_size=1000'))

    served = {item['name']: item for item in items}
    assert set(BUILTIN_ERRORS) <= set(served)
    for name, (title, category, retried) in BUILTIN_ERRORS.items():
        item = served[name]
        assert (item['title'], item['category'], item['should_be_retried']) == (title, category, retried), (
            name
        )
        assert item['is_builtin'] is True, name
        assert item['job_type_name'] is None, name


def test_list_shape_and_default_order_by_name(client, seeded):
    items = results(client.get('/v6/errors/?page_size=1000'))

    assert set(items[0]) == ERROR_KEYS
    assert [item['name'] for item in items] == sorted(item['name'] for item in items)
    # Equal names keep a stable order (id).
    crashes = [item for item in items if item['name'] == 'crash']
    assert [item['job_type_name'] for item in crashes] == ['sensor-proc', 'other']


def test_the_ui_job_type_history_query(client, seeded):
    response = client.get('/v6/errors/?page=1&job_type_name=sensor-proc&order=-last_modified')

    assert response.json()['count'] == 3
    items = results(response)
    assert [item['name'] for item in items] == ['no-space', 'crash', 'bad-input']
    for item in items:
        assert item['title'] and item['category'] and item['created'] and item['last_modified']
    assert items[0]['last_modified'] == '2024-01-03T00:00:00Z'


@pytest.mark.parametrize(
    ('query', 'expected'),
    [
        (
            'job_type_name=sensor-proc&job_type_name=other',
            [
                ('sensor-proc', 'bad-input'),
                ('sensor-proc', 'crash'),
                ('other', 'crash'),
                ('sensor-proc', 'no-space'),
            ],
        ),
        ('job_type_name=other', [('other', 'crash')]),
        ('job_type_name=sensor-proc&category=SYSTEM', [('sensor-proc', 'no-space')]),
        (
            'job_type_name=sensor-proc&category=data&category=ALGORITHM',
            [('sensor-proc', 'bad-input'), ('sensor-proc', 'crash')],
        ),
        ('name=crash', [('sensor-proc', 'crash'), ('other', 'crash')]),
        ('name=crash&is_builtin=false&order=-job_type_name', [('sensor-proc', 'crash'), ('other', 'crash')]),
        (
            'is_builtin=false&started=2024-01-02T00:00:00Z&ended=2024-01-03T00:00:00.000Z',
            [('sensor-proc', 'crash'), ('sensor-proc', 'no-space')],
        ),
        ('name=node-lost', [(None, 'node-lost')]),
        ('name=timeout&name=system-timeout&order=category', [(None, 'timeout'), (None, 'system-timeout')]),
        (
            'is_builtin=false&order=title',
            [
                ('sensor-proc', 'bad-input'),
                ('sensor-proc', 'crash'),
                ('other', 'crash'),
                ('sensor-proc', 'no-space'),
            ],
        ),
        ('job_type_name=nobody', []),
    ],
)
def test_list_filters_and_order(client, seeded, query, expected):
    assert names(client.get(f'/v6/errors/?{query}')) == expected


def test_builtin_and_category_filters_count(client, seeded):
    assert (
        client.get('/v6/errors/?is_builtin=true').json()['count']
        == Error.objects.filter(is_builtin=True).count()
    )
    algorithm = client.get('/v6/errors/?category=ALGORITHM&page_size=1000').json()
    assert {item['category'] for item in algorithm['results']} == {'ALGORITHM'}
    assert algorithm['count'] == Error.objects.filter(category='ALGORITHM').count()


@pytest.mark.parametrize(
    ('query', 'parameter'),
    [
        ('category=BOGUS', 'category'),
        ('is_builtin=sometimes', 'is_builtin'),
        ('order=bogus', 'order'),
        ('order=-description', 'order'),
        ('started=2024-13-01T00:00:00Z', 'started'),
        ('started=2024-01-02T00:00:00Z&ended=2024-01-01T00:00:00Z', 'started'),
        ('page=abc', 'page'),
        ('page_size=-5', 'page_size'),
        ('name=a%00', 'name'),
    ],
)
def test_list_bad_parameters_are_400(client, query, parameter):
    response = client.get(f'/v6/errors/?{query}')

    assert response.status_code == 400
    assert parameter in response.json()['errors']
    assert f'"{parameter}"' in response.json()['detail']


def test_a_page_past_the_end_is_404(client):
    response = client.get('/v6/errors/?page=999')

    assert response.status_code == 404
    assert response.json() == {'detail': 'Invalid page.'}


@pytest.mark.parametrize('page_size', [1, 100])
def test_list_runs_a_constant_number_of_queries(client, seeded, django_assert_num_queries, page_size):
    # token lookup, count, page
    with django_assert_num_queries(3):
        response = client.get(f'/v6/errors/?page_size={page_size}')
    assert len(response.json()['results']) == min(page_size, Error.objects.count())


def test_detail(client, seeded):
    error = seeded['no-space']

    for path in (f'/v6/errors/{error.id}/', f'/v6/errors/{error.id}'):
        body = client.get(path).json()
        assert set(body) == ERROR_KEYS
        assert body['id'] == error.id
        assert (body['name'], body['job_type_name'], body['category'], body['should_be_retried']) == (
            'no-space',
            'sensor-proc',
            'SYSTEM',
            True,
        )
        assert body['is_builtin'] is False


@pytest.mark.parametrize('path', ['/v6/errors/999999/', '/v6/errors/x/', '/v6/errors/-1/'])
def test_unknown_error_is_a_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


def test_errors_are_read_only(staff_client):
    error = factories.error('unknown')

    assert staff_client.post('/v6/errors/', {'name': 'x'}, format='json').status_code == 405
    assert staff_client.patch(f'/v6/errors/{error.id}/', {'title': 'x'}, format='json').status_code == 405


def test_anonymous_requests_are_401(anon_client):
    assert anon_client.get('/v6/errors/').status_code == 401
    assert anon_client.get(f'/v6/errors/{factories.error("unknown").id}/').status_code == 401


def test_public_read(anon_client, public_read):
    assert anon_client.get('/v6/errors/?page=1&job_type_name=x&order=-last_modified').status_code == 200


# --- OpenAPI description of the workspaces, files and errors endpoints ------------------------------

LISTS = {
    '/v6/workspaces/': WorkspaceFilterSet,
    '/v6/files/': ScaleFileFilterSet,
    '/v6/errors/': ErrorFilterSet,
}
DETAILS = ['/v6/workspaces/{workspace_id}/', '/v6/files/{file_id}/', '/v6/errors/{error_id}/']
FILES_PARAMETERS = {
    'data_started',
    'data_ended',
    'created_started',
    'created_ended',
    'source_started',
    'source_ended',
    'modified_started',
    'modified_ended',
    'source_sensor_class',
    'source_sensor',
    'source_collection',
    'source_task',
    'job_type_id',
    'job_id',
    'recipe_id',
    'recipe_type_id',
    'batch_id',
    'job_type_name',
    'job_output',
    'recipe_node',
    'file_name',
    'file_name_search',
    'file_type',
    'media_type',
    'countries',
    'order',
    'page',
    'page_size',
}
# Request bodies: operation -> (path, method, the keys the service accepts, required keys).
BODIES = {
    'create workspace': (
        '/v6/workspaces/',
        'post',
        storage.WORKSPACE_CREATE_KEYS,
        {'title', 'configuration'},
    ),
    'edit workspace': ('/v6/workspaces/{workspace_id}/', 'patch', storage.WORKSPACE_EDIT_KEYS, set()),
    'register file': ('/v6/files/', 'post', storage.FILE_KEYS, {'workspace', 'file_path'}),
}


@pytest.fixture(scope='module')
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get('/v6/schema/', {'format': 'json'})
    assert response.status_code == 200
    return response.json()


def component(schema, reference):
    return schema['components']['schemas'][reference['$ref'].rsplit('/', 1)[-1]]


def query_parameters(schema, path):
    return {p['name']: p for p in schema['paths'][path]['get'].get('parameters', []) if p['in'] == 'query'}


@pytest.mark.parametrize('path', list(LISTS))
def test_every_list_documents_its_filters_and_400(schema, path):
    assert set(query_parameters(schema, path)) == set(LISTS[path].base_filters)
    assert {'200', '400', '401', '404'} <= set(schema['paths'][path]['get']['responses'])


def test_files_list_documents_the_reference_parameters(schema):
    parameters = query_parameters(schema, '/v6/files/')

    assert set(parameters) == FILES_PARAMETERS
    assert set(parameters['file_type']['schema']['items']['enum']) == set(FileType.values)
    assert parameters['job_id']['schema']['items']['type'] == 'integer'
    assert parameters['file_name_search']['schema']['type'] == 'string'


def test_errors_list_documents_categories(schema):
    parameters = query_parameters(schema, '/v6/errors/')

    assert set(parameters['category']['schema']['items']['enum']) == set(ErrorCategory.values)
    assert parameters['is_builtin']['schema']['type'] == 'boolean'
    assert '-last_modified' in parameters['order']['schema']['items']['enum']


@pytest.mark.parametrize('path', DETAILS)
def test_every_detail_is_documented(schema, path):
    assert {'200', '401', '404'} <= set(schema['paths'][path]['get']['responses'])


@pytest.mark.parametrize('operation', list(BODIES))
def test_request_bodies_document_exactly_the_accepted_keys(schema, operation):
    path, method, keys, required = BODIES[operation]
    documented = schema['paths'][path][method]
    body = component(schema, documented['requestBody']['content']['application/json']['schema'])

    assert set(body['properties']) == set(keys)
    assert set(body.get('required', [])) == required
    assert {'400', '401', '403'} <= set(documented['responses'])
    error = component(schema, documented['responses']['400']['content']['application/json']['schema'])
    assert {'detail', 'errors'} <= set(error['properties'])


def test_responses_of_the_writes(schema):
    create = schema['paths']['/v6/workspaces/']['post']['responses']
    edit = schema['paths']['/v6/workspaces/{workspace_id}/']['patch']['responses']
    register = schema['paths']['/v6/files/']['post']['responses']

    workspace = component(schema, create['201']['content']['application/json']['schema'])
    assert 'configuration' in workspace['properties']
    assert component(schema, edit['200']['content']['application/json']['schema']) == workspace
    scale_file = component(schema, register['201']['content']['application/json']['schema'])
    assert 'meta_data' in scale_file['properties']


def test_job_type_name_means_the_errors_its_manifest_declares(client, seeded):
    """Not the errors its jobs failed with: a builtin error a sensor-proc job failed with is not among
    sensor-proc's errors (the Error model's job_type_name, as the UI's mock server filters)."""
    job_type = factories.job_type('sensor-proc')
    factories.job(job_type, JobStatus.FAILED, error=factories.error('node-lost'))

    response = client.get('/v6/errors/?page=1&job_type_name=sensor-proc&order=-last_modified')

    assert {item['name'] for item in results(response)} == {'no-space', 'crash', 'bad-input'}
    assert {item['job_type_name'] for item in results(response)} == {'sensor-proc'}


@pytest.mark.parametrize('key', ['created', 'last_modified', 'title', 'category', 'name', 'id'])
def test_the_ui_order_over_every_error_field(client, seeded, key):
    def values(order):
        items = results(client.get(f'/v6/errors/?page_size=1000&order={order}'))
        return [item[key].lower() if key == 'title' else item[key] for item in items]

    forward, backward = values(key), values(f'-{key}')

    assert len(forward) == Error.objects.count()
    assert forward == sorted(forward)
    assert backward == sorted(forward, reverse=True)
