"""GET /v6/nodes/, GET and PATCH /v6/nodes/{id}/ (issue 4 item 1; the UI's calls in scale-ui-client.md 5.2)."""

import datetime

import pytest
from django.utils import timezone

from job.choices import JobStatus
from job.services.executions import Placement, complete_execution, place_jobs
from node.models import Node
from tests import factories

pytestmark = pytest.mark.django_db

NODE_KEYS = {
    'id',
    'hostname',
    'pause_reason',
    'is_paused',
    'is_active',
    'deprecated',
    'created',
    'last_modified',
    'state',
    'last_heartbeat',
    'resources',
    'free_resources',
    'running_executions',
}


def alive(hostname, **fields):
    return factories.node(hostname, last_heartbeat=timezone.now(), **fields)


def run_on(node, resources, count=1):
    jobs = [factories.job(status=JobStatus.QUEUED) for _ in range(count)]
    place_jobs([Placement(job.id, 1, node.id, resources) for job in jobs])
    return jobs


def test_a_node_shows_its_state_resources_and_running_executions(client):
    node = alive(
        'busy.example', resources={'cpus': 8.0, 'mem': 16384.0, 'disk': 1000.0, 'gpus': 2.0, 'fpga': 1.0}
    )
    jobs = run_on(node, {'cpus': 2.0, 'mem': 1024.0, 'disk': 10.0, 'gpus': 1.0}, count=2)
    complete_execution(jobs[0].id, 1)  # a finished execution holds nothing

    body = client.get(f'/v6/nodes/{node.id}/').json()

    assert set(body) == NODE_KEYS
    assert body['state'] == {
        'name': 'READY',
        'title': 'Ready',
        'description': 'Running jobs and taking new ones.',
    }
    assert body['resources'] == {'cpus': 8.0, 'mem': 16384.0, 'disk': 1000.0, 'gpus': 2.0, 'fpga': 1.0}
    assert body['free_resources'] == {'cpus': 6.0, 'mem': 15360.0, 'disk': 990.0, 'gpus': 1.0, 'fpga': 1.0}
    assert body['running_executions'] == 1
    assert body['last_heartbeat'].endswith('Z')


@pytest.mark.parametrize(
    ('fields', 'state'),
    [
        ({}, 'READY'),
        ({'is_paused': True}, 'PAUSED'),
        ({'last_heartbeat': None}, 'OFFLINE'),
        ({'is_paused': True, 'stale': True}, 'OFFLINE'),
        ({'is_active': False}, 'DEPRECATED'),
        ({'is_active': False, 'last_heartbeat': None, 'is_paused': True}, 'DEPRECATED'),
    ],
)
def test_node_states(client, settings, fields, state):
    settings.SCALE_NODE_TIMEOUT = 30
    heartbeat = timezone.now() - datetime.timedelta(seconds=60 if fields.pop('stale', False) else 1)
    node = factories.node('n.example', **{'last_heartbeat': heartbeat, **fields})

    assert client.get(f'/v6/nodes/{node.id}/').json()['state']['name'] == state


def test_the_list_filters_as_the_ui_asks(client, django_assert_num_queries):
    for index in range(5):
        node = alive(f'active-{index}.example')
        run_on(node, {'cpus': 1.0})
    alive('retired.example', is_active=False)

    with django_assert_num_queries(5):  # token, count, page, running counts, running allocations
        active = client.get('/v6/nodes/?page=1&page_size=1000&is_active=true').json()
    retired = client.get('/v6/nodes/?page=1&page_size=1000&is_active=false').json()
    with django_assert_num_queries(5):
        one = client.get('/v6/nodes/?page_size=1&is_active=true').json()

    assert active['count'] == 5
    assert [item['hostname'] for item in active['results']] == [
        f'active-{index}.example' for index in range(5)
    ]
    assert all(item['running_executions'] == 1 for item in active['results'])
    assert [item['hostname'] for item in retired['results']] == ['retired.example']
    assert len(one['results']) == 1


@pytest.mark.parametrize('query', ['is_active=maybe', 'order=nope', 'page_size=0', 'started=yesterday'])
def test_bad_list_parameters_are_400(client, query):
    response = client.get(f'/v6/nodes/?{query}')

    assert response.status_code == 400
    assert query.split('=')[0] in response.json()['errors']


def test_pause_and_resume(staff_client):
    node = alive('p.example')

    paused = staff_client.patch(
        f'/v6/nodes/{node.id}/', {'is_paused': True, 'pause_reason': 'disk replacement'}, format='json'
    )
    resumed = staff_client.patch(f'/v6/nodes/{node.id}/', {'is_paused': False}, format='json')

    assert paused.status_code == 200
    assert (paused.json()['is_paused'], paused.json()['pause_reason'], paused.json()['state']['name']) == (
        True,
        'disk replacement',
        'PAUSED',
    )
    assert (resumed.json()['is_paused'], resumed.json()['pause_reason']) == (False, None)


def test_deprecate_and_reactivate_stamp_deprecated_only_when_it_changes(staff_client):
    node = alive('d.example')

    staff_client.patch(f'/v6/nodes/{node.id}/', {'is_paused': True}, format='json')
    node.refresh_from_db()
    assert node.deprecated is None  # Scale stamped it here (a bug)

    gone = staff_client.patch(f'/v6/nodes/{node.id}/', {'is_active': False}, format='json').json()
    node.refresh_from_db()
    stamp = node.deprecated
    staff_client.patch(f'/v6/nodes/{node.id}/', {'is_active': False}, format='json')
    node.refresh_from_db()
    back = staff_client.patch(f'/v6/nodes/{node.id}/', {'is_active': True}, format='json').json()

    assert gone['state']['name'] == 'DEPRECATED' and stamp is not None
    assert node.deprecated == stamp
    assert (back['is_active'], back['deprecated']) == (True, None)


@pytest.mark.parametrize(
    ('body', 'path'),
    [
        ({}, '__all__'),
        ([], '__all__'),
        ({'is_paused': 'yes'}, 'is_paused'),
        ({'is_active': 1}, 'is_active'),
        ({'pause_reason': 5}, 'pause_reason'),
        ({'pause_reason': 'x' * 251}, 'pause_reason'),
        ({'pause_reason': 'a\x00b'}, 'pause_reason'),
        ({'hostname': 'renamed'}, 'hostname'),
    ],
)
def test_bad_edits_are_400_and_change_nothing(staff_client, body, path):
    node = alive('b.example')

    response = staff_client.patch(f'/v6/nodes/{node.id}/', body, format='json')

    assert response.status_code == 400, response.content
    assert path in response.json()['errors']
    node.refresh_from_db()
    assert (node.hostname, node.is_paused, node.is_active) == ('b.example', False, True)


def test_edits_need_a_staff_user_and_an_existing_node(anon_client, client, staff_client):
    node = alive('s.example')

    assert anon_client.patch(f'/v6/nodes/{node.id}/', {'is_paused': True}, format='json').status_code == 401
    assert client.patch(f'/v6/nodes/{node.id}/', {'is_paused': True}, format='json').status_code == 403
    assert staff_client.patch('/v6/nodes/987654/', {'is_paused': True}, format='json').status_code == 404
    assert client.get('/v6/nodes/987654/').status_code == 404
    assert not Node.objects.get(pk=node.id).is_paused
