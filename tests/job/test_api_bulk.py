"""POST /v6/jobs/cancel/ and /v6/jobs/requeue/: validation, the 202 and its bulk operation, every
filter field, and GET /v6/bulk-operations/. The task worker runs in-process (db_worker --batch)."""

import datetime
import json

import pytest
from django.utils import timezone

from job.choices import JobStatus
from job.models import BulkOperation, Job
from tests import factories
from tests.job.bulk_support import operation_of, run_worker

pytestmark = pytest.mark.django_db

CANCEL = '/v6/jobs/cancel/'
REQUEUE = '/v6/jobs/requeue/'


def post(client, url, body, **headers):
    return client.post(url, body, format='json', headers=headers)


def test_a_requeue_answers_202_with_the_operation_and_the_worker_does_it(staff_client):
    job_type = factories.job_type(max_tries=3)
    failed = factories.job(job_type, JobStatus.FAILED, num_exes=3, max_tries=3)
    completed = factories.job(job_type, JobStatus.COMPLETED)

    response = post(staff_client, REQUEUE, {'job_ids': [failed.id, completed.id], 'priority': 7})

    assert response.status_code == 202
    body = response.json()
    assert response.headers['Location'] == f'http://testserver/v6/bulk-operations/{body["id"]}/'
    assert body['url'] == response.headers['Location']
    assert (body['kind'], body['state'], body['filter'], body['priority']) == (
        'REQUEUE',
        'QUEUED',
        {'job_ids': sorted([failed.id, completed.id])},
        7,
    )
    assert (body['matched'], body['processed'], body['changed'], body['skipped']) == (None, 0, 0, 0)
    assert body['created_by'] == 'operator' and body['started'] is None and body['ended'] is None
    failed.refresh_from_db()
    assert failed.status == JobStatus.FAILED  # nothing changes before the worker runs

    run_worker()

    followed = staff_client.get(response.headers['Location']).json()
    assert followed['state'] == 'COMPLETED' and followed['error'] is None
    assert (followed['matched'], followed['processed'], followed['changed'], followed['skipped']) == (
        2,
        2,
        1,
        1,
    )
    assert followed['started'] is not None and followed['ended'] is not None
    failed.refresh_from_db()
    assert (failed.status, failed.num_exes, failed.max_tries, failed.priority) == (JobStatus.QUEUED, 4, 6, 7)
    assert (failed.error, failed.node, failed.started, failed.ended) == (None, None, None, None)
    completed.refresh_from_db()
    assert completed.status == JobStatus.COMPLETED


def test_the_shipped_web_ui_bodies_work(staff_client):
    job_type = factories.job_type(name='my-algo')
    running = factories.job(job_type, JobStatus.RUNNING)
    failed = factories.job(job_type, JobStatus.FAILED)
    canceled = factories.job(job_type, JobStatus.CANCELED)
    url = '/api/v6/jobs/cancel/'
    steps = [
        # Jobs list row button; job details "Cancel" and "Requeue"; jobs page "Requeue all"/"Cancel all".
        (CANCEL, {'job_ids': [running.id], 'url': url}, {running: JobStatus.CANCELED}),
        (
            CANCEL,
            {'job_type_names': ['my-algo'], 'job_ids': [failed.id], 'url': url},
            {failed: JobStatus.CANCELED},
        ),
        (
            REQUEUE,
            {'job_type_names': ['my-algo'], 'job_ids': [failed.id], 'status': 'CANCELED', 'url': url},
            {failed: JobStatus.QUEUED, running: JobStatus.CANCELED},
        ),
        (
            REQUEUE,
            {'started': '2024-04-30T00:00:00.000Z', 'ended': '2099-05-01T00:00:00.000Z', 'url': url},
            {running: JobStatus.QUEUED, canceled: JobStatus.QUEUED},
        ),
        (
            CANCEL,
            {'error_categories': [['SYSTEM', 'DATA']], 'status': 'QUEUED', 'url': url},
            {running: JobStatus.QUEUED},
        ),
    ]
    for endpoint, body, expected in steps:
        response = post(staff_client, endpoint, body)
        assert response.status_code == 202, (body, response.json())
        run_worker()
        for job, status in expected.items():
            job.refresh_from_db()
            assert job.status == status, (body, job)
    assert operation_of(response).filter == {'error_categories': ['DATA', 'SYSTEM'], 'status': ['QUEUED']}


