"""POST /v6/jobs/: queueing a job (issue 3 item 5; the behaviour reference section 7, improved)."""

import json

import pytest

from job.models import Job, JobInputFile, TriggerEvent
from tests import factories
from tests.factories import dt

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


def manifest(**interface):
    """A manifest with a required single file input INPUT_FILE, an optional multiple file input
    EXTRA, and json inputs COUNT (integer), RATIO (number), FLAG (boolean), NAME (string, optional)."""
    body = factories.seed_manifest(
        'queue-test', scalars=[{'name': 'cpus', 'value': 0.1}, {'name': 'mem', 'value': 64.0}]
    )
    inputs = body['job']['interface']['inputs']
    inputs['files'] = [
        {'name': 'INPUT_FILE', 'required': True, 'mediaTypes': [], 'multiple': False, 'partial': False},
        {'name': 'EXTRA', 'required': False, 'mediaTypes': [], 'multiple': True, 'partial': False},
    ]
    inputs['json'] = [
        {'name': 'COUNT', 'type': 'integer', 'required': False},
        {'name': 'RATIO', 'type': 'number', 'required': False},
        {'name': 'FLAG', 'type': 'boolean', 'required': False},
        {'name': 'NAME', 'type': 'string', 'required': False},
        {'name': 'OPTIONS', 'type': 'object', 'required': False},
        {'name': 'LIST', 'type': 'array', 'required': False},
    ]
    body['job']['interface'].update(interface)
    return body


@pytest.fixture
def job_type():
    return factories.job_type('queue-test', manifest=manifest(), configuration={'priority': 42}, max_tries=5)


@pytest.fixture
def files():
    workspace = factories.workspace('ws-queue')
    return [
        factories.scale_file(
            workspace,
            f'in-{n}.txt',
            file_size=size,
            source_started=dt(f'2024-01-0{n}T00:00:00Z'),
            source_ended=dt(f'2024-01-0{n}T06:00:00Z'),
            source_sensor_class=f'class-{n}',
            source_sensor='sensor',
            source_collection=None,
            source_task=f'task-{n}',
        )
        for n, size in ((1, 3 * MIB + 1), (2, 10), (3, 5 * MIB))
    ]


def post(client, body, **headers):
    return client.post('/v6/jobs/', json.dumps(body), content_type='application/json', **headers)


def test_queue_a_job(staff_client, staff_user, job_type, files):
    body = {
        'job_type_id': job_type.id,
        'input': {'files': {'INPUT_FILE': [files[0].id]}, 'json': {'COUNT': 3}},
    }

    response = post(staff_client, body)

    assert response.status_code == 201, response.content
    job = Job.objects.get()
    assert response['Location'] == f'http://testserver/v6/jobs/{job.id}/'
    detail = response.json()
    assert detail['id'] == job.id
    assert detail['status'] == 'QUEUED'
    assert detail['num_exes'] == 1
    assert detail['max_tries'] == 5
    assert detail['execution'] is None
    assert detail['input'] == {'files': {'INPUT_FILE': [files[0].id]}, 'json': {'COUNT': 3}}
    assert detail['input_files'] == {'INPUT_FILE': ['in-1.txt']}
    assert detail['input_file_size'] == 4.0  # 3 MiB + 1 byte, rounded up
    assert detail['resources'] == {'resources': {'cpus': 0.25, 'mem': 128.0, 'disk': 4.0, 'gpus': 0.0}}
    assert detail['configuration']['priority'] == 42
    assert detail['event']['type'] == 'USER'
    assert detail['queued'] is not None and detail['started'] is None and detail['ended'] is None
    assert detail['source_started'] == '2024-01-01T00:00:00Z'
    assert detail['source_sensor_class'] == 'class-1'
    assert job.priority == 42
    assert TriggerEvent.objects.get(pk=job.event_id).description == {'user': staff_user.username}
    assert list(JobInputFile.objects.values_list('job_input', 'input_file_id')) == [
        ('INPUT_FILE', files[0].id)
    ]
    # The detail endpoint serves the same job.
    assert staff_client.get(f'/v6/jobs/{job.id}/').json() == detail


