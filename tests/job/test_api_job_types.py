"""POST /v6/job-types/ and POST /v6/job-types/validation/ (issue 3): registering Seed images, every
400, who may write, secrets never served, the manifest's errors registered."""

import json

import pytest

from job.models import Error, JobType, JobTypeRevision, SecretSetting
from job.services.job_types import validate_job_type
from tests import factories

pytestmark = pytest.mark.django_db

JOB_TYPES = '/v6/job-types/'
VALIDATION = '/v6/job-types/validation/'
SECRET = 'pa55-very-secret-value'


def post(client, body, path=JOB_TYPES):
    return client.post(path, json.dumps(body), content_type='application/json')


def patch(client, path, body):
    return client.patch(path, json.dumps(body), content_type='application/json')


def test_create_answers_201_with_location_and_the_detail(staff_client):
    body = factories.job_type_request(
        'my-algo', '1.2.0', tags=['landsat'], icon_code='f013', is_published=True
    )
    body['manifest']['job']['title'] = 'My Algorithm'

    response = post(staff_client, body)

    assert response.status_code == 201, response.content
    assert response['Location'] == 'http://testserver/v6/job-types/my-algo/1.2.0/'
    detail = response.json()
    job_type = JobType.objects.get()
    assert detail['id'] == job_type.id
    assert (detail['name'], detail['version'], detail['title']) == ('my-algo', '1.2.0', 'My Algorithm')
    assert detail['description'] == 'my-algo description'
    assert (detail['icon_code'], detail['is_published'], detail['max_scheduled']) == ('f013', True, None)
    assert (detail['is_active'], detail['is_paused'], detail['is_system']) == (True, False, False)
    assert detail['revision_num'] == 1 and detail['docker_image'] == 'my-algo:1.2.0'
    assert detail['recipe_types'] == []
    assert detail['manifest'] == job_type.manifest
    assert detail['manifest']['job']['interface']['outputs'] == {'files': [], 'json': []}
    assert detail['configuration'] == {
        'mounts': {},
        'output_workspaces': {'default': '', 'outputs': {}},
        'priority': 100,
        'settings': {},
    }
    # The Location serves the same object.
    assert staff_client.get(response['Location']).json() == detail
    revision = JobTypeRevision.objects.get()
    assert (revision.job_type_id, revision.revision_num, revision.docker_image) == (
        job_type.id,
        1,
        'my-algo:1.2.0',
    )
    assert revision.manifest == job_type.manifest
    assert (job_type.title, job_type.description) == ('My Algorithm', 'my-algo description')


def test_create_stores_the_normalized_manifest_and_configuration(staff_client):
    factories.workspace('products')
    body = factories.job_type_request('normal', outputs=['OUT'], max_scheduled=4)
    body['manifest']['job']['resources']['scalar'] = [{'name': 'CPUS', 'value': 2}]
    body['configuration'] = {'version': '6', 'output_workspaces': {'default': 'products'}, 'priority': 7}

    detail = post(staff_client, body).json()

    assert detail['manifest']['job']['resources']['scalar'] == [{'name': 'cpus', 'value': 2}]
    assert (
        detail['manifest']['job']['interface']['outputs']['files'][0]['mediaType']
        == 'application/octet-stream'
    )
    assert detail['configuration']['priority'] == 7
    assert detail['configuration']['output_workspaces']['default'] == 'products'
    assert detail['max_scheduled'] == 4
    assert 'version' not in JobType.objects.get().configuration


def test_repost_of_an_existing_version_edits_it(staff_client):
    body = factories.job_type_request('again')
    post(staff_client, body)
    body['manifest']['job']['packageVersion'] = '1.0.1'
    body['manifest']['job']['title'] = 'Retitled'
    body['docker_image'] = 'again:1.0.1'

    response = post(staff_client, body)

    assert response.status_code == 200, response.content
    assert response.json() == {'is_valid': True, 'errors': [], 'warnings': []}
    assert 'Location' not in response
    job_type = JobType.objects.get()
    assert (job_type.revision_num, job_type.title, job_type.docker_image) == (2, 'Retitled', 'again:1.0.1')
    assert list(job_type.revisions.order_by('revision_num').values_list('revision_num', 'docker_image')) == [
        (1, 'again:1.0.0'),
        (2, 'again:1.0.1'),
    ]


