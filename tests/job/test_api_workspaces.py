"""/v6/workspaces/ (shared/reference/scale-supporting-apis.md section 5): list, detail, create and
edit; only host brokers; writes need staff."""

import pytest
from rest_framework.test import APIClient

from job.models import Workspace
from tests import factories
from tests.factories import dt

pytestmark = pytest.mark.django_db

WORKSPACE_KEYS = {
    'id',
    'name',
    'title',
    'description',
    'base_url',
    'is_active',
    'created',
    'deprecated',
    'last_modified',
}
WORKSPACE_DETAIL_KEYS = WORKSPACE_KEYS | {'configuration'}
HOST = {'broker': {'type': 'host', 'host_path': '/data/products'}}


def create(client, **body):
    return client.post('/v6/workspaces/', body, format='json')


def names(response):
    assert response.status_code == 200, response.content
    return [item['name'] for item in response.json()['results']]


def assert_bad(response, path, *words):
    """A 400 naming `path` in errors and detail, with each of `words` in its messages."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert path in body['errors'], body
    assert f'"{path}"' in body['detail'] or path == '__all__', body
    for word in words:
        assert word in ' '.join(body['errors'][path]), body


# --- List and detail ---------------------------------------------------------------------------------


@pytest.fixture
def spaces():
    alpha = factories.set_fields(
        factories.workspace('alpha', title='Alpha', description='first'),
        last_modified=dt('2024-01-01T00:00:00Z'),
    )
    beta = factories.set_fields(
        factories.workspace('Beta-upper', title='beta'), last_modified=dt('2024-01-02T00:00:00Z')
    )
    gamma = factories.set_fields(
        factories.workspace('gamma', title='Gamma', is_active=False, deprecated=dt('2024-01-03T00:00:00Z')),
        last_modified=dt('2024-01-03T00:00:00Z'),
    )
    return {'alpha': alpha, 'beta': beta, 'gamma': gamma}


def test_list_shape_and_default_order_by_name_case_insensitively(client, spaces):
    response = client.get('/v6/workspaces/')

    assert names(response) == ['alpha', 'Beta-upper', 'gamma']
    body = response.json()
    assert body['count'] == 3
    assert set(body['results'][0]) == WORKSPACE_KEYS
    assert body['results'][2]['is_active'] is False
    assert body['results'][2]['deprecated'] == '2024-01-03T00:00:00Z'
    assert body['results'][0]['last_modified'] == '2024-01-01T00:00:00Z'


@pytest.mark.parametrize(
    ('query', 'expected'),
    [
        ('name=alpha', ['alpha']),
        ('name=alpha&name=gamma', ['alpha', 'gamma']),
        ('name=nothing', []),
        ('is_active=true', ['alpha', 'Beta-upper']),
        ('is_active=false', ['gamma']),
        ('started=2024-01-02T00:00:00Z', ['Beta-upper', 'gamma']),
        ('ended=2024-01-02T00:00:00.000Z', ['alpha', 'Beta-upper']),
        ('started=2024-01-01T12:00:00Z&ended=2024-01-02T12:00:00Z', ['Beta-upper']),
        ('order=-name', ['gamma', 'Beta-upper', 'alpha']),
        ('order=title', ['alpha', 'Beta-upper', 'gamma']),
        ('order=-last_modified', ['gamma', 'Beta-upper', 'alpha']),
        ('order=is_active&order=-name', ['gamma', 'Beta-upper', 'alpha']),
        ('sortField=name&unknown=1', ['alpha', 'Beta-upper', 'gamma']),
    ],
)
def test_list_filters_and_order(client, spaces, query, expected):
    assert names(client.get(f'/v6/workspaces/?{query}')) == expected


@pytest.mark.parametrize(
    ('query', 'parameter'),
    [
        ('is_active=maybe', 'is_active'),
        ('order=bogus', 'order'),
        ('started=yesterday', 'started'),
        ('started=2024-01-02T00:00:00Z&ended=2024-01-01T00:00:00Z', 'started'),
        ('page_size=0', 'page_size'),
        ('name=a%00b', 'name'),
    ],
)
def test_list_bad_parameters_are_400(client, spaces, query, parameter):
    response = client.get(f'/v6/workspaces/?{query}')

    assert response.status_code == 400
    assert parameter in response.json()['errors']


@pytest.mark.parametrize('page_size', [1, 100])
def test_list_runs_a_constant_number_of_queries(client, django_assert_num_queries, page_size):
    for _ in range(5):
        factories.workspace()
    # token lookup, count, page
    with django_assert_num_queries(3):
        response = client.get(f'/v6/workspaces/?page_size={page_size}')
    assert len(response.json()['results']) == min(page_size, 5)


def test_detail_adds_the_configuration(client):
    workspace = factories.workspace('detail', json_config=HOST, base_url='https://files.example/')

    for path in (f'/v6/workspaces/{workspace.id}/', f'/v6/workspaces/{workspace.id}'):
        response = client.get(path)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == WORKSPACE_DETAIL_KEYS
        assert body['configuration'] == HOST
        assert body['base_url'] == 'https://files.example/'


def test_detail_drops_the_version_and_masks_credentials(client):
    workspace = factories.workspace(
        json_config={
            'version': '1.0',
            'broker': {
                'type': 's3',
                'bucket_name': 'b',
                'credentials': {'access_key_id': 'AKIA', 'secret_access_key': 'S'},
            },
        }
    )

    configuration = client.get(f'/v6/workspaces/{workspace.id}/').json()['configuration']

    assert configuration == {
        'broker': {
            'type': 's3',
            'bucket_name': 'b',
            'credentials': {'access_key_id': '************', 'secret_access_key': '************'},
        }
    }


@pytest.mark.parametrize(
    'path', ['/v6/workspaces/999999/', '/v6/workspaces/abc/', '/v6/workspaces/1234567890123456789/']
)
def test_unknown_workspace_is_a_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


# --- Create ------------------------------------------------------------------------------------------


def test_create_answers_201_with_location_and_detail(staff_client):
    response = create(
        staff_client,
        name='products',
        title='Products',
        description='Where products go',
        base_url='https://files.example/products',
        configuration={'broker': {'type': 'host', 'host_path': '/data/products'}},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    workspace = Workspace.objects.get(name='products')
    assert response['Location'] == f'http://testserver/v6/workspaces/{workspace.id}/'
    assert set(body) == WORKSPACE_DETAIL_KEYS
    assert body['id'] == workspace.id
    assert body['title'] == 'Products'
    assert body['description'] == 'Where products go'
    assert body['base_url'] == 'https://files.example/products'
    assert body['is_active'] is True
    assert body['deprecated'] is None
    assert body['configuration'] == HOST
    assert workspace.json_config == HOST
    assert staff_client.get(response['Location']).json() == body


def test_create_without_the_trailing_slash(staff_client):
    response = staff_client.post(
        '/v6/workspaces', {'title': 'No slash', 'configuration': HOST}, format='json'
    )

    assert response.status_code == 201
    assert response.json()['name'] == 'no-slash'


def test_name_is_derived_from_the_title(staff_client):
    response = create(staff_client, title='My Raw_Data: 2024!', configuration=HOST)

    assert response.status_code == 201
    assert response.json()['name'] == 'my-raw-data-2024'


def test_derived_name_is_cut_to_30_characters_and_gets_a_suffix_on_a_clash(staff_client):
    title = 'A very long workspace title indeed'
    first = create(staff_client, title=title, configuration=HOST).json()['name']
    second = create(staff_client, title=title, configuration=HOST).json()['name']

    assert first == 'a-very-long-workspace-title-in'
    assert second.startswith(f'{first}-')
    assert len(second) == 50
    assert second != first


def test_a_title_without_letters_gives_a_usable_name(staff_client):
    response = create(staff_client, title='!!!', configuration=HOST)

    assert response.status_code == 201
    assert response.json()['name'] == 'workspace'


def test_explicit_name_clash_is_400(staff_client):
    factories.workspace('taken')

    assert_bad(create(staff_client, name='taken', title='T', configuration=HOST), 'name', 'already exists')


def test_inactive_at_creation_is_deprecated(staff_client):
    body = create(staff_client, title='Old', is_active=False, configuration=HOST).json()

    assert body['is_active'] is False
    assert body['deprecated'] is not None


def test_host_path_is_normalized(staff_client):
    body = create(
        staff_client,
        title='N',
        configuration={'version': '1.0', 'broker': {'type': 'host', 'host_path': '//data//x/./y/'}},
    ).json()

    assert body['configuration'] == {'broker': {'type': 'host', 'host_path': '/data/x/y'}}


LONG = 'x' * 51


@pytest.mark.parametrize(
    ('body', 'path', 'words'),
    [
        ({'configuration': HOST}, 'title', ['required']),
        ({'title': None, 'configuration': HOST}, 'title', ['null']),
        ({'title': '   ', 'configuration': HOST}, 'title', ['empty']),
        ({'title': 7, 'configuration': HOST}, 'title', ['string']),
        ({'title': LONG, 'configuration': HOST}, 'title', ['50']),
        ({'title': 'a\x00b', 'configuration': HOST}, 'title', ['NUL']),
        ({'title': 'T'}, 'configuration', ['required']),
        ({'title': 'T', 'configuration': None}, 'configuration', ['null']),
        ({'title': 'T', 'configuration': []}, 'configuration', ['object']),
        ({'title': 'T', 'configuration': {}}, 'configuration.broker', ['required']),
        ({'title': 'T', 'configuration': {'broker': 'host'}}, 'configuration.broker', ['object']),
        (
            {'title': 'T', 'configuration': {'broker': {'type': 's3', 'bucket_name': 'b'}}},
            'configuration.broker.type',
            ['"s3"', 'host'],
        ),
        ({'title': 'T', 'configuration': {'broker': {'type': 'nfs'}}}, 'configuration.broker.type', ['host']),
        ({'title': 'T', 'configuration': {'broker': {'type': 5}}}, 'configuration.broker.type', ['host']),
        (
            {'title': 'T', 'configuration': {'broker': {'host_path': '/x'}}},
            'configuration.broker.type',
            ['required'],
        ),
        (
            {'title': 'T', 'configuration': {'broker': {'type': 'host'}}},
            'configuration.broker.host_path',
            ['required'],
        ),
        (
            {'title': 'T', 'configuration': {'broker': {'type': 'host', 'host_path': 'data/x'}}},
            'configuration.broker.host_path',
            ['absolute'],
        ),
        (
            {'title': 'T', 'configuration': {'broker': {'type': 'host', 'host_path': '/data/../etc'}}},
            'configuration.broker.host_path',
            ['..'],
        ),
        (
            {'title': 'T', 'configuration': {'broker': {'type': 'host', 'host_path': '/data', 'extra': 1}}},
            'configuration.broker.extra',
            ['not a field'],
        ),
        (
            {'title': 'T', 'configuration': {'broker': HOST['broker'], 'x': 1}},
            'configuration.x',
            ['not a field'],
        ),
        ({'title': 'T', 'name': 'Upper', 'configuration': HOST}, 'name', ['^[a-z0-9]']),
        ({'title': 'T', 'name': '-lead', 'configuration': HOST}, 'name', ['^[a-z0-9]']),
        ({'title': 'T', 'name': 'a/b', 'configuration': HOST}, 'name', ['^[a-z0-9]']),
        ({'title': 'T', 'name': LONG, 'configuration': HOST}, 'name', ['50']),
        ({'title': 'T', 'name': 12, 'configuration': HOST}, 'name', ['string']),
        ({'title': 'T', 'is_active': 'true', 'configuration': HOST}, 'is_active', ['boolean']),
        ({'title': 'T', 'is_active': 1, 'configuration': HOST}, 'is_active', ['boolean']),
        ({'title': 'T', 'is_active': None, 'configuration': HOST}, 'is_active', ['null']),
        ({'title': 'T', 'base_url': 'ftp://files.example/', 'configuration': HOST}, 'base_url', ['http']),
        ({'title': 'T', 'base_url': 'not a url', 'configuration': HOST}, 'base_url', ['http']),
        (
            {'title': 'T', 'base_url': 'https://x.example/' + 'a' * 200, 'configuration': HOST},
            'base_url',
            ['200'],
        ),
        ({'title': 'T', 'description': 'd' * 501, 'configuration': HOST}, 'description', ['500']),
        ({'title': 'T', 'description': ['d'], 'configuration': HOST}, 'description', ['string']),
        ({'title': 'T', 'configuration': HOST, 'json_config': HOST}, 'json_config', ['not a field']),
    ],
)
def test_bad_create_bodies_are_400(staff_client, body, path, words):
    assert_bad(create(staff_client, **body), path, *words)
    assert not Workspace.objects.exists()


@pytest.mark.parametrize('body', [[], ['title'], 'title', 12, True])
def test_a_body_that_is_not_an_object_is_400(staff_client, body):
    response = staff_client.post('/v6/workspaces/', body, format='json')

    assert_bad(response, '__all__', 'object')


def test_every_problem_is_named_at_once(staff_client):
    response = create(staff_client, title=5, is_active='no', configuration={'broker': {'type': 'host'}})

    assert set(response.json()['errors']) == {'title', 'is_active', 'configuration.broker.host_path'}


@pytest.mark.parametrize(
    'content',
    [
        '{"title": "\\ud800", "configuration": {"broker": {"type": "host", "host_path": "/d"}}}',
        '{"title": "T", "\\udfff": 1, "configuration": {"broker": {"type": "\\ud800"}}}',
        '{"title": "T", "configuration": {"version": "\\u0000", "broker": {"type": "host", "host_path": "/d\\u0000"}}}',
        '{"title": "T", "configuration": {"broker": {"type": "host", "host_path": "/d"}}, "name": "a\\u0000"}',
        '{"title": "T", "configuration": {"broker": {"type": "host", "host_path": "/d"}}, "is_active": 1e400}',
    ],
)
def test_unstorable_text_is_400_not_500(staff_client, content):
    response = staff_client.post('/v6/workspaces/', content, content_type='application/json')

    assert response.status_code == 400, response.content
    # Named per field by the service, or (a number too large for a float) refused by the JSON parser.
    assert response.json().get('errors') or 'out of range' in response.json()['detail']
    assert not Workspace.objects.exists()


@pytest.mark.parametrize(
    ('content', 'content_type', 'status'),
    [
        ('title=T', 'application/x-www-form-urlencoded', 415),
        ('<workspace/>', 'application/xml', 415),
        ('{"title": "T",', 'application/json', 400),
        (
            '{"title": "T", "configuration": {"broker": {"type": "host", "host_path": "/d"}}, "x": NaN}',
            'application/json',
            400,
        ),
    ],
)
def test_unparseable_bodies(staff_client, content, content_type, status):
    response = staff_client.post('/v6/workspaces/', content, content_type=content_type)

    assert response.status_code == status
    assert 'detail' in response.json()


# --- Edit --------------------------------------------------------------------------------------------


@pytest.fixture
def editable():
    return factories.workspace(
        'editable', title='Editable', description='desc', base_url='https://files.example/', json_config=HOST
    )


def patch(client, workspace, **body):
    return client.patch(f'/v6/workspaces/{workspace.id}/', body, format='json')


def test_edit_answers_200_with_the_detail(staff_client, editable):
    response = patch(
        staff_client,
        editable,
        title='Renamed',
        configuration={'broker': {'type': 'host', 'host_path': '/mnt/new/'}},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == WORKSPACE_DETAIL_KEYS
    assert body['title'] == 'Renamed'
    assert body['name'] == 'editable'
    assert body['description'] == 'desc'
    assert body['configuration'] == {'broker': {'type': 'host', 'host_path': '/mnt/new'}}
    editable.refresh_from_db()
    assert editable.title == 'Renamed'
    assert editable.json_config == {'broker': {'type': 'host', 'host_path': '/mnt/new'}}


def test_explicit_null_and_empty_values_apply(staff_client, editable):
    body = patch(staff_client, editable, description=None, base_url=None).json()

    assert body['description'] == ''
    assert body['base_url'] is None
    assert patch(staff_client, editable, description='').json()['description'] == ''


def test_deactivating_stamps_deprecated_once_and_reactivating_clears_it(staff_client, editable):
    first = patch(staff_client, editable, is_active=False).json()
    assert first['is_active'] is False
    assert first['deprecated'] is not None

    again = patch(staff_client, editable, is_active=False).json()
    assert again['deprecated'] == first['deprecated']

    back = patch(staff_client, editable, is_active=True).json()
    assert back['is_active'] is True
    assert back['deprecated'] is None


def test_an_empty_edit_changes_nothing(staff_client, editable):
    response = staff_client.patch(f'/v6/workspaces/{editable.id}', {}, format='json')

    assert response.status_code == 200
    assert response.json()['title'] == 'Editable'


@pytest.mark.parametrize(
    ('body', 'path'),
    [
        ({'name': 'renamed'}, 'name'),
        ({'title': None}, 'title'),
        ({'title': ''}, 'title'),
        ({'is_active': 'false'}, 'is_active'),
        ({'is_active': None}, 'is_active'),
        ({'configuration': None}, 'configuration'),
        ({'configuration': {'broker': {'type': 's3'}}}, 'configuration.broker.type'),
        ({'base_url': 42}, 'base_url'),
        ({'created': '2024-01-01T00:00:00Z'}, 'created'),
    ],
)
def test_bad_edits_are_400_and_change_nothing(staff_client, editable, body, path):
    assert_bad(patch(staff_client, editable, **body), path)
    editable.refresh_from_db()
    assert (editable.name, editable.title, editable.is_active) == ('editable', 'Editable', True)


def test_edit_of_an_unknown_workspace_is_404(staff_client):
    response = staff_client.patch('/v6/workspaces/999999/', {'title': 'x'}, format='json')

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


def test_edit_with_a_list_body_is_400(staff_client, editable):
    assert_bad(staff_client.patch(f'/v6/workspaces/{editable.id}/', [1], format='json'), '__all__')


def test_put_and_delete_are_not_allowed(staff_client, editable):
    assert staff_client.put(f'/v6/workspaces/{editable.id}/', {}, format='json').status_code == 405
    assert staff_client.delete(f'/v6/workspaces/{editable.id}/').status_code == 405


# --- Auth --------------------------------------------------------------------------------------------


def test_anonymous_requests_are_401(anon_client, editable):
    assert anon_client.get('/v6/workspaces/').status_code == 401
    assert anon_client.get(f'/v6/workspaces/{editable.id}/').status_code == 401
    assert create(anon_client, title='T', configuration=HOST).status_code == 401
    assert patch(anon_client, editable, title='x').status_code == 401


def test_non_staff_users_read_but_cannot_write(client, editable):
    assert client.get('/v6/workspaces/').status_code == 200
    assert create(client, title='T', configuration=HOST).status_code == 403
    assert patch(client, editable, title='x').status_code == 403
    editable.refresh_from_db()
    assert editable.title == 'Editable'
    assert Workspace.objects.count() == 1


def test_public_read_lets_anonymous_clients_read_only(anon_client, public_read, editable):
    assert anon_client.get('/v6/workspaces/').status_code == 200
    assert anon_client.get(f'/v6/workspaces/{editable.id}/').status_code == 200
    assert create(anon_client, title='T', configuration=HOST).status_code == 401


def test_a_browser_session_writes_with_the_csrf_token(staff_user):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    assert create(browser, title='T', configuration=HOST).status_code == 403

    browser.get('/v6/workspaces/', HTTP_ACCEPT='text/html')  # the browsable page sets the cookie
    token = browser.cookies['csrftoken'].value
    response = browser.post(
        '/v6/workspaces/', {'title': 'T', 'configuration': HOST}, format='json', HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 201, response.content