def test_input_from_several_files_is_processed(staff_client, job_type, files):
    body = {
        'job_type_id': job_type.id,
        'input': {'files': {'INPUT_FILE': [files[1].id], 'EXTRA': [files[2].id, files[0].id]}},
    }

    detail = post(staff_client, body).json()

    assert detail['input_files'] == {'INPUT_FILE': ['in-2.txt'], 'EXTRA': ['in-3.txt', 'in-1.txt']}
    assert detail['input_file_size'] == 9.0  # ceil((10 + 5 MiB + 3 MiB + 1) / MiB)
    assert detail['source_started'] == '2024-01-01T00:00:00Z'
    assert detail['source_ended'] == '2024-01-03T06:00:00Z'
    assert detail['source_sensor_class'] == 'class-3'
    assert detail['source_sensor'] == 'sensor'
    assert detail['source_collection'] is None
    assert detail['source_task'] == 'task-3'
    links = JobInputFile.objects.filter(job_id=detail['id']).values_list('job_input', 'input_file_id')
    assert sorted(links) == sorted(
        [('INPUT_FILE', files[1].id), ('EXTRA', files[2].id), ('EXTRA', files[0].id)]
    )
    # The answer is rendered from what was written, without reading it back: the detail agrees.
    assert staff_client.get(f'/v6/jobs/{detail["id"]}/').json() == detail


def test_queueing_runs_a_fixed_number_of_queries(staff_client, job_type, files, django_assert_num_queries):
    body = {
        'job_type_id': job_type.id,
        'input': {'files': {'INPUT_FILE': [files[1].id], 'EXTRA': [files[2].id, files[0].id]}},
    }

    # The token; the job type, its revision, the files; the event, the job, the input-file links;
    # nothing is read back for the answer. (The test's transaction makes the request's a savepoint: 2.)
    with django_assert_num_queries(9):
        response = post(staff_client, body)

    assert response.status_code == 201, response.content


def test_input_version_and_json_types_are_accepted(staff_client, job_type, files):
    values = {
        'COUNT': 2**40,
        'RATIO': 0.5,
        'FLAG': False,
        'NAME': '; rm -rf /',
        'OPTIONS': {'a': [1]},
        'LIST': [],
    }
    body = {
        'job_type_id': job_type.id,
        'input': {'version': '6', 'files': {'INPUT_FILE': [files[0].id]}, 'json': values},
    }

    detail = post(staff_client, body).json()

    assert detail['input'] == {'files': {'INPUT_FILE': [files[0].id]}, 'json': values}


def test_a_job_type_without_file_inputs_has_no_input_size(staff_client):
    hello = factories.job_type(
        'hello', manifest=factories.seed_manifest('hello', inputs=[], json_inputs=['NAME'])
    )

    detail = post(staff_client, {'job_type_id': hello.id, 'input': {'json': {'NAME': 'x'}}}).json()

    assert detail['input_files'] == {}
    assert detail['input_file_size'] == 0.0
    assert detail['configuration']['priority'] == 100


def test_input_may_be_omitted_when_nothing_is_required(staff_client):
    hello = factories.job_type('hello', manifest=factories.seed_manifest('hello', inputs=[]))

    assert post(staff_client, {'job_type_id': hello.id}).status_code == 201
    assert post(staff_client, {'job_type_id': hello.id, 'input': None}).status_code == 201