def test_repost_warnings_name_nonstandard_resources(staff_client):
    body = factories.job_type_request('fpga-user')
    post(staff_client, body)
    body['manifest']['job']['resources']['scalar'].append({'name': 'fpga', 'value': 1})

    response = post(staff_client, body)

    assert [warning['name'] for warning in response.json()['warnings']] == ['NONSTANDARD_RESOURCE']


def test_the_manifests_errors_are_registered(staff_client):
    body = factories.job_type_request('erring', errors=[(1, 'bad-data', 'data'), (2, 'crashed', 'job')])
    body['manifest']['job']['errors'][1].update({'title': 'It crashed', 'description': 'Segfault'})

    post(staff_client, body)

    errors = {error.name: error for error in Error.objects.filter(job_type_name='erring')}
    assert set(errors) == {'bad-data', 'crashed'}
    assert (errors['bad-data'].category, errors['bad-data'].title) == ('DATA', 'bad-data')
    assert (errors['crashed'].category, errors['crashed'].title) == ('ALGORITHM', 'It crashed')
    assert errors['crashed'].description == 'Segfault'
    assert not any(error.is_builtin or error.should_be_retried for error in errors.values())


def test_errors_are_shared_by_the_versions_of_a_name(staff_client):
    post(staff_client, factories.job_type_request('shared', '1.0.0', errors=[(1, 'oops', 'job')]))
    body = factories.job_type_request('shared', '2.0.0', errors=[(1, 'oops', 'data')])
    body['manifest']['job']['errors'][0]['title'] = 'Oops v2'

    post(staff_client, body)

    error = Error.objects.get(job_type_name='shared', name='oops')
    assert (error.category, error.title) == ('DATA', 'Oops v2')


def test_secret_settings_are_kept_apart_and_never_served(staff_client, client):
    body = factories.job_type_request('secretive', settings=[('DB_HOST', False), ('DB_PASS', True)])
    body['configuration'] = {'settings': {'DB_HOST': 'db.example', 'DB_PASS': SECRET}}

    responses = [post(staff_client, body)]
    detail_path = responses[0]['Location']
    responses += [
        post(staff_client, body),  # a re-post with the secret again
        post(staff_client, body, path=VALIDATION),
        post(client, body, path=VALIDATION),
        patch(staff_client, detail_path, {'configuration': body['configuration'], 'is_published': True}),
        staff_client.get(detail_path),
        staff_client.get(JOB_TYPES),
        staff_client.get('/v6/job-type-names/'),
        staff_client.get('/v6/job-types/secretive/'),
        staff_client.get(f'{detail_path}revisions/'),
        staff_client.get(f'{detail_path}revisions/1/'),
    ]

    for response in responses:
        assert response.status_code in (200, 201), response.content
        assert SECRET.encode() not in response.content
    job_type = JobType.objects.get()
    assert SECRET not in json.dumps(job_type.configuration)
    assert SECRET not in json.dumps(list(JobTypeRevision.objects.values_list('manifest', flat=True)))
    assert job_type.configuration['settings'] == {'DB_HOST': 'db.example'}
    assert list(SecretSetting.objects.values_list('job_type_id', 'job_id', 'name', 'value')) == [
        (job_type.id, None, 'DB_PASS', SECRET)
    ]
    assert responses[5].json()['configuration']['settings'] == {'DB_HOST': 'db.example'}


def test_an_invalid_secret_value_is_not_echoed(staff_client):
    body = factories.job_type_request('secretive', settings=[('DB_PASS', True)])
    body['configuration'] = {'settings': {'DB_PASS': [SECRET]}}

    response = post(staff_client, body)

    assert response.status_code == 400
    assert 'configuration.settings.DB_PASS' in response.json()['errors']
    assert SECRET.encode() not in response.content


def test_file_outputs_need_a_workspace(staff_client):
    body = factories.job_type_request('writer', outputs=['OUT'])

    response = post(staff_client, body)

    assert response.status_code == 400
    assert list(response.json()['errors']) == ['configuration.output_workspaces.outputs.OUT']
    assert not JobType.objects.exists()


DELETE = object()


