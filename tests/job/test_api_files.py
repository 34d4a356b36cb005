"""/v6/files/ (shared/reference/scale-supporting-apis.md section 6; the register endpoint of 6.4):
registering existing files, the filtered list the Scale web UI reads a job's outputs from, the detail."""

import hashlib
import os

import pytest
from django.db import connection

from job.choices import FileType, JobStatus
from job.models import ScaleFile
from job.services import storage
from tests import factories
from tests.factories import dt
from tests.job.contract import SCALE_FILE_KEYS

pytestmark = pytest.mark.django_db

FILE_DETAIL_KEYS = SCALE_FILE_KEYS | {'meta_data'}
ABSENT_HOST = {'broker': {'type': 'host', 'host_path': '/nonexistent/scale-test-workspace'}}


@pytest.fixture
def remote():
    """A workspace whose host_path is not present on this machine: no disk checks."""
    return factories.workspace('remote', json_config=ABSENT_HOST, base_url='https://files.example/remote/')


@pytest.fixture
def local(tmp_path):
    """A workspace whose host_path is a temporary directory, with one 11-byte file and an outside
    file next to it."""
    root = tmp_path / 'workspace'
    (root / 'in' / 'day1').mkdir(parents=True)
    (root / 'in' / 'day1' / 'scene.ntf').write_bytes(b'hello world')
    (tmp_path / 'secret.txt').write_bytes(b'outside')
    json_config = {'broker': {'type': 'host', 'host_path': str(root)}}
    return factories.workspace('local', json_config=json_config)


def register(client, **body):
    return client.post('/v6/files/', body, format='json')


def assert_bad(response, path, *words):
    assert response.status_code == 400, response.content
    body = response.json()
    assert path in body['errors'], body
    assert f'"{path}"' in body['detail'] or path == '__all__', body
    for word in words:
        assert word in ' '.join(body['errors'][path]), body


# --- Register ----------------------------------------------------------------------------------------


def test_register_answers_201_with_location_and_detail(staff_client, remote):
    response = register(
        staff_client,
        workspace='remote',
        file_path='in/2024/scene.h5',
        file_size=1234,
        data_type_tags=['raw', 'scene'],
        data_started='2024-01-01T00:00:00Z',
        data_ended='2024-01-01T01:00:00.000-05:00',
        source_started='2024-01-01T00:00:00Z',
        source_ended='2024-01-02T00:00:00Z',
        source_sensor_class='classA',
        source_sensor='1',
        source_collection='12345',
        source_task='task-a',
        meta_data={'a': [1, 2.5, {'b': None}], 'c': 'd'},
        countries=['usa', 'CAN'],
    )

    assert response.status_code == 201, response.content
    body = response.json()
    scale_file = ScaleFile.objects.get()
    assert response['Location'] == f'http://testserver/v6/files/{scale_file.id}/'
    assert set(body) == FILE_DETAIL_KEYS
    assert body['id'] == scale_file.id
    assert body['workspace'] == {'id': remote.id, 'name': 'remote'}
    assert body['file_name'] == 'scene.h5'
    assert body['file_path'] == 'in/2024/scene.h5'
    assert body['file_size'] == 1234
    assert body['file_type'] == 'SOURCE'
    assert body['media_type'] == 'image/x-hdf5-image'
    assert body['data_type_tags'] == ['raw', 'scene']
    assert body['data_started'] == '2024-01-01T00:00:00Z'
    assert body['data_ended'] == '2024-01-01T06:00:00Z'
    assert body['source_ended'] == '2024-01-02T00:00:00Z'
    assert (
        body['source_sensor_class'],
        body['source_sensor'],
        body['source_collection'],
        body['source_task'],
    ) == (
        'classA',
        '1',
        '12345',
        'task-a',
    )
    assert body['meta_data'] == {'a': [1, 2.5, {'b': None}], 'c': 'd'}
    assert body['countries'] == ['USA', 'CAN']
    assert body['url'] == 'https://files.example/remote/in/2024/scene.h5'
    assert body['is_deleted'] is False
    for key in ('job_type', 'job', 'job_exe', 'job_output', 'recipe_type', 'recipe', 'recipe_node', 'batch'):
        assert body[key] is None, key
    assert scale_file.uuid == hashlib.md5(b'scene.h5').hexdigest()
    assert staff_client.get(response['Location']).json() == body