@pytest.mark.parametrize(
    ('body', 'field', 'message'),
    [
        ({}, '__all__', 'Give at least one filter'),
        ({'url': '/api/v6/jobs/requeue/'}, '__all__', 'Give at least one filter'),
        ({'job_ids': [], 'status': None, 'url': 'x'}, '__all__', 'Give at least one filter'),
        ({'job_id': [1]}, 'job_id', 'Unknown field'),
        ({'status': 'FAILED', 'sttaus': 'x'}, 'sttaus', 'Unknown field'),
        ({'status': 'DONE'}, 'status[0]', "'DONE' is not one of"),
        ({'status': ['FAILED', 'failed']}, 'status[1]', 'is not one of'),
        ({'status': 3}, 'status', 'Must be a status or a list'),
        ({'job_ids': 5}, 'job_ids', 'Must be a list'),
        ({'job_ids': ['x']}, 'job_ids[0]', 'is not an id'),
        ({'job_ids': [True]}, 'job_ids[0]', 'is not an id'),
        ({'job_ids': [0]}, 'job_ids[0]', 'is not an id'),
        ({'job_type_ids': [1.5]}, 'job_type_ids[0]', 'is not an id'),
        ({'batch_ids': [{}]}, 'batch_ids[0]', 'is not an id'),
        ({'recipe_ids': ['-1']}, 'recipe_ids[0]', 'is not an id'),
        ({'error_ids': [None]}, 'error_ids[0]', 'is not an id'),
        ({'error_categories': ['BAD']}, 'error_categories[0]', "'BAD' is not one of"),
        ({'error_categories': 'SYSTEM'}, 'error_categories', 'Must be a list'),
        ({'job_types': [{'name': 'nope', 'version': '1.0.0'}]}, 'job_types[0]', 'does not exist'),
        ({'job_types': ['my-algo']}, 'job_types[0]', 'Must be an object'),
        ({'job_types': [{'name': 'my-algo'}]}, 'job_types[0]', 'Must be an object'),
        ({'job_types': [{'name': 'my-algo', 'version': 1}]}, 'job_types[0]', 'non-empty strings'),
        ({'job_type_names': ['nope']}, 'job_type_names[0]', "No job type is named 'nope'"),
        ({'job_type_names': [7]}, 'job_type_names[0]', 'is not a job type name'),
        ({'is_superseded': 'yes'}, 'is_superseded', 'Must be true or false'),
        ({'started': 'yesterday'}, 'started', 'not an ISO-8601 datetime or duration'),
        ({'ended': '2024-13-01T00:00:00Z'}, 'ended', 'not an ISO-8601 datetime or duration'),
        ({'started': 5}, 'started', 'not an ISO-8601 datetime or duration'),
        (
            {'started': '2024-02-01T00:00:00Z', 'ended': '2024-01-01T00:00:00Z'},
            'started',
            'Must not be after "ended"',
        ),
        ({'started': 'PT1H', 'ended': 'P1D'}, 'started', 'Must not be after "ended"'),
    ],
)
@pytest.mark.parametrize('endpoint', [CANCEL, REQUEUE])
def test_bad_bodies_are_400_naming_the_field_and_change_nothing(staff_client, endpoint, body, field, message):
    factories.job_type(name='my-algo')
    job = factories.job(status=JobStatus.FAILED)

    response = post(staff_client, endpoint, body)

    assert response.status_code == 400, response.json()
    assert message in ' '.join(response.json()['errors'][field]), response.json()
    assert field in response.json()['detail'] or field == '__all__'
    assert not BulkOperation.objects.exists()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


@pytest.mark.parametrize(
    ('body', 'field'),
    [
        ({'job_ids': [1], 'priority': 0}, 'priority'),
        ({'job_ids': [1], 'priority': -3}, 'priority'),
        ({'job_ids': [1], 'priority': '5'}, 'priority'),
        ({'job_ids': [1], 'priority': True}, 'priority'),
        ({'job_ids': [1], 'priority': 2**31}, 'priority'),
    ],
)
def test_a_bad_requeue_priority_is_400(staff_client, body, field):
    response = post(staff_client, REQUEUE, body)
    assert response.status_code == 400 and field in response.json()['errors']


def test_a_requeue_with_only_a_priority_is_refused(staff_client):
    response = post(staff_client, REQUEUE, {'priority': 5, 'url': '/api/v6/jobs/requeue/'})
    assert response.status_code == 400 and 'Give at least one filter' in response.json()['detail']


def test_cancel_takes_no_priority(staff_client):
    response = post(staff_client, CANCEL, {'job_ids': [1], 'priority': 5})
    assert response.status_code == 400 and 'Unknown field' in response.json()['errors']['priority'][0]


@pytest.mark.parametrize('body', [[1, 2], 'status', 5, None])
def test_a_body_that_is_not_an_object_is_400(staff_client, body):
    response = staff_client.post(CANCEL, data=json.dumps(body), content_type='application/json')
    assert response.status_code == 400
    assert not BulkOperation.objects.exists()