def bad(path, **changes):
    """A case of BAD_BODIES: the valid body changed by `changes` (DELETE deletes a key)."""

    def make():
        body = factories.job_type_request('bad-body')
        for key, value in changes.items():
            if value is DELETE:
                body.pop(key)
            else:
                body[key] = value(body) if callable(value) else value
        return body

    return make, path


def manifest_with(**job):
    def change(body):
        body['manifest']['job'].update(job)
        return body['manifest']

    return change


BAD_BODIES = [
    bad('docker_image', docker_image=DELETE),
    bad('docker_image', docker_image=None),
    bad('manifest', manifest=DELETE),
    bad('manifest', manifest=None),
    bad('docker_image', docker_image=5),
    bad('docker_image', docker_image=''),
    bad('docker_image', docker_image='x' * 501),
    bad('docker_image', docker_image='a\x00b'),
    bad('manifest', manifest=[]),
    bad('manifest', manifest='{}'),
    bad('configuration', configuration=[]),
    bad('icon_code', icon_code='x' * 21),
    bad('icon_code', icon_code=7),
    bad('is_published', is_published='true'),
    bad('is_published', is_published=1),
    bad('is_published', is_published=None),
    bad('max_scheduled', max_scheduled=0),
    bad('max_scheduled', max_scheduled='5'),
    bad('max_scheduled', max_scheduled=5.0),
    bad('max_scheduled', max_scheduled=True),
    bad('max_scheduled', max_scheduled=2**40),
    bad('is_active', is_active='no'),
    bad('surprise', surprise=1),
    bad('manifest.job.name', manifest=manifest_with(name='bad name')),
    bad('manifest.job.name', manifest=manifest_with(name='validation')),
    bad('manifest.job.name', manifest=manifest_with(name='n' * 51)),
    bad('manifest.job.title', manifest=manifest_with(title='t' * 251)),
    bad('manifest.job.timeout', manifest=manifest_with(timeout=10**40)),
    bad('manifest.job.description', manifest=manifest_with(description='a\x00b')),
    bad('manifest.job.jobVersion', manifest=manifest_with(jobVersion='1.0')),
    bad(
        'manifest.job.errors[0].description',
        manifest=manifest_with(errors=[{'code': 1, 'name': 'e', 'description': 'd' * 251}]),
    ),
    bad('configuration.priority', configuration={'priority': 0}),
    bad('configuration.priority', configuration={'priority': 10**30}),
    bad(
        'configuration.output_workspaces.default', configuration={'output_workspaces': {'default': 'nowhere'}}
    ),
    bad('configuration.unknown', configuration={'unknown': 1}),
]


@pytest.mark.parametrize(('make_body', 'path'), BAD_BODIES)
def test_bad_bodies_are_400_naming_the_path(staff_client, make_body, path):
    response = post(staff_client, make_body())

    assert response.status_code == 400, response.content
    body = response.json()
    assert path in body['errors'], body
    assert f'"{path}"' in body['detail']
    assert not JobType.objects.exists()
    assert not Error.objects.filter(job_type_name__isnull=False).exists()


def test_several_bad_fields_are_named_at_once(staff_client):
    response = post(staff_client, {'docker_image': 1, 'manifest': [], 'is_published': 'yes', 'other': 2})

    assert set(response.json()['errors']) == {'docker_image', 'manifest', 'is_published', 'other'}
    assert 'valid fields are' in response.json()['errors']['other'][0]


@pytest.mark.parametrize('body', ['[]', '"text"', '3', 'null', '{"manifest": '])
def test_a_body_that_is_not_an_object_is_400(staff_client, body):
    response = staff_client.post(JOB_TYPES, body, content_type='application/json')

    assert response.status_code == 400
    assert 'detail' in response.json()


@pytest.mark.parametrize(
    'raw',
    [
        # A number too large for a float (it parses as infinity).
        '{"docker_image": "x", "manifest": {"seedVersion": "1.0.0", "job": {"timeout": 1e400}}}',
        # A lone surrogate, which no database stores.
        '{"docker_image": "\\ud800", "manifest": {}}',
        '{"docker_image": "x", "manifest": {"seedVersion": "\\ud800"}}',
        '{"docker_image": "x", "manifest": {"\\ud800": 1}}',
        # Nesting deeper than any manifest.
        '{"docker_image": "x", "manifest": {"job": ' + '[' * 5000 + ']' * 5000 + '}}',
        '{"docker_image": "x", "manifest": {"job": ' + '{"a": ' * 60 + '1' + '}' * 60 + '}}',
    ],
)
def test_hostile_json_is_400_not_500(staff_client, raw):
    response = staff_client.post(JOB_TYPES, raw, content_type='application/json')

    assert response.status_code == 400, response.content
    assert not JobType.objects.exists()


