"""GET /v6/status/: the shape the Scale web UI dereferences, the numbers in it, and the 503."""

import datetime

import pytest
from django.utils import timezone

from job.choices import ExecutionStatus, JobStatus
from node import scheduler
from node.models import Scheduler
from tests import factories

pytestmark = pytest.mark.django_db

RESOURCE_KEYS = {'offered', 'total', 'running', 'free', 'unavailable'}
STANDARD = ('cpus', 'mem', 'disk', 'gpus')


def ready_node(hostname=None, **fields):
    return factories.node(
        hostname=hostname,
        resources=fields.pop('resources', {'cpus': 8.0, 'mem': 16384.0, 'disk': 1000.0}),
        last_heartbeat=fields.pop('last_heartbeat', timezone.now()),
        **fields,
    )


def running_on(node, job_type, resources):
    job = factories.job(job_type, JobStatus.RUNNING, node=node, resources=resources)
    return factories.execution(job, node=node, resources=resources)


def ended_on(node, job_type, status, error=None, ended=None):
    job = factories.job(
        job_type, JobStatus.COMPLETED if status == ExecutionStatus.COMPLETED else JobStatus.FAILED
    )
    fields = {'error': factories.error(error)} if error else {}
    return factories.execution(job, status=status, node=node, ended=ended or timezone.now(), **fields)


def reported(seconds_ago=0.0, **fields):
    """The scheduler's stamp of a pass that ended `seconds_ago`."""
    Scheduler.load()
    Scheduler.objects.filter(pk=1).update(
        last_pass=timezone.now() - datetime.timedelta(seconds=seconds_ago + 0.5),
        last_pass_seconds=0.5,
        hostname='scheduler.example',
        **fields,
    )


def by_id(body):
    return {node['id']: node for node in body['nodes']}


def test_503_until_the_scheduler_has_reported(client):
    response = client.get('/v6/status/')
    assert response.status_code == 503
    assert response.json() == {'detail': 'Status is missing. Scheduler may be down.'}

    scheduler.run_pass()
    assert client.get('/v6/status').status_code == 200


def test_503_when_the_last_report_is_stale(client, settings):
    settings.SCALE_SCHEDULER_STALE_SECONDS = 30.0
    reported(seconds_ago=20)
    assert client.get('/v6/status/').status_code == 200
    reported(seconds_ago=40)
    response = client.get('/v6/status/')
    assert response.status_code == 503
    assert response.json()['detail'].startswith('Status is over 30 seconds old')


def test_reads_follow_the_read_permission(anon_client, public_read):
    reported()
    assert anon_client.get('/v6/status/').status_code == 200


def test_anonymous_reads_are_refused(anon_client):
    reported()
    assert anon_client.get('/v6/status/').status_code == 401


def test_an_empty_cluster_has_every_key_the_ui_dereferences(client):
    scheduler.run_pass()
    body = client.get('/v6/status/').json()

    assert set(body) >= {'timestamp', 'scheduler', 'system', 'num_offers', 'resources', 'job_types', 'nodes'}
    assert body['nodes'] == [] and body['job_types'] == []
    for name in STANDARD:
        assert body['resources'][name] == dict.fromkeys(RESOURCE_KEYS, 0.0)
    assert body['scheduler']['state']['name'] == 'READY'
    assert body['scheduler']['warnings'][0]['name'] == 'NO_READY_NODES'
    assert set(body['scheduler']['warnings'][0]) == {
        'name',
        'title',
        'description',
        'started',
        'last_updated',
    }
    assert isinstance(body['dependencies'], dict)
    for dependency in body['dependencies'].values():
        assert set(dependency) == {'OK', 'detail', 'errors', 'warnings'} and 'msg' in dependency['detail']
    assert body['dependencies']['nodes']['OK'] is False
    assert body['dependencies']['nodes']['errors'] == [{'NO_READY_NODES': 'No node is ready to take jobs.'}]
    assert {service['name'] for service in body['system']['services']} == {'scheduler', 'task-worker'}
    assert body['system']['database_update']['completed'] is not None


