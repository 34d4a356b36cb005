"""GET /v6/jobs/ through HTTP: the exact shape of a list item (job/serializers.py JobSerializer and
the v6 description) and who may read the list.
"""

import datetime
import re
from urllib.parse import urlencode

import pytest

from job.choices import ErrorCategory
from job.models import Error, TriggerEvent
from tests import factories
from tests.factories import dt, set_fields
from tests.job.contract import JOB_LIST_KEYS

URL = '/v6/jobs/'
T = dt('2024-04-30T00:00:00Z')
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
ISO_Z = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$')


def get(client, query=''):
    """GET /v6/jobs/ with `query`: a raw query string, or a list of (name, value) pairs."""
    if not isinstance(query, str):
        query = urlencode(query)
    return client.get(f'{URL}?{query}' if query else URL)


def custom_error(name, category, **fields):
    return Error.objects.create(
        name=name,
        job_type_name=fields.pop('job_type_name', 'tester'),
        category=category,
        title=fields.pop('title', name.replace('-', ' ').title()),
        description=fields.pop('description', f'{name} happened'),
        **fields,
    )


@pytest.fixture
def jobs(db):
    """Six jobs of one type in several statuses (two FAILED), some in a batch or with source times,
    last modified at fixed times with milliseconds."""
    job_type = factories.job_type()
    batch = factories.batch()
    made = []
    for n, status in enumerate(['QUEUED', 'RUNNING', 'FAILED', 'COMPLETED', 'CANCELED', 'FAILED']):
        job = factories.job(
            job_type,
            status,
            batch=batch if n % 2 else None,
            source_started=T - DAY if n % 3 == 0 else None,
            source_ended=T - DAY + HOUR if n % 3 == 0 else None,
        )
        made.append(set_fields(job, last_modified=T + n * HOUR + datetime.timedelta(milliseconds=n * 250)))
    return made


def test_list_item_shape_of_a_fully_linked_job(client, db):
    job_type = factories.job_type(
        'scale-ingest', icon_code='f013', unmet_resources='chocolate,vanilla', is_system=True
    )
    event = TriggerEvent.objects.create(type='STRIKE_TRANSFER', occurred=dt('2015-08-28T17:57:24Z'))
    recipe_type = factories.recipe_type(
        'my-recipe-type', title='My Recipe Type', description='My Recipe Type Description'
    )
    recipe = factories.recipe(recipe_type)
    batch = factories.batch(
        title='My Batch', description='My batch of recipes', created=dt('2015-08-28T17:55:41Z')
    )
    node = factories.node('my-host.example.domain')
    error = custom_error(
        'bad-input',
        ErrorCategory.DATA,
        job_type_name='scale-ingest',
        title='Bad input',
        description='The input was bad',
    )
    workspace = factories.workspace()
    files = [factories.scale_file(workspace, name) for name in ('a.file', 'b.file', 'c.file')]
    previous = factories.job(job_type, 'FAILED', is_superseded=True, superseded=dt('2015-08-28T17:59:00Z'))
    job = factories.job(
        job_type,
        'FAILED',
        event=event,
        recipe=recipe,
        batch=batch,
        node=node,
        error=error,
        superseded_job=previous,
        input_files=[('INPUT_FILE', files[0]), ('OTHER', files[1]), ('OTHER', files[2])],
        source_started=dt('2015-08-28T17:55:41.005Z'),
        source_ended=dt('2015-08-28T17:56:41Z'),
        source_sensor_class='classA',
        source_sensor='1',
        source_collection='12345',
        source_task='my-task',
        created=dt('2015-08-28T17:55:41Z'),
        queued=dt('2015-08-28T17:56:41Z'),
        started=dt('2015-08-28T17:57:41Z'),
        ended=dt('2015-08-28T17:58:41Z'),
        last_status_change=dt('2015-08-28T17:58:45Z'),
    )
    set_fields(job, last_modified=dt('2015-08-28T17:58:46Z'))
    set_fields(previous, last_modified=dt('2015-08-28T17:00:00Z'))

    response = get(client, f'job_id={job.id}')
    assert response.status_code == 200
    assert response['Content-Type'] == 'application/json'
    body = response.json()
    assert set(body) == {'count', 'next', 'previous', 'results'}
    assert (body['count'], body['next'], body['previous']) == (1, None, None)
    item = body['results'][0]
    assert set(item) == JOB_LIST_KEYS
    assert item == {
        'id': job.id,
        'job_type': {
            'id': job_type.id,
            'name': 'scale-ingest',
            'version': '1.0.0',
            'title': 'scale-ingest title',
            'description': 'scale-ingest description',
            'is_active': True,
            'is_system': True,
            'is_paused': False,
            'is_published': False,
            'icon_code': 'f013',
            'unmet_resources': 'chocolate,vanilla',
        },
        'job_type_rev': {'id': job.job_type_rev_id, 'job_type': {'id': job_type.id}, 'revision_num': 1},
        'event': {'id': event.id, 'type': 'STRIKE_TRANSFER', 'occurred': '2015-08-28T17:57:24Z'},
        'recipe': {
            'id': recipe.id,
            'recipe_type': {
                'id': recipe_type.id,
                'name': 'my-recipe-type',
                'title': 'My Recipe Type',
                'description': 'My Recipe Type Description',
                'revision_num': 1,
            },
            'recipe_type_rev': {'id': recipe.recipe_type_rev_id},
            'event': {'id': recipe.event_id},
        },
        'batch': {
            'id': batch.id,
            'title': 'My Batch',
            'description': 'My batch of recipes',
            'created': '2015-08-28T17:55:41Z',
        },
        'is_superseded': False,
        'superseded_job': {'id': previous.id},
        'status': 'FAILED',
        'node': {'id': node.id, 'hostname': 'my-host.example.domain'},
        'error': {
            'id': error.id,
            'name': 'bad-input',
            'title': 'Bad input',
            'description': 'The input was bad',
            'job_type_name': 'scale-ingest',
            'category': 'DATA',
            'is_builtin': False,
            'should_be_retried': False,
        },
        'max_tries': job.max_tries,
        'num_exes': 1,
        'input_file_size': 3.0,
        'input_files': {'INPUT_FILE': ['a.file'], 'OTHER': ['b.file', 'c.file']},
        'source_started': '2015-08-28T17:55:41.005000Z',
        'source_ended': '2015-08-28T17:56:41Z',
        'source_sensor_class': 'classA',
        'source_sensor': '1',
        'source_collection': '12345',
        'source_task': 'my-task',
        'created': '2015-08-28T17:55:41Z',
        'queued': '2015-08-28T17:56:41Z',
        'started': '2015-08-28T17:57:41Z',
        'ended': '2015-08-28T17:58:41Z',
        'last_status_change': '2015-08-28T17:58:45Z',
        'superseded': None,
        'last_modified': '2015-08-28T17:58:46Z',
    }

    superseded = get(client, f'job_id={previous.id}').json()['results'][0]
    assert superseded['is_superseded'] is True
    assert superseded['superseded'] == '2015-08-28T17:59:00Z'
    assert superseded['superseded_job'] is None