def test_a_non_json_body_is_415(staff_client):
    response = staff_client.post(
        JOB_TYPES, 'docker_image=x', content_type='application/x-www-form-urlencoded'
    )

    assert response.status_code == 415


def test_writes_need_a_staff_user(anon_client, client, public_read):
    job_type = factories.job_type('guarded')
    detail = f'/v6/job-types/{job_type.name}/{job_type.version}/'
    body = factories.job_type_request('intruder')

    assert post(anon_client, body).status_code == 401
    assert post(client, body).status_code == 403
    assert patch(anon_client, detail, {'is_paused': True}).status_code == 401
    assert patch(client, detail, {'is_paused': True}).status_code == 403
    assert JobType.objects.count() == 1
    assert not JobType.objects.get().is_paused
    # Reads are public here.
    assert anon_client.get(JOB_TYPES).status_code == 200


def test_reads_need_a_user(anon_client, client):
    factories.job_type('read-me')

    for path in (JOB_TYPES, '/v6/job-type-names/', '/v6/job-types/read-me/', '/v6/job-types/read-me/1.0.0/'):
        assert anon_client.get(path).status_code == 401, path
        assert client.get(path).status_code == 200, path


def test_validation_checks_everything_and_saves_nothing(client):
    factories.workspace('products')
    body = factories.job_type_request('checked', outputs=['OUT'], settings=[('A', False)])
    body['manifest']['job']['resources']['scalar'].append({'name': 'fpga', 'value': 1})
    body['configuration'] = {'output_workspaces': {'default': 'products'}}

    response = post(
        client, {'manifest': body['manifest'], 'configuration': body['configuration']}, VALIDATION
    )

    assert response.status_code == 200
    result = response.json()
    assert result['is_valid'] is True and result['errors'] == []
    assert sorted(warning['name'] for warning in result['warnings']) == [
        'MISSING_SETTING',
        'NONSTANDARD_RESOURCE',
    ]
    assert not JobType.objects.exists()
    # Without a configuration.
    assert post(client, {'manifest': body['manifest']}, VALIDATION).json()['errors'][0]['name'] == (
        'MISSING_WORKSPACE'
    )


def test_validation_lists_manifest_errors_by_name(client):
    manifest = factories.job_type_request('checked')['manifest']
    manifest['job']['name'] = 'a b'
    manifest['unexpected'] = 1
    manifest['job']['interface']['inputs']['files'][0]['name'] = 'x y'

    result = post(client, {'manifest': manifest, 'configuration': {'priority': 0}}, VALIDATION).json()

    assert result['is_valid'] is False
    assert {error['name'] for error in result['errors']} == {'JSON_VALIDATION_ERROR'}
    descriptions = [error['description'] for error in result['errors']]
    assert any(text.startswith('manifest.job.name: ') for text in descriptions)
    assert any(text.startswith('manifest.unexpected: ') for text in descriptions)
    assert any(text.startswith('manifest.job.interface.inputs.files[0].name: ') for text in descriptions)
    # The configuration is not examined while the manifest is invalid.
    assert not any(text.startswith('configuration') for text in descriptions)


@pytest.mark.parametrize(
    ('change', 'name'),
    [
        (lambda m: m['job']['interface']['settings'].append({'name': 'INPUT-FILE'}), 'NAME_COLLISION_ERROR'),
        (
            lambda m: m['job']['interface']['mounts'].extend([{'name': 'M', 'path': '/a'}] * 2),
            'DUPLICATE_MOUNT_NAMES',
        ),
        (
            lambda m: m['job']['errors'].extend([{'code': 1, 'name': 'e'}, {'code': 2, 'name': 'e'}]),
            'DUPLICATE_ERROR_NAMES',
        ),
        (lambda m: m['job']['interface']['mounts'].append({'name': 'M', 'path': 'a'}), 'INVALID_MOUNT_PATH'),
        (lambda m: m['job'].update(name='validation'), 'INVALID_NAME'),
    ],
)
def test_validation_names_semantic_errors(client, change, name):
    manifest = factories.job_type_request('checked')['manifest']
    change(manifest)

    result = post(client, {'manifest': manifest}, VALIDATION).json()

    assert result['is_valid'] is False
    assert [error['name'] for error in result['errors']] == [name]