def test_other_content_types_are_415(staff_client):
    response = staff_client.post(CANCEL, data='job_ids=1', content_type='application/x-www-form-urlencoded')
    assert response.status_code == 415


def test_writes_need_a_staff_user(client, anon_client):
    assert post(client, CANCEL, {'job_ids': [1]}).status_code == 403
    assert post(anon_client, REQUEUE, {'job_ids': [1]}).status_code == 401
    assert not BulkOperation.objects.exists()


def test_get_is_not_allowed_on_the_bulk_endpoints(staff_client):
    assert staff_client.get(CANCEL).status_code == 405


def test_an_idempotency_key_returns_the_same_operation(staff_client):
    job = factories.job(status=JobStatus.QUEUED)
    body = {'job_ids': [job.id]}

    first = post(staff_client, CANCEL, body, **{'Idempotency-Key': 'cancel-42'})
    again = post(staff_client, CANCEL, body, **{'Idempotency-Key': 'cancel-42'})
    other = post(staff_client, CANCEL, {'job_ids': [job.id, 99]}, **{'Idempotency-Key': 'cancel-42'})
    as_requeue = post(staff_client, REQUEUE, body, **{'Idempotency-Key': 'cancel-42'})

    assert first.status_code == again.status_code == 202
    assert again.json()['id'] == first.json()['id'] and again.headers['Idempotent-Replayed'] == 'true'
    assert again.headers['Location'] == first.headers['Location']
    assert other.status_code == 409
    assert as_requeue.status_code == 202 and as_requeue.json()['id'] != first.json()['id']
    assert BulkOperation.objects.count() == 2
    run_worker()
    assert operation_of(first).changed == 1


def test_durations_are_frozen_when_the_request_is_accepted(staff_client):
    before = timezone.now()
    response = post(staff_client, CANCEL, {'started': 'P1D', 'ended': 'PT0S'})
    frozen = response.json()['filter']
    started = datetime.datetime.fromisoformat(frozen['started'].replace('Z', '+00:00'))
    ended = datetime.datetime.fromisoformat(frozen['ended'].replace('Z', '+00:00'))
    assert abs((before - datetime.timedelta(days=1)) - started) < datetime.timedelta(seconds=5)
    assert abs(before - ended) < datetime.timedelta(seconds=5)


def test_job_types_by_name_and_version_are_frozen_into_ids(staff_client):
    old = factories.job_type(name='algo', version='1.0.0')
    new = factories.job_type(name='algo', version='2.0.0')
    response = post(
        staff_client, CANCEL, {'job_types': [{'name': 'algo', 'version': '2.0.0'}], 'job_type_ids': [old.id]}
    )
    assert response.json()['filter'] == {
        'job_type_ids': [old.id],
        'job_types': [{'name': 'algo', 'version': '2.0.0', 'id': new.id}],
    }


def _world():
    """Jobs that differ in every filterable way; all cancelable (QUEUED or FAILED)."""
    algo = factories.job_type(name='algo', version='1.0.0')
    algo2 = factories.job_type(name='algo', version='2.0.0')
    other = factories.job_type(name='other')
    batch = factories.batch()
    recipe = factories.recipe()
    system = factories.error('node-lost')
    jobs = {
        'plain': factories.job(algo, JobStatus.QUEUED),
        'v2': factories.job(algo2, JobStatus.QUEUED),
        'other': factories.job(other, JobStatus.QUEUED),
        'batched': factories.job(other, JobStatus.QUEUED, batch=batch),
        'recipe': factories.job(other, JobStatus.QUEUED, recipe=recipe),
        'system': factories.job(other, JobStatus.FAILED, error=system),
        'algorithm': factories.job(other, JobStatus.FAILED),  # algorithm-unknown
        'superseded': factories.job(other, JobStatus.FAILED, is_superseded=True),
        'old': factories.job(other, JobStatus.QUEUED),
    }
    factories.set_fields(jobs['old'], last_modified=factories.dt('2020-01-01T00:00:00Z'))
    return jobs, {'algo': algo, 'algo2': algo2, 'batch': batch, 'recipe': recipe, 'system': system}


