"""GET /v6/job-types/, /v6/job-type-names/, /v6/job-types/{name}/, the detail and the revisions:
shapes, filters, SemVer order, paging and a constant number of queries."""

import pytest
from openapi_spec_validator import validate

from job.filters.job_types import (
    JobTypeFilterSet,
    JobTypeNameFilterSet,
    JobTypeRevisionFilterSet,
    JobTypeVersionFilterSet,
)
from job.models import JobTypeRevision
from tests import factories
from tests.job.contract import JOB_TYPE_KEYS

pytestmark = pytest.mark.django_db

LIST_KEYS = JOB_TYPE_KEYS | {
    'max_scheduled',
    'max_tries',
    'revision_num',
    'docker_image',
    'created',
    'deprecated',
    'paused',
    'last_modified',
}
DETAIL_KEYS = LIST_KEYS | {'manifest', 'configuration', 'recipe_types'}
NAME_KEYS = {
    'name',
    'title',
    'description',
    'is_active',
    'is_system',
    'is_paused',
    'is_published',
    'icon_code',
    'unmet_resources',
    'versions',
    'latest_version',
}


def make(name, version='1.0.0', *, title=None, tags=(), **fields):
    manifest = factories.seed_manifest(name, version)
    manifest['job']['tags'] = list(tags)
    if title:
        manifest['job']['title'] = title
    return factories.job_type(name, version, manifest=manifest, **fields)


def results(response):
    assert response.status_code == 200, response.content
    return response.json()['results']


def pairs(response):
    return [(row['name'], row['version']) for row in results(response)]


@pytest.fixture
def catalog():
    return {
        'ortho': make('ortho', title='Orthorectify', tags=['landsat', 'geometry']),
        'ortho2': make('ortho', '1.10.0', title='Orthorectify', tags=['landsat']),
        'ortho3': make('ortho', '1.2.0', title='Orthorectify', tags=['landsat'], is_active=False),
        'cloud': make('cloud-mask', title='Cloud Mask', tags=['Optical', 'LANDSAT-8']),
        'ingest': make('scale-ingest', title='Scale Ingest', tags=['system'], is_system=True),
    }


def test_list_item_shape(client, catalog):
    rows = results(client.get('/v6/job-types/'))

    assert len(rows) == 5
    for row in rows:
        assert set(row) == LIST_KEYS
    ortho = next(row for row in rows if row['id'] == catalog['ortho'].id)
    assert (ortho['title'], ortho['revision_num'], ortho['max_tries']) == ('Orthorectify', 1, 3)
    assert ortho['unmet_resources'] is None and ortho['docker_image'] == 'ortho:1.0.0'


def test_default_order_is_name_then_semver(client, catalog):
    assert pairs(client.get('/v6/job-types/')) == [
        ('cloud-mask', '1.0.0'),
        ('ortho', '1.0.0'),
        ('ortho', '1.2.0'),
        ('ortho', '1.10.0'),
        ('scale-ingest', '1.0.0'),
    ]


def test_the_web_ui_query(client, catalog):
    response = client.get(
        '/v6/job-types/', {'page': 1, 'page_size': 1000, 'is_active': 'true', 'order': 'title'}
    )

    assert [row['title'] for row in results(response)] == [
        'Cloud Mask',
        'Orthorectify',
        'Orthorectify',
        'Scale Ingest',
    ]
    assert response.json()['count'] == 4


@pytest.mark.parametrize(
    ('params', 'expected'),
    [
        ({'keyword': 'landsat'}, {'ortho', 'ortho2', 'ortho3', 'cloud'}),  # tags, case-insensitive
        ({'keyword': 'MASK'}, {'cloud'}),  # name
        ({'keyword': 'rectify'}, {'ortho', 'ortho2', 'ortho3'}),  # title
        ({'keyword': 'geometry'}, {'ortho'}),
        ({'keyword': ['geometry', 'ingest']}, {'ortho', 'ingest'}),  # repeated: OR
        ({'keyword': '%'}, set()),  # LIKE wildcards are literal
        ({'keyword': '_'}, set()),
        ({'keyword': '", "'}, set()),  # never matches across two tags
        ({'is_active': 'false'}, {'ortho3'}),
        ({'is_system': 'true'}, {'ingest'}),
        ({'is_system': 'false', 'keyword': 'landsat', 'is_active': 'true'}, {'ortho', 'ortho2', 'cloud'}),
    ],
)
def test_filters(client, catalog, params, expected):
    rows = results(client.get('/v6/job-types/', params))

    assert sorted(row['id'] for row in rows) == sorted(catalog[key].id for key in expected)