@pytest.mark.parametrize(
    ('configuration', 'names'),
    [
        ({'priority': 0, 'version': '9'}, {'INVALID_PRIORITY', 'INVALID_VERSION'}),
        ({'output_workspaces': {'default': 'nowhere'}}, {'INVALID_WORKSPACE'}),
        ({'mounts': {'M': {'type': 'host', 'host_path': 'rel'}}}, {'HOST_ABSOLUTE_PATH'}),
        ([], {'INVALID_CONFIGURATION'}),
    ],
)
def test_validation_names_configuration_errors(client, configuration, names):
    manifest = factories.job_type_request('checked')['manifest']

    result = post(client, {'manifest': manifest, 'configuration': configuration}, VALIDATION).json()

    assert result['is_valid'] is False
    assert {error['name'] for error in result['errors']} == names


def test_validation_of_a_manifest_that_is_not_an_object(client):
    result = post(client, {'manifest': [1]}, VALIDATION).json()

    assert result['is_valid'] is False
    assert result['errors'] == [
        {'name': 'JSON_VALIDATION_ERROR', 'description': 'manifest: must be a JSON object (a Seed manifest)'}
    ]


@pytest.mark.parametrize('body', [{}, {'configuration': {}}, {'manifest': {}, 'extra': 1}, []])
def test_validation_bodies_without_a_manifest_are_400(client, body):
    assert post(client, body, VALIDATION).status_code == 400


def test_validation_needs_a_user(anon_client):
    assert post(anon_client, {'manifest': {}}, VALIDATION).status_code == 401


def test_get_on_validation_is_not_a_job_type_name(client):
    assert client.get(VALIDATION).status_code == 405


def _paths(value, prefix=()):
    """Every (path) to a value inside a JSON document, containers included."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _replaced(document, path, value):
    document = json.loads(json.dumps(document))
    if not path:
        return value
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


WRONG_VALUES = [None, True, -1, 1.5, 10**30, 'x', [None], {'k': None}]


@pytest.mark.slow
def test_wrong_json_types_anywhere_are_never_a_500(staff_client, client):
    factories.workspace('products')
    body = factories.job_type_request(
        'fuzzed', tags=['t'], outputs=['OUT'], settings=[('A', False), ('B', True)], errors=[(1, 'e', 'job')]
    )
    body['manifest']['job']['interface']['mounts'] = [{'name': 'M', 'path': '/m', 'mode': 'rw'}]
    body['manifest']['job']['resources']['scalar'].append(
        {'name': 'disk', 'value': 1, 'inputMultiplier': 2.0}
    )
    body['configuration'] = {
        'version': '6',
        'priority': 3,
        'output_workspaces': {'default': 'products', 'outputs': {'OUT': 'products'}},
        'mounts': {'M': {'type': 'volume', 'driver': 'local', 'driver_opts': {'o': 'bind'}}},
        'settings': {'A': 'a', 'B': 'b'},
    }
    body['icon_code'] = 'f0'
    assert post(staff_client, body).status_code == 201
    valid = 0
    for path in _paths(body):
        for value in WRONG_VALUES:
            changed = _replaced(body, path, value)
            if len(path) > 1:
                # Deep values: the checks run in-process (fast); whatever passes them is stored
                # through the API below.
                result = validate_job_type(changed['manifest'], changed.get('configuration'))
                if not result['is_valid']:
                    continue
                valid += 1
            for response in (
                post(staff_client, changed),
                post(client, changed, VALIDATION),
                patch(
                    staff_client, '/v6/job-types/fuzzed/1.0.0/', changed if isinstance(changed, dict) else []
                ),
            ):
                assert response.status_code in (200, 201, 400, 404), (path, value, response.content)
    assert valid  # some wrong-looking values are fine (a title 'x'), and were stored