def test_nodes_resources_and_job_executions(client):
    algo = factories.job_type('algo')
    other = factories.job_type('other-algo', is_system=True, icon_code='f013')
    busy = ready_node('busy.example', resources={'cpus': 8.0, 'mem': 16384.0, 'disk': 1000.0, 'fpga': 2.0})
    paused = ready_node('paused.example', is_paused=True, pause_reason='maintenance')
    offline = ready_node('offline.example', last_heartbeat=timezone.now() - datetime.timedelta(hours=1))
    retired = ready_node('retired.example', is_active=False)
    running_on(busy, algo, {'cpus': 2.0, 'mem': 1024.0, 'fpga': 1.0})
    running_on(busy, algo, {'cpus': 1.5, 'mem': 512.0})
    running_on(busy, other, {'cpus': 0.5, 'mem': 512.0})
    running_on(paused, other, {'cpus': 1.0, 'mem': 1024.0})
    old = timezone.now() - datetime.timedelta(hours=4)
    ended_on(busy, algo, ExecutionStatus.COMPLETED)
    ended_on(busy, algo, ExecutionStatus.COMPLETED)
    ended_on(busy, other, ExecutionStatus.COMPLETED)
    ended_on(busy, algo, ExecutionStatus.COMPLETED, ended=old)  # outside the 3-hour window
    ended_on(busy, algo, ExecutionStatus.FAILED, 'node-lost')
    ended_on(busy, other, ExecutionStatus.FAILED, 'algorithm-unknown')
    ended_on(busy, other, ExecutionStatus.FAILED, 'algorithm-unknown')
    ended_on(offline, other, ExecutionStatus.FAILED, 'algorithm-unknown', ended=old)
    ended_on(busy, algo, ExecutionStatus.CANCELED)  # neither completed nor failed
    reported()

    body = client.get('/v6/status/').json()

    nodes = by_id(body)
    assert [node['hostname'] for node in body['nodes']] == [
        'busy.example',
        'offline.example',
        'paused.example',
        'retired.example',
    ]
    assert {nodes[node.id]['state']['name'] for node in (busy, paused, offline, retired)} == {
        'READY',
        'PAUSED',
        'OFFLINE',
        'DEPRECATED',
    }
    entry = nodes[busy.id]
    assert (entry['agent_id'], entry['is_active'], entry['num_offers']) == ('busy.example', True, 0)
    assert (entry['errors'], entry['warnings'], entry['node_tasks'], entry['system_tasks']) == (
        [],
        [],
        [],
        [],
    )
    assert entry['resources']['cpus'] == {
        'offered': 0.0,
        'total': 8.0,
        'running': 4.0,
        'free': 4.0,
        'unavailable': 0.0,
    }
    assert entry['resources']['fpga'] == {
        'offered': 0.0,
        'total': 2.0,
        'running': 1.0,
        'free': 1.0,
        'unavailable': 0.0,
    }
    assert entry['resources']['gpus'] == dict.fromkeys(RESOURCE_KEYS, 0.0)
    executions = entry['job_executions']
    assert executions['running'] == {
        'total': 3,
        'by_job_type': [{'job_type_id': algo.id, 'count': 2}, {'job_type_id': other.id, 'count': 1}],
    }
    assert executions['completed'] == {
        'total': 3,
        'by_job_type': [{'job_type_id': algo.id, 'count': 2}, {'job_type_id': other.id, 'count': 1}],
    }
    assert executions['failed']['total'] == 3
    assert executions['failed']['system'] == {
        'total': 1,
        'by_job_type': [{'job_type_id': algo.id, 'count': 1}],
    }
    assert executions['failed']['algorithm'] == {
        'total': 2,
        'by_job_type': [{'job_type_id': other.id, 'count': 2}],
    }
    assert executions['failed']['data'] == {'total': 0, 'by_job_type': []}

    # A paused node's and an offline node's unallocated resources are unavailable, not free.
    assert nodes[paused.id]['resources']['cpus'] == {
        'offered': 0.0,
        'total': 8.0,
        'running': 1.0,
        'free': 0.0,
        'unavailable': 7.0,
    }
    assert nodes[offline.id]['resources']['mem']['unavailable'] == 16384.0
    assert nodes[offline.id]['errors'][0]['name'] == 'HEARTBEAT_LOST'
    assert set(nodes[offline.id]['errors'][0]) == {'name', 'title', 'description', 'started', 'last_updated'}
    assert nodes[offline.id]['job_executions']['failed']['total'] == 0  # its failure is 4 hours old
    # The standard resources on every node, others where the node has them.
    assert set(nodes[busy.id]['resources']) == {*STANDARD, 'fpga'}
    for node in body['nodes']:
        expected = {*STANDARD, 'fpga'} if node['id'] == busy.id else set(STANDARD)
        assert set(node['resources']) == expected
        assert node['state']['name'] and node['state']['title'] and node['state']['description']

    # The cluster: every node but the deprecated one.
    assert body['resources']['cpus'] == {
        'offered': 0.0,
        'total': 24.0,
        'running': 5.0,
        'free': 4.0,
        'unavailable': 15.0,
    }
    assert body['resources']['fpga']['total'] == 2.0
    assert body['resources']['gpus'] == dict.fromkeys(RESOURCE_KEYS, 0.0)

    assert body['job_types'] == [
        {
            'id': algo.id,
            'name': 'algo',
            'version': '1.0.0',
            'title': 'algo title',
            'description': 'algo description',
            'is_system': False,
            'icon_code': None,
        },
        {
            'id': other.id,
            'name': 'other-algo',
            'version': '1.0.0',
            'title': 'other-algo title',
            'description': 'other-algo description',
            'is_system': True,
            'icon_code': 'f013',
        },
    ]
    assert body['dependencies']['nodes']['OK'] is True
    assert body['dependencies']['nodes']['warnings'] == [{'OFFLINE_NODES': '1 active nodes are offline.'}]