def test_a_type_matching_several_tags_is_one_row(client):
    make('many-tags', tags=['landsat-7', 'landsat-8', 'landsat-9'])

    response = client.get('/v6/job-types/', {'keyword': ['landsat', 'many']})

    assert response.json()['count'] == 1


def test_id_filter(client, catalog):
    ids = [catalog['cloud'].id, catalog['ingest'].id]

    assert sorted(row['id'] for row in results(client.get('/v6/job-types/', {'id': ids}))) == sorted(ids)


@pytest.mark.parametrize(
    ('order', 'expected'),
    [
        ('-name', ['scale-ingest', 'ortho', 'ortho', 'ortho', 'cloud-mask']),
        ('-version', ['1.10.0', '1.2.0', '1.0.0', '1.0.0', '1.0.0']),
        ('version', ['1.0.0', '1.0.0', '1.0.0', '1.2.0', '1.10.0']),
    ],
)
def test_order(client, catalog, order, expected):
    rows = results(client.get('/v6/job-types/', {'order': order}))

    assert [row['name' if 'name' in order else 'version'] for row in rows] == expected


def test_order_by_several_keys_and_ids(client, catalog):
    rows = results(client.get('/v6/job-types/', {'order': ['-is_active', 'name', '-version']}))

    assert [(row['name'], row['version']) for row in rows][-1] == ('ortho', '1.2.0')  # the inactive one
    assert pairs(client.get('/v6/job-types/', {'order': '-id'}))[0] == ('scale-ingest', '1.0.0')
    assert results(client.get('/v6/job-types/', {'order': 'created'}))[0]['id'] == catalog['ortho'].id


@pytest.mark.parametrize(
    ('params', 'name'),
    [
        ({'order': 'manifest'}, 'order'),
        ({'order': 'job_type'}, 'order'),
        ({'is_active': 'maybe'}, 'is_active'),
        ({'id': 'x'}, 'id'),
        ({'page_size': 0}, 'page_size'),
        ({'page_size': 1001}, 'page_size'),
        ({'page': 'first'}, 'page'),
        ({'keyword': 'a\x00b'}, 'keyword'),
    ],
)
def test_bad_parameters_are_400(client, catalog, params, name):
    response = client.get('/v6/job-types/', params)

    assert response.status_code == 400
    assert name in response.json()['errors']


def test_paging(client, catalog):
    first = client.get('/v6/job-types/', {'page_size': 2}).json()
    last = client.get('/v6/job-types/', {'page_size': 2, 'page': 'last'}).json()

    assert first['count'] == 5 and len(first['results']) == 2
    assert first['next'].endswith('page=2&page_size=2') and first['previous'] is None
    assert [row['name'] for row in last['results']] == ['scale-ingest']
    assert client.get('/v6/job-types/', {'page_size': 2, 'page': 4}).status_code == 404
    assert client.get('/v6/job-types/', {'page_size': 'null'}).json()['count'] == 5


def test_unknown_parameters_are_ignored(client, catalog):
    assert client.get('/v6/job-types/', {'sortField': 'x', 'include_superseded': 'true'}).json()['count'] == 5


@pytest.mark.parametrize('page_size', [1, 100])
def test_lists_run_a_constant_number_of_queries(client, django_assert_num_queries, page_size):
    for index in range(12):
        make(f'type-{index % 4}', f'1.{index}.0', tags=['t'])
        factories.set_fields(factories.job_type(f'other-{index}'), unmet_resources='gpus')

    # Token, count, versions ranked, the page.
    with django_assert_num_queries(4):
        assert len(results(client.get('/v6/job-types/', {'page_size': page_size, 'keyword': 't'}))) == min(
            page_size, 24
        )
    # Token, the names, the page's rows.
    with django_assert_num_queries(3):
        assert len(results(client.get('/v6/job-type-names/', {'page_size': page_size}))) == min(page_size, 16)
    # Token, versions ranked, count, the page.
    with django_assert_num_queries(4):
        assert len(results(client.get('/v6/job-types/type-1/', {'page_size': page_size}))) == min(
            page_size, 3
        )