BAD_BODIES = [
    # (body as a function of (job type id, file ids, deleted file id), the paths named)
    (lambda jt, f, d: [], ['__all__']),
    (lambda jt, f, d: 'text', ['__all__']),
    (lambda jt, f, d: {}, ['job_type_id']),
    (lambda jt, f, d: {'job_type_id': str(jt)}, ['job_type_id']),
    (lambda jt, f, d: {'job_type_id': True}, ['job_type_id']),
    (lambda jt, f, d: {'job_type_id': 0}, ['job_type_id']),
    (lambda jt, f, d: {'job_type_id': 2**64}, ['job_type_id']),
    (lambda jt, f, d: {'job_type_id': jt, 'inputs': {}}, ['inputs']),
    (lambda jt, f, d: {'job_type_id': jt, 'input': []}, ['input']),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': [f[0]]}, 'extra': 1}},
        ['input.extra'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'version': '1.0', 'files': {'INPUT_FILE': [f[0]]}}},
        ['input.version'],
    ),
    (lambda jt, f, d: {'job_type_id': jt, 'input': {'files': []}}, ['input.files']),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': [f[0]]}, 'json': 'x'}},
        ['input.json'],
    ),
    (lambda jt, f, d: {'job_type_id': jt, 'input': {}}, ['input.files.INPUT_FILE']),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': [f[0], f[1]]}}},
        ['input.files.INPUT_FILE'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': []}}},
        ['input.files.INPUT_FILE'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': f[0]}}},
        ['input.files.INPUT_FILE'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': ['1']}}},
        ['input.files.INPUT_FILE[0]'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': [True]}}},
        ['input.files.INPUT_FILE[0]'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': [-4]}}},
        ['input.files.INPUT_FILE[0]'],
    ),
    (
        lambda jt, f, d: {
            'job_type_id': jt,
            'input': {'files': {'INPUT_FILE': [f[0]], 'EXTRA': [f[1], f[1]]}},
        },
        ['input.files.EXTRA'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': [f[0]], 'OTHER': [f[1]]}}},
        ['input.files.OTHER'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': [f[0]], 'COUNT': [f[1]]}}},
        ['input.files.COUNT'],
    ),
    (
        lambda jt, f, d: {
            'job_type_id': jt,
            'input': {'files': {'INPUT_FILE': [f[0]]}, 'json': {'INPUT_FILE': 1}},
        },
        ['input.json.INPUT_FILE'],
    ),
    (
        lambda jt, f, d: {
            'job_type_id': jt,
            'input': {'files': {'INPUT_FILE': [f[0]]}, 'json': {'UNKNOWN': 1}},
        },
        ['input.json.UNKNOWN'],
    ),
    (
        lambda jt, f, d: {
            'job_type_id': jt,
            'input': {'files': {'INPUT_FILE': [f[0]]}, 'json': {'COUNT': True}},
        },
        ['input.json.COUNT'],
    ),
    (
        lambda jt, f, d: {
            'job_type_id': jt,
            'input': {'files': {'INPUT_FILE': [f[0]]}, 'json': {'COUNT': 1.5}},
        },
        ['input.json.COUNT'],
    ),
    (
        lambda jt, f, d: {
            'job_type_id': jt,
            'input': {'files': {'INPUT_FILE': [f[0]]}, 'json': {'COUNT': '3'}},
        },
        ['input.json.COUNT'],
    ),
    (
        lambda jt, f, d: {
            'job_type_id': jt,
            'input': {'files': {'INPUT_FILE': [f[0]]}, 'json': {'RATIO': False}},
        },
        ['input.json.RATIO'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': [f[0]]}, 'json': {'FLAG': 1}}},
        ['input.json.FLAG'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': [f[0]]}, 'json': {'NAME': 7}}},
        ['input.json.NAME'],
    ),
    (
        lambda jt, f, d: {
            'job_type_id': jt,
            'input': {'files': {'INPUT_FILE': [f[0]]}, 'json': {'OPTIONS': []}},
        },
        ['input.json.OPTIONS'],
    ),
    (
        lambda jt, f, d: {
            'job_type_id': jt,
            'input': {'files': {'INPUT_FILE': [f[0]]}, 'json': {'LIST': {}}},
        },
        ['input.json.LIST'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': [999999]}}},
        ['input.files.INPUT_FILE[0]'],
    ),
    (
        lambda jt, f, d: {'job_type_id': jt, 'input': {'files': {'INPUT_FILE': [d]}}},
        ['input.files.INPUT_FILE[0]'],
    ),
    (
        lambda jt, f, d: {
            'job_type_id': jt,
            'input': {'files': {'INPUT_FILE': [f[0]]}},
            'configuration': 'x',
        },
        ['configuration'],
    ),
    (
        lambda jt, f, d: {'job_type_id': 'x', 'input': 3, 'configuration': [], 'surprise': 1},
        ['job_type_id', 'input', 'configuration', 'surprise'],
    ),
]


@pytest.mark.parametrize(('make_body', 'paths'), BAD_BODIES)
def test_bad_requests_are_400_naming_each_path(staff_client, job_type, files, make_body, paths):
    deleted = factories.scale_file(file_name='gone.txt', is_deleted=True)
    body = make_body(job_type.id, [file.id for file in files], deleted.id)

    response = post(staff_client, body)

    assert response.status_code == 400, response.content
    errors = response.json()['errors']
    assert sorted(errors) == sorted(paths)
    for path in paths:
        if path != '__all__':
            assert f'"{path}"' in response.json()['detail']
    assert not Job.objects.exists()
    assert not TriggerEvent.objects.exists()


def test_missing_and_deleted_files_are_named(staff_client, job_type, files):
    deleted = factories.scale_file(file_name='gone.txt', is_deleted=True)
    body = {
        'job_type_id': job_type.id,
        'input': {'files': {'INPUT_FILE': [deleted.id], 'EXTRA': [files[0].id, 987654]}},
    }

    errors = post(staff_client, body).json()['errors']

    assert errors == {
        'input.files.INPUT_FILE[0]': [f'file {deleted.id} (gone.txt) is deleted'],
        'input.files.EXTRA[1]': ['file 987654 does not exist'],
    }


def test_an_unknown_job_type_is_404(staff_client):
    response = post(staff_client, {'job_type_id': 123456, 'input': {}})

    assert response.status_code == 404
    assert response.json() == {'detail': 'Job type 123456 does not exist.'}


def test_an_inactive_job_type_is_400(staff_client, files):
    old = factories.job_type('old-type', is_active=False)

    response = post(staff_client, {'job_type_id': old.id, 'input': {'files': {'INPUT_FILE': [files[0].id]}}})

    assert response.status_code == 400
    assert 'inactive' in response.json()['errors']['job_type_id'][0]


def test_a_paused_job_type_still_queues(staff_client, files):
    paused = factories.job_type('paused-type', is_paused=True)

    response = post(
        staff_client, {'job_type_id': paused.id, 'input': {'files': {'INPUT_FILE': [files[0].id]}}}
    )

    assert response.status_code == 201
    assert response.json()['status'] == 'QUEUED'


def test_the_job_runs_its_job_types_current_revision(staff_client, job_type, files):
    from job.models import JobTypeRevision

    newer = manifest()
    newer['job']['interface']['inputs']['json'].append({'name': 'NEW', 'type': 'string', 'required': True})
    JobTypeRevision.objects.create(job_type=job_type, revision_num=2, manifest=newer)
    factories.set_fields(job_type, revision_num=2, manifest=newer)

    missing = post(
        staff_client, {'job_type_id': job_type.id, 'input': {'files': {'INPUT_FILE': [files[0].id]}}}
    )
    body = {
        'job_type_id': job_type.id,
        'input': {'files': {'INPUT_FILE': [files[0].id]}, 'json': {'NEW': 'x'}},
    }
    queued = post(staff_client, body)

    assert missing.json()['errors'] == {'input.json.NEW': ['is required']}
    assert queued.json()['job_type_rev']['revision_num'] == 2


def test_writes_need_a_staff_user(anon_client, client, job_type, files):
    body = {'job_type_id': job_type.id, 'input': {'files': {'INPUT_FILE': [files[0].id]}}}

    assert post(anon_client, body).status_code == 401
    assert post(client, body).status_code == 403
    assert not Job.objects.exists()


def test_a_body_that_is_not_json_is_refused(staff_client, job_type):
    form = staff_client.post('/v6/jobs/', {'job_type_id': job_type.id})
    broken = staff_client.post('/v6/jobs/', '{"job_type_id": ', content_type='application/json')
    nan = staff_client.post('/v6/jobs/', '{"job_type_id": NaN}', content_type='application/json')
    huge = staff_client.post('/v6/jobs/', '{"job_type_id": 1e400}', content_type='application/json')
    deep = staff_client.post('/v6/jobs/', '[' * 100 + ']' * 100, content_type='application/json')
    very_deep = staff_client.post('/v6/jobs/', '[' * 100000, content_type='application/json')

    assert form.status_code == 415
    assert [response.status_code for response in (broken, nan, huge, deep, very_deep)] == [400] * 5
    assert 'JSON parse error' in deep.json()['detail']


def test_a_body_over_the_size_limit_is_413(staff_client, settings, job_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = post(staff_client, {'job_type_id': job_type.id, 'input': {'json': {'NAME': 'x' * 2000}}})

    assert response.status_code == 413


def test_the_url_without_slash_queues_too(staff_client, job_type, files):
    body = {'job_type_id': job_type.id, 'input': {'files': {'INPUT_FILE': [files[0].id]}}}

    response = staff_client.post('/v6/jobs', json.dumps(body), content_type='application/json')

    assert response.status_code == 201


# --- Idempotency-Key ---------------------------------------------------------------------------------


def test_the_same_key_and_body_return_the_first_job(staff_client, job_type, files):
    body = {'job_type_id': job_type.id, 'input': {'files': {'INPUT_FILE': [files[0].id]}}}

    first = post(staff_client, body, HTTP_IDEMPOTENCY_KEY='abc-123')
    again = post(staff_client, dict(reversed(list(body.items()))), HTTP_IDEMPOTENCY_KEY='abc-123')

    assert first.status_code == again.status_code == 201
    assert again.json()['id'] == first.json()['id']
    assert again['Location'] == first['Location']
    assert again['Idempotent-Replayed'] == 'true'
    assert 'Idempotent-Replayed' not in first
    assert Job.objects.count() == 1
    assert TriggerEvent.objects.count() == 1


def test_the_same_key_with_another_body_is_409(staff_client, job_type, files):
    body = {'job_type_id': job_type.id, 'input': {'files': {'INPUT_FILE': [files[0].id]}}}
    post(staff_client, body, HTTP_IDEMPOTENCY_KEY='k1')

    other = {'job_type_id': job_type.id, 'input': {'files': {'INPUT_FILE': [files[1].id]}}}
    response = post(staff_client, other, HTTP_IDEMPOTENCY_KEY='k1')

    assert response.status_code == 409
    assert 'k1' in response.json()['detail']
    assert Job.objects.count() == 1


def test_keys_are_per_user_and_unkeyed_requests_always_queue(staff_client, job_type, files):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    other_user = get_user_model().objects.create_user('second-operator', is_staff=True)
    other_client = APIClient()
    other_client.force_authenticate(other_user)
    body = {'job_type_id': job_type.id, 'input': {'files': {'INPUT_FILE': [files[0].id]}}}

    ids = {
        post(staff_client, body, HTTP_IDEMPOTENCY_KEY='shared').json()['id'],
        post(other_client, body, HTTP_IDEMPOTENCY_KEY='shared').json()['id'],
        post(staff_client, body).json()['id'],
        post(staff_client, body).json()['id'],
    }

    assert len(ids) == 4


def test_a_failed_request_does_not_use_up_its_key(staff_client, job_type, files):
    bad = {'job_type_id': job_type.id, 'input': {}}
    good = {'job_type_id': job_type.id, 'input': {'files': {'INPUT_FILE': [files[0].id]}}}

    assert post(staff_client, bad, HTTP_IDEMPOTENCY_KEY='retry-me').status_code == 400
    assert post(staff_client, good, HTTP_IDEMPOTENCY_KEY='retry-me').status_code == 201


@pytest.mark.parametrize('key', ['', 'has space', 'x' * 256, 'caf\u00e9'])
def test_a_malformed_key_is_400(staff_client, job_type, files, key):
    body = {'job_type_id': job_type.id, 'input': {'files': {'INPUT_FILE': [files[0].id]}}}

    response = post(staff_client, body, HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert 'Idempotency-Key' in response.json()['errors']
    assert not Job.objects.exists()


# --- Configuration override ------------------------------------------------------------------------


@pytest.fixture
def configured_type():
    body = manifest()
    body['job']['interface']['settings'] = [
        {'name': 'DB_HOST', 'secret': False},
        {'name': 'DB_PASS', 'secret': True},
    ]
    factories.workspace('ws-default')
    factories.workspace('ws-other')
    return factories.job_type(
        'configured',
        manifest=body,
        configuration={
            'priority': 42,
            'output_workspaces': {'default': 'ws-default', 'outputs': {}},
            'settings': {'DB_HOST': 'db.example'},
        },
    )


def test_an_override_is_merged_over_the_job_types_configuration(staff_client, configured_type, files):
    body = {
        'job_type_id': configured_type.id,
        'input': {'files': {'INPUT_FILE': [files[0].id]}},
        'configuration': {'priority': 7, 'output_workspaces': {'default': 'ws-other'}},
    }

    detail = post(staff_client, body).json()

    assert detail['configuration'] == {
        'mounts': {},
        'output_workspaces': {'default': 'ws-other', 'outputs': {}},
        'priority': 7,
        'settings': {'DB_HOST': 'db.example'},
    }
    assert Job.objects.get().priority == 7
    assert staff_client.get(f'/v6/jobs/{detail["id"]}/').json() == detail


def test_an_override_without_priority_keeps_the_job_types(staff_client, configured_type, files):
    body = {
        'job_type_id': configured_type.id,
        'input': {'files': {'INPUT_FILE': [files[0].id]}},
        'configuration': {'settings': {'DB_HOST': 'other.example'}},
    }

    detail = post(staff_client, body).json()

    assert detail['configuration']['priority'] == 42
    assert detail['configuration']['settings'] == {'DB_HOST': 'other.example'}


def test_secret_settings_are_kept_apart_and_never_returned(staff_client, configured_type, files):
    from job.models import SecretSetting

    body = {
        'job_type_id': configured_type.id,
        'input': {'files': {'INPUT_FILE': [files[0].id]}},
        'configuration': {'settings': {'DB_PASS': 'hunter2-secret'}},
    }

    response = post(staff_client, body)
    job = Job.objects.get()

    assert response.status_code == 201
    assert b'hunter2-secret' not in response.content
    assert b'hunter2-secret' not in staff_client.get(f'/v6/jobs/{job.id}/').content
    assert b'hunter2-secret' not in staff_client.get('/v6/jobs/').content
    assert 'DB_PASS' not in json.dumps(job.configuration)
    assert SecretSetting.objects.get(job=job).value == 'hunter2-secret'


@pytest.mark.parametrize(
    ('configuration', 'path'),
    [
        ({'priority': 0}, 'configuration.priority'),
        ({'priority': True}, 'configuration.priority'),
        ({'priority': '5'}, 'configuration.priority'),
        ({'settings': {'DB_HOST': 5}}, 'configuration.settings.DB_HOST'),
        ({'output_workspaces': {'default': 'no-such-workspace'}}, 'configuration.output_workspaces.default'),
        ({'version': 'BAD'}, 'configuration.version'),
        ({'surprise': 1}, 'configuration.surprise'),
    ],
)
def test_a_bad_override_is_400_naming_it(staff_client, configured_type, files, configuration, path):
    body = {
        'job_type_id': configured_type.id,
        'input': {'files': {'INPUT_FILE': [files[0].id]}},
        'configuration': configuration,
    }

    response = post(staff_client, body)

    assert response.status_code == 400, response.content
    assert path in response.json()['errors'], response.json()
    assert not Job.objects.exists()