def test_register_by_workspace_id_with_defaults(staff_client, remote):
    response = staff_client.post(
        '/v6/files', {'workspace': remote.id, 'file_path': './a//b/./c.txt', 'file_size': 0}, format='json'
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body['file_path'] == 'a/b/c.txt'
    assert body['file_name'] == 'c.txt'
    assert body['media_type'] == 'text/plain'
    assert body['data_type_tags'] == []
    assert body['countries'] == []
    assert body['meta_data'] == {}
    assert body['data_started'] is None


def test_explicit_file_name_media_type_and_nulls(staff_client, remote):
    body = register(
        staff_client,
        workspace='remote',
        file_path='x/blob',
        file_size=5,
        file_name='Blob Name.dat',
        media_type='application/x-custom',
        meta_data=None,
        data_type_tags=None,
        source_sensor=None,
    ).json()

    assert (body['file_name'], body['media_type'], body['meta_data'], body['source_sensor']) == (
        'Blob Name.dat',
        'application/x-custom',
        {},
        None,
    )
    assert ScaleFile.objects.get().uuid == hashlib.md5(b'Blob Name.dat').hexdigest()


@pytest.mark.parametrize(
    ('file_name', 'media_type'),
    [
        ('a.h5', 'image/x-hdf5-image'),
        ('a.ntf', 'image/x-nitf-image'),
        ('a.NITF', 'image/x-nitf-image'),
        ('a.geojson', 'application/vnd.geo+json'),
        ('a.json', 'application/json'),
        ('a.xml', 'application/xml'),
        ('a.png', 'image/png'),
        ('a.TIF', 'image/tiff'),
        ('a.txt', 'text/plain'),
        ('a.tar.gz', 'application/x-tar'),
        ('a.unknown-extension', 'application/octet-stream'),
        ('no-extension', 'application/octet-stream'),
    ],
)
def test_media_type_is_guessed_from_the_extension(staff_client, remote, file_name, media_type):
    response = register(staff_client, workspace='remote', file_path=f'dir/{file_name}', file_size=1)

    assert response.json()['media_type'] == media_type


def test_a_path_registered_twice_is_400(staff_client, remote):
    assert register(staff_client, workspace='remote', file_path='dup/a.txt', file_size=1).status_code == 201

    assert_bad(
        register(staff_client, workspace='remote', file_path='dup//a.txt', file_size=2),
        'file_path',
        'already',
    )
    assert ScaleFile.objects.count() == 1
    other = factories.workspace('other', json_config=ABSENT_HOST)
    assert register(staff_client, workspace=other.name, file_path='dup/a.txt', file_size=1).status_code == 201


def test_a_concurrent_duplicate_caught_by_the_database_is_400(staff_client, remote, monkeypatch):
    assert register(staff_client, workspace='remote', file_path='race/a.txt', file_size=1).status_code == 201
    # The other request inserted between this one's check and its insert.
    monkeypatch.setattr(storage, '_registered', lambda workspace, file_path: False)

    response = register(staff_client, workspace='remote', file_path='race/a.txt', file_size=1)

    assert_bad(response, 'file_path', 'already')
    assert ScaleFile.objects.count() == 1
    # The connection is still usable (the failed insert was rolled back to its savepoint).
    assert register(staff_client, workspace='remote', file_path='race/b.txt', file_size=1).status_code == 201


LONG_PATH = 'd/' * 500 + 'f'


@pytest.mark.parametrize(
    ('body', 'path', 'words'),
    [
        ({'file_path': 'a.txt', 'file_size': 1}, 'workspace', ['required']),
        ({'workspace': 'nope', 'file_path': 'a.txt', 'file_size': 1}, 'workspace', ['no workspace']),
        ({'workspace': 999999, 'file_path': 'a.txt', 'file_size': 1}, 'workspace', ['no workspace']),
        ({'workspace': 2**70, 'file_path': 'a.txt', 'file_size': 1}, 'workspace', ['no workspace']),
        ({'workspace': True, 'file_path': 'a.txt', 'file_size': 1}, 'workspace', ['id']),
        ({'workspace': ['remote'], 'file_path': 'a.txt', 'file_size': 1}, 'workspace', ['id']),
        ({'workspace': 'inactive', 'file_path': 'a.txt', 'file_size': 1}, 'workspace', ['not active']),
        ({'workspace': 'a\x00b', 'file_path': 'a.txt', 'file_size': 1}, 'workspace', ['NUL']),
        ({'workspace': 'remote', 'file_size': 1}, 'file_path', ['required']),
        ({'workspace': 'remote', 'file_path': '', 'file_size': 1}, 'file_path', ['empty']),
        ({'workspace': 'remote', 'file_path': '/etc/passwd', 'file_size': 1}, 'file_path', ['absolute']),
        ({'workspace': 'remote', 'file_path': '../outside.txt', 'file_size': 1}, 'file_path', ['..']),
        ({'workspace': 'remote', 'file_path': 'a/../../b.txt', 'file_size': 1}, 'file_path', ['..']),
        ({'workspace': 'remote', 'file_path': 'a\\b.txt', 'file_size': 1}, 'file_path', ['backslash']),
        ({'workspace': 'remote', 'file_path': 'a\x00.txt', 'file_size': 1}, 'file_path', ['NUL']),
        ({'workspace': 'remote', 'file_path': LONG_PATH, 'file_size': 1}, 'file_path', ['1000']),
        ({'workspace': 'remote', 'file_path': 'dir/', 'file_size': 1}, 'file_path', ['directory']),
        ({'workspace': 'remote', 'file_path': '.', 'file_size': 1}, 'file_path', ['workspace itself']),
        ({'workspace': 'remote', 'file_path': 42, 'file_size': 1}, 'file_path', ['string']),
        ({'workspace': 'remote', 'file_path': 'a.txt'}, 'file_size', ['required', 'not present']),
        ({'workspace': 'remote', 'file_path': 'a.txt', 'file_size': -1}, 'file_size', ['range']),
        ({'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 2**63}, 'file_size', ['range']),
        ({'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 10**400}, 'file_size', ['range']),
        ({'workspace': 'remote', 'file_path': 'a.txt', 'file_size': '12'}, 'file_size', ['integer']),
        ({'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1.5}, 'file_size', ['integer']),
        ({'workspace': 'remote', 'file_path': 'a.txt', 'file_size': True}, 'file_size', ['integer']),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'file_name': 'a/b'},
            'file_name',
            ['/'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'file_name': ''},
            'file_name',
            ['empty'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'media_type': 5},
            'media_type',
            ['string'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'data_started': 'yesterday'},
            'data_started',
            ['ISO-8601'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'source_ended': 1700000000},
            'source_ended',
            ['string'],
        ),
        (
            {
                'workspace': 'remote',
                'file_path': 'a.txt',
                'file_size': 1,
                'data_started': '2024-01-02T00:00:00Z',
                'data_ended': '2024-01-01T00:00:00Z',
            },
            'data_started',
            ['after', 'data_ended'],
        ),
        (
            {
                'workspace': 'remote',
                'file_path': 'a.txt',
                'file_size': 1,
                'source_started': '2024-01-02T00:00:00Z',
                'source_ended': '2024-01-01T18:00:00-05:00',
            },
            'source_started',
            ['after'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'source_sensor': 's' * 251},
            'source_sensor',
            ['250'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'source_task': {'a': 1}},
            'source_task',
            ['string'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'data_type_tags': 'tag'},
            'data_type_tags',
            ['list'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'data_type_tags': ['ok', 3]},
            'data_type_tags[1]',
            ['string'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'meta_data': [1]},
            'meta_data',
            ['object'],
        ),
        (
            {
                'workspace': 'remote',
                'file_path': 'a.txt',
                'file_size': 1,
                'meta_data': {'k': ['ok', 'a\x00']},
            },
            'meta_data.k[1]',
            ['NUL'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'meta_data': {'k\x00': 1}},
            'meta_data',
            ['NUL'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'countries': ['US']},
            'countries[0]',
            ['alpha-3'],
        ),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'countries': 'USA'},
            'countries',
            ['list'],
        ),
        ({'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'uuid': 'x'}, 'uuid', ['not a field']),
        (
            {'workspace': 'remote', 'file_path': 'a.txt', 'file_size': 1, 'file_type': 'PRODUCT'},
            'file_type',
            ['not a field'],
        ),
    ],
)
def test_bad_registrations_are_400(staff_client, remote, body, path, words):
    factories.workspace('inactive', json_config=ABSENT_HOST, is_active=False)

    assert_bad(register(staff_client, **body), path, *words)
    assert not ScaleFile.objects.exists()


@pytest.mark.parametrize('body', [[], [{'workspace': 'remote'}], '"text"', 3, None])
def test_a_body_that_is_not_an_object_is_400(staff_client, remote, body):
    response = staff_client.post('/v6/files/', body, format='json')

    if body is None:  # an empty JSON body: no field at all
        assert_bad(response, 'workspace', 'required')
    else:
        assert_bad(response, '__all__', 'object')


@pytest.mark.parametrize(
    ('content', 'path'),
    [
        ('{"workspace": "remote", "file_path": "a\\ud800.txt", "file_size": 1}', 'file_path'),
        ('{"workspace": "\\ud800", "file_path": "a.txt", "file_size": 1}', 'workspace'),
        (
            '{"workspace": "remote", "file_path": "a.txt", "file_size": 1, "file_name": "\\udc00"}',
            'file_name',
        ),
        (
            '{"workspace": "remote", "file_path": "a.txt", "file_size": 1, "meta_data": {"\\ud800": 1}}',
            'meta_data',
        ),
        (
            '{"workspace": "remote", "file_path": "a.txt", "file_size": 1, "meta_data": {"k": "\\udfff"}}',
            'meta_data.k',
        ),
        (
            '{"workspace": "remote", "file_path": "a.txt", "file_size": 1, "data_type_tags": ["\\u0000"]}',
            'data_type_tags[0]',
        ),
        (
            '{"workspace": "remote", "file_path": "a.txt", "file_size": 1, "source_task": "\\u0000"}',
            'source_task',
        ),
        ('{"workspace": "remote", "file_path": "a.txt", "file_size": 1, "\\ud800": 1}', '\\ud800'),
        (
            '{"workspace": "remote", "file_path": "a.txt", "file_size": 1, "data_ended": "9999-12-31T23:59:59-05:00"}',
            'data_ended',
        ),
        (
            '{"workspace": "remote", "file_path": "a.txt", "file_size": 1, "data_ended": "\\u0000"}',
            'data_ended',
        ),
    ],
)
def test_unstorable_values_are_400_not_500(staff_client, remote, content, path):
    response = staff_client.post('/v6/files/', content, content_type='application/json')

    assert_bad(response, path)
    assert not ScaleFile.objects.exists()


def test_at_most_100_problems_are_named(staff_client, remote):
    response = register(
        staff_client,
        workspace='remote',
        file_path='a.txt',
        file_size=1,
        meta_data={str(index): 'a\x00' for index in range(500)},
    )

    assert response.status_code == 400
    assert len(response.json()['errors']) == 100


def test_a_big_integer_in_meta_data_is_kept(staff_client, remote):
    content = '{"workspace": "remote", "file_path": "a.txt", "file_size": 1, "meta_data": {"x": 1%s}}' % (
        '0' * 30
    )

    response = staff_client.post('/v6/files/', content, content_type='application/json')

    assert response.status_code == 201, response.content
    assert staff_client.get(response['Location']).json()['meta_data'] == {'x': 10**30}


def test_a_number_too_large_for_a_float_is_refused_in_meta_data(staff_client, remote):
    content = '{"workspace": "remote", "file_path": "a.txt", "file_size": 1, "meta_data": {"x": 1e400}}'

    response = staff_client.post('/v6/files/', content, content_type='application/json')

    # The JSON parser refuses it for every endpoint, before any field is read.
    assert response.status_code == 400
    assert 'out of range' in response.json()['detail']


def test_a_form_body_is_415(staff_client, remote):
    response = staff_client.post(
        '/v6/files/', 'workspace=remote&file_path=a.txt', content_type='application/x-www-form-urlencoded'
    )

    assert response.status_code == 415


# --- Register: the workspace is on this machine ------------------------------------------------------


def test_size_is_taken_from_disk(staff_client, local):
    response = register(staff_client, workspace='local', file_path='in/day1/scene.ntf')

    assert response.status_code == 201, response.content
    assert response.json()['file_size'] == 11
    assert response.json()['media_type'] == 'image/x-nitf-image'


def test_a_size_equal_to_the_disk_is_accepted_and_a_different_one_refused(staff_client, local):
    assert_bad(
        register(staff_client, workspace='local', file_path='in/day1/scene.ntf', file_size=12),
        'file_size',
        '11',
    )
    assert (
        register(staff_client, workspace='local', file_path='in/day1/scene.ntf', file_size=11).status_code
        == 201
    )


def test_a_missing_file_is_refused(staff_client, local):
    assert_bad(
        register(staff_client, workspace='local', file_path='in/day1/missing.ntf', file_size=1),
        'file_path',
        'does not exist',
    )


def test_a_symlink_loop_is_refused(staff_client, local, tmp_path):
    (tmp_path / 'workspace' / 'loop').symlink_to(tmp_path / 'workspace' / 'loop')

    assert_bad(register(staff_client, workspace='local', file_path='loop'), 'file_path', 'cannot be read')


def test_a_symlink_to_the_workspace_itself_is_not_a_file(staff_client, local, tmp_path):
    (tmp_path / 'workspace' / 'root').symlink_to(tmp_path / 'workspace')

    assert_bad(register(staff_client, workspace='local', file_path='root'), 'file_path', 'not a regular file')


def test_a_directory_is_refused(staff_client, local):
    assert_bad(
        register(staff_client, workspace='local', file_path='in/day1'), 'file_path', 'not a regular file'
    )


def test_a_symlink_out_of_the_workspace_is_refused(staff_client, local, tmp_path):
    root = tmp_path / 'workspace'
    (root / 'in' / 'leak.txt').symlink_to(tmp_path / 'secret.txt')
    (root / 'outdir').symlink_to(tmp_path)

    assert_bad(register(staff_client, workspace='local', file_path='in/leak.txt'), 'file_path', 'outside')
    assert_bad(
        register(staff_client, workspace='local', file_path='outdir/secret.txt'), 'file_path', 'outside'
    )
    assert not ScaleFile.objects.exists()


def test_a_symlink_inside_the_workspace_is_accepted(staff_client, local, tmp_path):
    (tmp_path / 'workspace' / 'alias.ntf').symlink_to(tmp_path / 'workspace' / 'in' / 'day1' / 'scene.ntf')

    response = register(staff_client, workspace='local', file_path='alias.ntf')

    assert response.status_code == 201, response.content
    assert response.json()['file_size'] == 11


def test_a_workspace_reached_through_a_symlinked_host_path(staff_client, tmp_path):
    (tmp_path / 'real').mkdir()
    (tmp_path / 'real' / 'f.bin').write_bytes(b'12345')
    os.symlink(tmp_path / 'real', tmp_path / 'link')
    factories.workspace(
        'linked', json_config={'broker': {'type': 'host', 'host_path': str(tmp_path / 'link')}}
    )

    response = register(staff_client, workspace='linked', file_path='f.bin')

    assert response.status_code == 201, response.content
    assert response.json()['file_size'] == 5


# --- List and detail ---------------------------------------------------------------------------------


@pytest.fixture
def catalog():
    """Sources a, b, c in two workspaces; products p1 and p2 of one job, p3 of another."""
    ws1 = factories.workspace('ws1', json_config=ABSENT_HOST)
    ws2 = factories.workspace('ws2', json_config=ABSENT_HOST)
    a = factories.scale_file(
        ws1,
        'Alpha.ntf',
        media_type='image/x-nitf-image',
        file_size=300,
        countries=['USA', 'CAN'],
        source_sensor_class='classA',
        source_sensor='s1',
        source_collection='c1',
        source_task='t1',
        data_started=dt('2024-01-01T00:00:00Z'),
        data_ended=dt('2024-01-02T00:00:00Z'),
        source_started=dt('2024-01-01T00:00:00Z'),
        source_ended=dt('2024-01-02T00:00:00Z'),
        created=dt('2024-02-01T00:00:00Z'),
    )
    b = factories.scale_file(
        ws1,
        'beta.h5',
        media_type='image/x-hdf5-image',
        file_size=100,
        countries=['CANX'],
        source_sensor_class='classB',
        data_started=dt('2024-01-03T00:00:00Z'),
        data_ended=dt('2024-01-04T00:00:00Z'),
        source_started=dt('2024-01-03T00:00:00Z'),
        source_ended=dt('2024-01-04T00:00:00Z'),
        created=dt('2024-02-02T00:00:00Z'),
    )
    c = factories.scale_file(ws2, 'gamma.txt', file_size=200, created=dt('2024-02-03T00:00:00Z'))
    producer_type = factories.job_type('producer')
    recipe = factories.recipe()
    batch = factories.batch()
    producer = factories.job(producer_type, JobStatus.COMPLETED, input_files=[('INPUT_FILE', a)])
    other = factories.job(factories.job_type('other-producer'), JobStatus.COMPLETED)
    products = {}
    for name, job, output in (
        ('p1.png', producer, 'OUT_A'),
        ('p2.png', producer, 'OUT_B'),
        ('p3.png', other, 'OUT_A'),
    ):
        products[name] = factories.scale_file(
            ws2,
            name,
            file_type=FileType.PRODUCT,
            media_type='image/png',
            job=job,
            job_type=job.job_type,
            job_output=output,
            recipe=recipe if job is producer else None,
            recipe_type=recipe.recipe_type if job is producer else None,
            recipe_node='node-1' if job is producer else None,
            batch=batch if job is producer else None,
        )
    files = {'Alpha.ntf': a, 'beta.h5': b, 'gamma.txt': c, **products}
    for day, file_ in enumerate(files.values(), start=10):
        factories.set_fields(file_, last_modified=dt(f'2024-03-{day}T00:00:00Z'))
    return {
        'files': files,
        'producer': producer,
        'other': other,
        'recipe': recipe,
        'batch': batch,
        'ws1': ws1,
    }


def names(response):
    assert response.status_code == 200, response.content
    return [item['file_name'] for item in response.json()['results']]


def test_list_shape_and_default_order(client, catalog):
    response = client.get('/v6/files/')

    assert names(response) == ['Alpha.ntf', 'beta.h5', 'gamma.txt', 'p1.png', 'p2.png', 'p3.png']
    assert response.json()['count'] == 6
    for item in response.json()['results']:
        assert set(item) == SCALE_FILE_KEYS


def test_the_ui_job_outputs_query_lists_what_the_job_produced(client, catalog):
    job = catalog['producer']

    response = client.get(f'/v6/files/?job_id={job.id}&sortField=last_modified&sortOrder=desc')

    assert names(response) == ['p1.png', 'p2.png']
    assert response.json()['count'] == 2
    for item in response.json()['results']:
        assert {'file_name', 'file_size', 'url', 'created', 'last_modified'} <= set(item)
        assert item['job'] == {'id': job.id}
    # Its input file is not an output.
    assert 'Alpha.ntf' not in names(response)


@pytest.mark.parametrize(
    ('query', 'expected'),
    [
        ('data_started=2024-01-02T00:00:00Z', ['beta.h5']),
        ('data_ended=2024-01-02T00:00:00.000Z', ['Alpha.ntf']),
        ('created_started=2024-02-02T00:00:00Z&created_ended=2024-02-03T00:00:00Z', ['beta.h5', 'gamma.txt']),
        ('source_started=2024-01-01T00:00:00Z&source_ended=2024-01-03T00:00:00Z', ['Alpha.ntf']),
        ('modified_started=2024-03-14T00:00:00Z', ['p2.png', 'p3.png']),
        ('modified_ended=2024-03-11T00:00:00Z', ['Alpha.ntf', 'beta.h5']),
        ('source_sensor_class=classA&source_sensor_class=classB', ['Alpha.ntf', 'beta.h5']),
        ('source_sensor=s1', ['Alpha.ntf']),
        ('source_collection=c1', ['Alpha.ntf']),
        ('source_task=t1', ['Alpha.ntf']),
        ('job_type_name=producer', ['p1.png', 'p2.png']),
        ('job_type_name=producer&job_type_name=other-producer', ['p1.png', 'p2.png', 'p3.png']),
        ('job_output=OUT_A', ['p1.png', 'p3.png']),
        ('recipe_node=node-1', ['p1.png', 'p2.png']),
        ('file_name=beta.h5&file_name=gamma.txt', ['beta.h5', 'gamma.txt']),
        ('file_name=BETA.H5', []),
        ('file_name_search=ALPH', ['Alpha.ntf']),
        ('file_name_search=.png', ['p1.png', 'p2.png', 'p3.png']),
        ('file_name_search=%25', []),
        ('file_type=SOURCE', ['Alpha.ntf', 'beta.h5', 'gamma.txt']),
        ('file_type=product', ['p1.png', 'p2.png', 'p3.png']),
        ('media_type=image/png&media_type=image/x-hdf5-image', ['beta.h5', 'p1.png', 'p2.png', 'p3.png']),
        ('countries=CAN', ['Alpha.ntf']),
        ('countries=usa&countries=CAN', ['Alpha.ntf']),
        ('countries=FRA', []),
        ('order=file_name', ['Alpha.ntf', 'beta.h5', 'gamma.txt', 'p1.png', 'p2.png', 'p3.png']),
        ('order=-file_size&file_type=SOURCE', ['Alpha.ntf', 'gamma.txt', 'beta.h5']),
        ('order=-last_modified&file_type=PRODUCT', ['p3.png', 'p2.png', 'p1.png']),
        ('order=media_type&order=-file_name&file_type=SOURCE', ['beta.h5', 'Alpha.ntf', 'gamma.txt']),
        ('page=2&page_size=4', ['p2.png', 'p3.png']),
        (
            'sortField=file_name&sortOrder=asc&include_superseded=true',
            ['Alpha.ntf', 'beta.h5', 'gamma.txt', 'p1.png', 'p2.png', 'p3.png'],
        ),
    ],
)
def test_list_filters(client, catalog, query, expected):
    assert names(client.get(f'/v6/files/?{query}')) == expected


def test_id_filters(client, catalog):
    producer, other = catalog['producer'], catalog['other']
    products = ['p1.png', 'p2.png']

    assert names(client.get(f'/v6/files/?job_id={producer.id}&job_id={other.id}')) == [*products, 'p3.png']
    assert names(client.get(f'/v6/files/?job_type_id={producer.job_type_id}')) == products
    assert names(client.get(f'/v6/files/?recipe_id={catalog["recipe"].id}')) == products
    assert names(client.get(f'/v6/files/?recipe_type_id={catalog["recipe"].recipe_type_id}')) == products
    assert names(client.get(f'/v6/files/?batch_id={catalog["batch"].id}')) == products
    assert names(client.get('/v6/files/?job_id=999999')) == []


@pytest.mark.parametrize(
    ('query', 'parameter'),
    [
        ('file_type=BOGUS', 'file_type'),
        ('job_id=abc', 'job_id'),
        ('job_id=99999999999999999999', 'job_id'),
        ('recipe_type_id=-1', 'recipe_type_id'),
        ('countries=US', 'countries'),
        ('data_started=not-a-date', 'data_started'),
        ('created_started=2024-02-02T00:00:00Z&created_ended=2024-02-01T00:00:00Z', 'created_started'),
        ('modified_started=2024-03-02T00:00:00Z&modified_ended=2024-03-02T00:00:00Z', 'modified_started'),
        ('order=bogus', 'order'),
        ('order=meta_data', 'order'),
        ('page=0', 'page'),
        ('page_size=1001', 'page_size'),
        ('file_name=a%00b', 'file_name'),
        ('file_name_search=a%00b', 'file_name_search'),
    ],
)
def test_list_bad_parameters_are_400(client, catalog, query, parameter):
    response = client.get(f'/v6/files/?{query}')

    assert response.status_code == 400, response.content
    assert parameter in response.json()['errors']
    assert f'"{parameter}"' in response.json()['detail']


@pytest.mark.parametrize('page_size', [1, 100])
def test_list_runs_a_constant_number_of_queries(client, catalog, django_assert_num_queries, page_size):
    # token lookup, count, page (workspace, job type, recipe type and batch joined)
    with django_assert_num_queries(3):
        response = client.get(f'/v6/files/?page_size={page_size}')
    assert len(response.json()['results']) == min(page_size, 6)


def test_detail_adds_meta_data(client, remote):
    scale_file = factories.scale_file(remote, 'detail.txt', meta_data={'k': 'v'})

    for path in (f'/v6/files/{scale_file.id}/', f'/v6/files/{scale_file.id}'):
        response = client.get(path)
        assert response.status_code == 200
        assert set(response.json()) == FILE_DETAIL_KEYS
        assert response.json()['meta_data'] == {'k': 'v'}


@pytest.mark.parametrize('path', ['/v6/files/999999/', '/v6/files/abc/', '/v6/files/1.5/'])
def test_unknown_file_is_a_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


def test_a_registered_file_can_be_a_job_input(staff_client, remote):
    file_id = register(staff_client, workspace='remote', file_path='in/x.txt', file_size=7).json()['id']
    job = factories.job(
        status=JobStatus.QUEUED, input_files=[('INPUT_FILE', ScaleFile.objects.get(pk=file_id))]
    )

    item = staff_client.get(f'/v6/jobs/{job.id}/input_files/').json()['results'][0]

    assert item['id'] == file_id
    assert set(item) == SCALE_FILE_KEYS


# --- Auth --------------------------------------------------------------------------------------------


def test_anonymous_requests_are_401(anon_client, remote):
    scale_file = factories.scale_file(remote)

    assert anon_client.get('/v6/files/').status_code == 401
    assert anon_client.get(f'/v6/files/{scale_file.id}/').status_code == 401
    assert register(anon_client, workspace='remote', file_path='a.txt', file_size=1).status_code == 401


def test_non_staff_users_read_but_cannot_register(client, remote):
    assert client.get('/v6/files/').status_code == 200
    assert register(client, workspace='remote', file_path='a.txt', file_size=1).status_code == 403
    assert not ScaleFile.objects.exists()


def test_files_are_read_only_besides_registering(staff_client, remote):
    scale_file = factories.scale_file(remote)

    assert (
        staff_client.patch(f'/v6/files/{scale_file.id}/', {'file_size': 1}, format='json').status_code == 405
    )
    assert staff_client.delete(f'/v6/files/{scale_file.id}/').status_code == 405


def test_the_sqlite_and_postgresql_paths_agree_on_countries(client, catalog):
    # countries is a JSON list; the filter matches the quoted code in its text on both databases.
    assert connection.vendor in ('sqlite', 'postgresql')
    assert names(client.get('/v6/files/?countries=can')) == ['Alpha.ntf']


def test_the_ui_job_outputs_query_counts_every_output_and_pages_at_the_default(
    client, remote, django_assert_max_num_queries
):
    """The job detail page sends no page_size: the first 100 outputs, and `count` all of them (the
    job's inputs and other jobs' products never counted), in a constant number of queries."""
    job_type = factories.job_type('many-outputs')
    source = factories.scale_file(remote, 'source.ntf')
    job = factories.job(job_type, JobStatus.COMPLETED, input_files=[('INPUT_FILE', source)])
    other = factories.job(job_type, JobStatus.COMPLETED)
    for index in range(105):
        factories.scale_file(
            remote, f'out-{index:03}.png', file_type=FileType.PRODUCT, job=job, job_type=job_type
        )
    factories.scale_file(remote, 'other.png', file_type=FileType.PRODUCT, job=other, job_type=job_type)

    with django_assert_max_num_queries(3):
        response = client.get(f'/v6/files/?job_id={job.id}&sortField=last_modified&sortOrder=desc')

    body = response.json()
    assert body['count'] == 105
    assert len(body['results']) == 100
    assert {item['job']['id'] for item in body['results']} == {job.id}
    assert body['next'].endswith(f'/v6/files/?job_id={job.id}&page=2&sortField=last_modified&sortOrder=desc')