def test_list_item_shape_of_a_bare_job(client, db):
    job = factories.job(status='PENDING')
    item = get(client).json()['results'][0]
    assert set(item) == JOB_LIST_KEYS
    assert item['id'] == job.id
    for key in ('recipe', 'batch', 'node', 'error', 'superseded_job', 'input_file_size', 'queued', 'started'):
        assert item[key] is None, key
    assert item['input_files'] == {}
    assert item['status'] == 'PENDING'
    assert set(item['job_type_rev']) == {'id', 'job_type', 'revision_num'}
    assert set(item['event']) == {'id', 'type', 'occurred'}
    for key in ('created', 'last_status_change', 'last_modified'):
        assert ISO_Z.match(item[key]), item[key]
    assert ISO_Z.match(item['event']['occurred'])


def test_list_item_datetimes_are_iso_strings_ending_in_z(client, jobs):
    datetime_keys = (
        'source_started',
        'source_ended',
        'created',
        'queued',
        'started',
        'ended',
        'last_status_change',
        'superseded',
        'last_modified',
    )
    by_id = {job.id: job for job in jobs}
    for item in get(client).json()['results']:
        for key in datetime_keys:
            assert item[key] is None or ISO_Z.match(item[key]), (key, item[key])
        job = by_id[item['id']]
        assert (
            datetime.datetime.fromisoformat(item['last_modified'].replace('Z', '+00:00')) == job.last_modified
        )
        if item['batch']:
            assert ISO_Z.match(item['batch']['created'])


# --------------------------------------------------------------------------------------------------
# Authentication.


def test_anonymous_is_401_with_www_authenticate(anon_client, jobs):
    response = anon_client.get(URL)
    assert response.status_code == 401
    assert response['WWW-Authenticate'].startswith('Token')
    assert 'results' not in response.json()


def test_anonymous_with_a_bad_token_is_401(anon_client, jobs):
    anon_client.credentials(HTTP_AUTHORIZATION='Token not-a-real-token')
    response = anon_client.get(URL)
    assert response.status_code == 401
    assert 'WWW-Authenticate' in response


def test_anonymous_with_public_read_is_200(anon_client, jobs, public_read):
    response = anon_client.get(URL, {'status': 'FAILED'})
    assert response.status_code == 200
    assert response.json()['count'] == 2


def test_signed_in_users_read_the_list(client, staff_client, jobs):
    assert client.get(URL).json()['count'] == 6
    assert staff_client.get(URL).json()['count'] == 6