def test_a_paused_scheduler_shows_in_its_state_and_the_nodes(client, staff_client):
    node = ready_node()
    staff_client.patch('/v6/scheduler/', {'is_paused': True}, format='json')
    scheduler.run_pass()

    body = client.get('/v6/status/').json()

    assert body['scheduler']['state']['name'] == 'PAUSED'
    assert body['scheduler']['is_paused'] is True
    assert 'SCHEDULER_PAUSED' in [warning['name'] for warning in body['scheduler']['warnings']]
    assert by_id(body)[node.id]['state']['name'] == 'SCHEDULER_STOPPED'
    # The node still takes jobs once the scheduler resumes: its resources stay free.
    assert by_id(body)[node.id]['resources']['cpus']['free'] == 8.0

    staff_client.patch('/v6/scheduler/', {'is_paused': False}, format='json')
    body = client.get('/v6/status/').json()
    assert body['scheduler']['state']['name'] == 'READY'
    assert by_id(body)[node.id]['state']['name'] == 'READY'


def test_the_scheduler_part_carries_what_the_navbar_sends_back(client, staff_client):
    staff_client.patch(
        '/v6/scheduler/', {'num_message_handlers': 3, 'system_logging_level': 'WARNING'}, format='json'
    )
    scheduler.run_pass()
    part = client.get('/v6/status/').json()['scheduler']
    assert {key: part[key] for key in ('num_message_handlers', 'system_logging_level', 'is_paused')} == {
        'num_message_handlers': 3,
        'system_logging_level': 'WARNING',
        'is_paused': False,
    }
    assert part['hostname'] and part['metrics']['passes_total'] == 1
    body = {key: part[key] for key in ('is_paused', 'num_message_handlers', 'system_logging_level')}
    assert staff_client.patch('/v6/scheduler/', {**body, 'is_paused': True}, format='json').status_code == 200


def test_warnings_keep_when_they_started(client):
    scheduler.run_pass()
    first = client.get('/v6/status/').json()['scheduler']['warnings'][0]
    scheduler.run_pass(now=timezone.now() + datetime.timedelta(seconds=5))
    again = client.get('/v6/status/').json()['scheduler']['warnings'][0]
    assert again['name'] == first['name'] == 'NO_READY_NODES'
    assert again['started'] == first['started'] and again['last_updated'] > first['last_updated']


def test_a_constant_number_of_queries(client, django_assert_max_num_queries):
    job_types = [factories.job_type() for _ in range(3)]
    for index in range(12):
        node = ready_node(resources={'cpus': 4.0, 'mem': 4096.0, 'disk': 100.0, f'custom-{index % 3}': 1.0})
        running_on(node, job_types[index % 3], {'cpus': 1.0, 'mem': 128.0})
        ended_on(node, job_types[index % 3], ExecutionStatus.FAILED, 'node-lost')
        ended_on(node, job_types[(index + 1) % 3], ExecutionStatus.COMPLETED)
    reported()
    # token, scheduler, nodes, running aggregate, ended aggregate, job types, latest migration
    with django_assert_max_num_queries(7):
        body = client.get('/v6/status/').json()
    assert len(body['nodes']) == 12
    assert body['resources']['cpus']['running'] == 12.0