def test_names_show_the_latest_version(client, catalog):
    rows = results(client.get('/v6/job-type-names/'))

    assert [row['name'] for row in rows] == ['cloud-mask', 'ortho', 'scale-ingest']
    for row in rows:
        assert set(row) == NAME_KEYS
    ortho = rows[1]
    assert ortho['versions'] == ['1.10.0', '1.2.0', '1.0.0']
    assert ortho['latest_version'] == '1.10.0'
    assert ortho['title'] == 'Orthorectify'


def test_names_latest_is_by_semver_precedence_with_pre_releases(client):
    for version in ('1.0.0-rc.1', '1.0.0', '1.0.0-rc.10', '0.9.0', '1.0.0-rc.2'):
        make('pre', version, is_paused=version == '1.0.0')

    (row,) = results(client.get('/v6/job-type-names/'))

    assert row['versions'] == ['1.0.0', '1.0.0-rc.10', '1.0.0-rc.2', '1.0.0-rc.1', '0.9.0']
    assert (row['latest_version'], row['is_paused']) == ('1.0.0', True)


def test_names_filters_select_versions(client, catalog):
    rows = results(client.get('/v6/job-type-names/', {'is_active': 'false'}))

    assert [(row['name'], row['versions'], row['latest_version'], row['is_active']) for row in rows] == [
        ('ortho', ['1.2.0'], '1.2.0', False)
    ]
    assert [row['name'] for row in results(client.get('/v6/job-type-names/', {'keyword': 'optical'}))] == [
        'cloud-mask'
    ]
    assert (
        client.get('/v6/job-type-names/', {'page_size': 1, 'page': 2}).json()['results'][0]['name'] == 'ortho'
    )


def test_versions_of_a_name_newest_first(client, catalog):
    for version in ('1.10.0-rc.1', '1.10.0+build.5', '2.0.0-alpha'):
        make('ortho', version)

    response = client.get('/v6/job-types/ortho/')

    assert [row['version'] for row in results(response)] == [
        '2.0.0-alpha',
        '1.10.0+build.5',  # equal precedence with 1.10.0: by text
        '1.10.0',
        '1.10.0-rc.1',
        '1.2.0',
        '1.0.0',
    ]
    assert [row['version'] for row in results(client.get('/v6/job-types/ortho', {'is_active': 'false'}))] == [
        '1.2.0'
    ]
    assert set(results(response)[0]) == LIST_KEYS


def test_an_unknown_name_is_an_empty_page(client):
    assert client.get('/v6/job-types/nobody/').json() == {
        'count': 0,
        'next': None,
        'previous': None,
        'results': [],
    }


def test_detail(client, catalog):
    job_type = catalog['ortho2']

    response = client.get('/v6/job-types/ortho/1.10.0/')

    assert response.status_code == 200
    detail = response.json()
    assert set(detail) == DETAIL_KEYS
    assert detail['id'] == job_type.id and detail['manifest'] == job_type.manifest
    assert detail['configuration'] == {
        'mounts': {},
        'output_workspaces': {'default': '', 'outputs': {}},
        'priority': 100,
        'settings': {},
    }
    assert detail['recipe_types'] == []
    assert client.get('/v6/job-types/ortho/1.10.0').json() == detail
    assert client.get('/v6/job-types/ortho/9.9.9/').status_code == 404
    assert client.get('/v6/job-types/nobody/1.0.0/').status_code == 404


def test_detail_hides_secret_settings_of_a_stored_configuration(client):
    manifest = factories.seed_manifest(
        'legacy', settings=[{'name': 'TOKEN', 'secret': True}, {'name': 'HOST'}]
    )
    factories.job_type(
        'legacy', manifest=manifest, configuration={'settings': {'TOKEN': 'zz-secret', 'HOST': 'h'}}
    )

    response = client.get('/v6/job-types/legacy/1.0.0/')

    assert response.json()['configuration']['settings'] == {'HOST': 'h'}
    assert b'zz-secret' not in response.content