@pytest.mark.parametrize(
    ('make_body', 'expected'),
    [
        (lambda jobs, refs: {'status': 'FAILED'}, {'system', 'algorithm', 'superseded'}),
        (
            lambda jobs, refs: {
                'status': ['FAILED', 'QUEUED'],
                'job_ids': [jobs['v2'].id, jobs['system'].id],
            },
            {'v2', 'system'},
        ),
        (lambda jobs, refs: {'job_ids': [jobs['plain'].id, jobs['old'].id]}, {'plain', 'old'}),
        (lambda jobs, refs: {'job_type_ids': [refs['algo'].id]}, {'plain'}),
        (lambda jobs, refs: {'job_types': [{'name': 'algo', 'version': '2.0.0'}]}, {'v2'}),
        (
            lambda jobs, refs: {
                'job_types': [{'name': 'algo', 'version': '2.0.0'}],
                'job_type_ids': [refs['algo'].id],
            },
            {'plain', 'v2'},
        ),
        (lambda jobs, refs: {'job_type_names': ['algo']}, {'plain', 'v2'}),
        (lambda jobs, refs: {'batch_ids': [refs['batch'].id]}, {'batched'}),
        (lambda jobs, refs: {'recipe_ids': [refs['recipe'].id]}, {'recipe'}),
        (lambda jobs, refs: {'error_categories': ['SYSTEM']}, {'system'}),
        (
            lambda jobs, refs: {'error_categories': ['ALGORITHM', 'SYSTEM']},
            {'system', 'algorithm', 'superseded'},
        ),
        (lambda jobs, refs: {'error_ids': [refs['system'].id]}, {'system'}),
        (lambda jobs, refs: {'error_ids': [str(refs['system'].id)]}, {'system'}),
        (lambda jobs, refs: {'is_superseded': True}, {'superseded'}),
        (lambda jobs, refs: {'ended': '2021-01-01T00:00:00Z'}, {'old'}),
        (
            lambda jobs, refs: {'started': '2021-01-01T00:00:00Z', 'job_type_names': ['other']},
            {'other', 'batched', 'recipe', 'system', 'algorithm', 'superseded'},
        ),
        (
            lambda jobs, refs: {'started': 'P1D', 'is_superseded': False, 'status': 'QUEUED'},
            {'plain', 'v2', 'other', 'batched', 'recipe'},
        ),
    ],
)
def test_every_filter_field_selects_exactly_its_jobs(staff_client, make_body, expected):
    jobs, refs = _world()
    response = post(staff_client, CANCEL, make_body(jobs, refs))
    assert response.status_code == 202, response.json()
    run_worker()

    canceled = {name for name, job in jobs.items() if Job.objects.get(pk=job.pk).status == JobStatus.CANCELED}
    assert canceled == expected
    operation = operation_of(response)
    assert (operation.matched, operation.processed, operation.changed, operation.skipped) == (
        len(expected),
        len(expected),
        len(expected),
        0,
    )


def test_jobs_created_after_the_request_are_not_touched(staff_client):
    job_type = factories.job_type()
    before = factories.job(job_type, JobStatus.QUEUED)
    response = post(staff_client, CANCEL, {'job_type_ids': [job_type.id]})
    after = factories.job(job_type, JobStatus.QUEUED)
    run_worker()
    assert Job.objects.get(pk=before.pk).status == JobStatus.CANCELED
    assert Job.objects.get(pk=after.pk).status == JobStatus.QUEUED
    assert operation_of(response).matched == 1


def test_the_list_filters_by_state_and_kind_and_pages(staff_client, client):
    job = factories.job(status=JobStatus.QUEUED)
    cancel = post(staff_client, CANCEL, {'job_ids': [job.id]}).json()
    requeue = post(staff_client, REQUEUE, {'job_ids': [job.id]}).json()
    run_worker()
    third = post(staff_client, CANCEL, {'job_ids': [job.id]}).json()

    listed = client.get('/v6/bulk-operations/').json()
    assert listed['count'] == 3 and [item['id'] for item in listed['results']] == [
        third['id'],
        requeue['id'],
        cancel['id'],
    ]
    assert [item['id'] for item in client.get('/v6/bulk-operations/?kind=REQUEUE').json()['results']] == [
        requeue['id']
    ]
    assert [item['id'] for item in client.get('/v6/bulk-operations/?state=QUEUED').json()['results']] == [
        third['id']
    ]
    assert client.get('/v6/bulk-operations/?state=COMPLETED&kind=CANCEL').json()['count'] == 1
    assert client.get('/v6/bulk-operations/?page_size=1&page=2').json()['results'][0]['id'] == requeue['id']
    bad = client.get('/v6/bulk-operations/?state=DONE')
    assert bad.status_code == 400 and 'state' in bad.json()['errors']
    assert client.get('/v6/bulk-operations/?kind=delete').status_code == 400
    assert client.get(f'/v6/bulk-operations/{cancel["id"]}/').json()['kind'] == 'CANCEL'
    assert client.get('/v6/bulk-operations/999999/').status_code == 404


def test_the_list_runs_a_constant_number_of_queries(client, staff_user, django_assert_max_num_queries):
    for _ in range(30):
        BulkOperation.objects.create(kind='CANCEL', filter={'job_ids': [1]}, created_by=staff_user)
    with django_assert_max_num_queries(4):
        assert client.get('/v6/bulk-operations/?page_size=100').json()['count'] == 30