@pytest.mark.parametrize('version', ['1.0.0-rc.1', '1.0.0+build.5', '2.0.0-alpha.beta+exp.sha.5114f85'])
def test_pre_release_and_build_versions_route(staff_client, version):
    make('semver', version)
    quoted = version.replace('+', '%2B')

    for path in (f'/v6/job-types/semver/{version}/', f'/v6/job-types/semver/{quoted}/'):
        assert staff_client.get(path).json()['version'] == version
        assert staff_client.get(f'{path}revisions/').json()['count'] == 1
        assert staff_client.get(f'{path}revisions/1/').json()['revision_num'] == 1
    response = staff_client.patch(f'/v6/job-types/semver/{quoted}/', {'is_paused': True}, format='json')
    assert response.status_code == 200


def test_revisions_newest_first(client):
    job_type = make('revised')
    second = factories.seed_manifest('revised')
    second['job']['title'] = 'Second'
    JobTypeRevision.objects.create(
        job_type=job_type, revision_num=2, manifest=second, docker_image='revised:2'
    )
    factories.set_fields(job_type, revision_num=2, manifest=second, title='Second')

    response = client.get('/v6/job-types/revised/1.0.0/revisions/')

    rows = results(response)
    assert [row['revision_num'] for row in rows] == [2, 1]
    assert set(rows[0]) == {'id', 'job_type', 'revision_num', 'docker_image', 'created'}
    assert set(rows[0]['job_type']) == JOB_TYPE_KEYS
    assert rows[1]['job_type']['title'] == 'Second'  # the current job type, not a snapshot
    assert rows[0]['docker_image'] == 'revised:2'
    first = client.get('/v6/job-types/revised/1.0.0/revisions/1/').json()
    assert first['manifest']['job']['title'] == 'revised title'
    assert set(first) == {'id', 'job_type', 'revision_num', 'docker_image', 'created', 'manifest'}
    assert client.get('/v6/job-types/revised/1.0.0/revisions/3/').status_code == 404
    assert client.get('/v6/job-types/revised/2.0.0/revisions/').status_code == 404
    assert (
        client.get('/v6/job-types/revised/1.0.0/revisions/', {'order': 'revision_num'}).json()['results'][0][
            'revision_num'
        ]
        == 1
    )


@pytest.mark.parametrize(
    'path',
    [
        '/v6/job-types/a b/1.0.0/',
        '/v6/job-types/ortho/1.0.0/revisions/99999999999999999999/',
        '/v6/job-types/ortho/1.0.0/other/',
        '/v6/job-types/ortho/' + '1' * 51 + '/',
    ],
)
def test_paths_that_match_no_route_are_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


def test_the_openapi_schema_documents_every_endpoint(client):
    schema = client.get('/v6/schema/', {'format': 'json'}).json()
    validate(schema)
    paths = schema['paths']
    lists = {
        '/v6/job-types/': JobTypeFilterSet,
        '/v6/job-type-names/': JobTypeNameFilterSet,
        '/v6/job-types/{name}/': JobTypeVersionFilterSet,
        '/v6/job-types/{name}/{version}/revisions/': JobTypeRevisionFilterSet,
    }
    for path, filterset in lists.items():
        parameters = {p['name']: p for p in paths[path]['get']['parameters'] if p['in'] == 'query'}
        assert set(parameters) == set(filterset.base_filters), path
    query = {p['name']: p for p in paths['/v6/job-types/']['get']['parameters'] if p['in'] == 'query'}
    assert (
        query['keyword']['schema']['type'] == 'array' and query['id']['schema']['items']['type'] == 'integer'
    )
    assert {'name', 'title', 'version', '-version', 'created', 'last_modified', 'id'} <= set(
        query['order']['schema']['items']['enum']
    )
    assert query['is_active']['schema']['type'] == 'boolean'
    for path, method in (
        ('/v6/job-types/', 'post'),
        ('/v6/job-types/{name}/{version}/', 'patch'),
        ('/v6/job-types/validation/', 'post'),
    ):
        operation = paths[path][method]
        assert 'application/json' in operation['requestBody']['content'], path
        assert {'200', '400'} <= set(operation['responses']), path
    assert '201' in paths['/v6/job-types/']['post']['responses']
    for path in (
        '/v6/job-types/{name}/{version}/',
        '/v6/job-types/{name}/{version}/revisions/{revision_num}/',
    ):
        assert {'200', '404'} <= set(paths[path]['get']['responses'])
        assert {p['name'] for p in paths[path]['get']['parameters'] if p['in'] == 'path'} >= {
            'name',
            'version',
        }
    body = schema['components']['schemas']['JobTypeCreateRequest']
    assert {'docker_image', 'manifest'} <= set(body['required'])
