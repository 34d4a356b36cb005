"""GET /v6/version/ and GET/PATCH /v6/scheduler/, and what the scheduler settings do to real passes."""

import datetime
import io
import logging
from importlib import metadata

import pytest
from django.core.management import call_command
from django.utils import timezone

from job.choices import ExecutionStatus, JobStatus
from job.models import Job, JobExecution
from node import scheduler
from node.models import Scheduler
from tests import factories
from tests.concurrency import needs_concurrent_writers, run_together

pytestmark = pytest.mark.django_db

SMALL = {'cpus': 1.0, 'mem': 1024.0, 'disk': 0.0, 'gpus': 0.0}
DEFAULTS = {
    'is_paused': False,
    'queue_mode': 'FIFO',
    'num_message_handlers': 1,
    'system_logging_level': 'INFO',
}


def ready_node(cpus=8.0, **fields):
    return factories.node(
        resources={'cpus': cpus, 'mem': 16384.0, 'disk': 100000.0, 'gpus': 0.0},
        last_heartbeat=fields.pop('last_heartbeat', timezone.now()),
        **fields,
    )


def queued(**fields):
    return factories.job(resources=dict(SMALL), **fields)


def status_of(job):
    return Job.objects.values_list('status', flat=True).get(id=job.id)


# -- /v6/version/ ---------------------------------------------------------------------------------


@pytest.mark.parametrize('path', ['/v6/version/', '/v6/version'])
def test_version_needs_no_authentication(anon_client, path):
    response = anon_client.get(path)
    assert response.status_code == 200
    assert response.json() == {'version': metadata.version('scale-jobs')}


def test_version_ignores_a_bad_token(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION='Token not-a-token')
    assert anon_client.get('/v6/version/').status_code == 200


# -- GET and PATCH /v6/scheduler/ -----------------------------------------------------------------


def test_get_shows_the_settings_the_ui_reads(client):
    response = client.get('/v6/scheduler/')
    assert response.status_code == 200
    assert response.json() == DEFAULTS


def test_reads_follow_the_read_permission(anon_client, settings):
    assert anon_client.get('/v6/scheduler/').status_code == 401
    settings.SCALE_PUBLIC_READ_API = True
    assert anon_client.get('/v6/scheduler').json() == DEFAULTS


def test_patch_needs_a_staff_user(anon_client, client):
    body = {'is_paused': True}
    assert anon_client.patch('/v6/scheduler/', body, format='json').status_code == 401
    assert client.patch('/v6/scheduler/', body, format='json').status_code == 403
    assert Scheduler.load().is_paused is False


def test_the_ui_navbar_body_round_trips(staff_client):
    """The navbar sends is_paused with the num_message_handlers and system_logging_level it read."""
    response = staff_client.patch(
        '/v6/scheduler/',
        {'is_paused': True, 'num_message_handlers': 1, 'system_logging_level': 'INFO'},
        format='json',
    )
    assert response.status_code == 200
    assert response.json() == {**DEFAULTS, 'is_paused': True}
    response = staff_client.patch(
        '/v6/scheduler',
        {'queue_mode': 'LIFO', 'num_message_handlers': 4, 'system_logging_level': 'DEBUG'},
        format='json',
    )
    assert response.json() == {
        'is_paused': True,
        'queue_mode': 'LIFO',
        'num_message_handlers': 4,
        'system_logging_level': 'DEBUG',
    }
    assert staff_client.get('/v6/scheduler/').json() == response.json()


@pytest.mark.parametrize(
    ('body', 'field'),
    [
        ({'is_paused': 'true'}, 'is_paused'),
        ({'is_paused': None}, 'is_paused'),
        ({'is_paused': 1}, 'is_paused'),
        ({'queue_mode': 'RANDOM'}, 'queue_mode'),
        ({'queue_mode': 'fifo'}, 'queue_mode'),
        ({'queue_mode': None}, 'queue_mode'),
        ({'num_message_handlers': -1}, 'num_message_handlers'),
        ({'num_message_handlers': 1001}, 'num_message_handlers'),
        ({'num_message_handlers': 2.5}, 'num_message_handlers'),
        ({'num_message_handlers': '2'}, 'num_message_handlers'),
        ({'num_message_handlers': True}, 'num_message_handlers'),
        ({'num_message_handlers': None}, 'num_message_handlers'),
        ({'system_logging_level': 'VERBOSE'}, 'system_logging_level'),
        ({'system_logging_level': 10}, 'system_logging_level'),
        ({'system_logging_level': ['INFO']}, 'system_logging_level'),
        ({'is_paused': True, 'paused': True}, 'paused'),
        ({}, '__all__'),
        ([], '__all__'),
        ('pause', '__all__'),
    ],
)
def test_bad_bodies_are_400_naming_the_field_and_change_nothing(staff_client, body, field):
    response = staff_client.patch('/v6/scheduler/', body, format='json')
    assert response.status_code == 400
    assert field in response.json()['errors']
    if field != '__all__':
        assert f'"{field}"' in response.json()['detail']
    assert staff_client.get('/v6/scheduler/').json() == DEFAULTS


def test_malformed_json_is_400(staff_client):
    response = staff_client.generic(
        'PATCH', '/v6/scheduler/', '{"is_paused": tru', content_type='application/json'
    )
    assert response.status_code == 400


# -- what the settings do to real passes -------------------------------------------------------------


def test_pause_through_the_api_stops_placement_and_resume_restarts_it(staff_client):
    ready_node()
    first = queued()
    assert staff_client.patch('/v6/scheduler/', {'is_paused': True}, format='json').status_code == 200

    result = scheduler.run_pass()

    assert (result.paused, result.placed) == (True, 0)
    first.refresh_from_db()
    assert (first.status, first.queue_reason) == (JobStatus.QUEUED, 'scheduler paused')
    assert not JobExecution.objects.exists()
    config = Scheduler.load()
    assert config.passes_total == 1 and config.last_pass is not None  # the pass still reports
    assert [warning['name'] for warning in config.warnings] == ['SCHEDULER_PAUSED']

    second = queued()
    assert scheduler.run_pass().placed == 0
    assert (
        staff_client.patch('/v6/scheduler/', {'is_paused': False}, format='json').json()['is_paused'] is False
    )

    result = scheduler.run_pass()

    assert (result.paused, result.placed) == (False, 2)
    assert status_of(first) == status_of(second) == JobStatus.RUNNING
    assert Job.objects.get(id=first.id).queue_reason is None
    assert Scheduler.load().warnings == []


def test_a_paused_pass_still_fails_the_executions_of_lost_nodes(staff_client):
    staff_client.patch('/v6/scheduler/', {'is_paused': True}, format='json')
    lost = ready_node(hostname='lost.example', last_heartbeat=timezone.now() - datetime.timedelta(minutes=10))
    job = factories.job(status=JobStatus.RUNNING, node=lost, resources=dict(SMALL), max_tries=1)
    execution = factories.execution(job, node=lost)

    result = scheduler.run_pass()

    assert (result.paused, result.lost_executions) == (True, 1)
    execution.refresh_from_db()
    assert (execution.status, execution.error.name) == (ExecutionStatus.FAILED, 'node-lost')
    assert {warning['name'] for warning in Scheduler.load().warnings} >= {'NODES_LOST', 'SCHEDULER_PAUSED'}


def test_a_pause_committed_while_a_pass_plans_stops_its_placements(monkeypatch):
    """The pass re-reads the pause under the scheduler row's lock just before placing."""
    ready_node()
    job = queued()
    real_plan = scheduler.scheduling.plan

    def plan_then_pause(*args, **kwargs):
        plan = real_plan(*args, **kwargs)
        Scheduler.objects.filter(pk=1).update(is_paused=True)
        return plan

    Scheduler.load()
    monkeypatch.setattr(scheduler.scheduling, 'plan', plan_then_pause)

    result = scheduler.run_pass()

    assert (result.paused, result.placed) == (True, 0)
    assert status_of(job) == JobStatus.QUEUED
    assert not JobExecution.objects.exists()


def test_lifo_through_the_api_places_the_newest_of_equal_priority_first(staff_client):
    ready_node(cpus=2.0)
    now = timezone.now()
    oldest = queued(queued=now - datetime.timedelta(minutes=10), priority=50)
    middle = queued(queued=now - datetime.timedelta(minutes=5), priority=50)
    newest = queued(queued=now - datetime.timedelta(minutes=1), priority=50)
    urgent_old = queued(queued=now - datetime.timedelta(hours=1), priority=10)
    assert staff_client.patch('/v6/scheduler/', {'queue_mode': 'LIFO'}, format='json').status_code == 200

    assert scheduler.run_pass().placed == 2

    # Priority first (lower runs first), then the newest of the equal priorities.
    assert status_of(urgent_old) == status_of(newest) == JobStatus.RUNNING
    assert status_of(middle) == status_of(oldest) == JobStatus.QUEUED

    staff_client.patch('/v6/scheduler/', {'queue_mode': 'FIFO'}, format='json')
    JobExecution.objects.filter(job_id=newest.id).update(status=ExecutionStatus.COMPLETED)
    JobExecution.objects.filter(job_id=urgent_old.id).update(status=ExecutionStatus.COMPLETED)
    assert scheduler.run_pass().placed == 2
    assert status_of(middle) == status_of(oldest) == JobStatus.RUNNING


def test_the_logging_level_applies_to_the_scheduler_log_at_the_next_pass(staff_client):
    log = logging.getLogger('node.scheduler')
    before = log.level
    try:
        staff_client.patch('/v6/scheduler/', {'system_logging_level': 'DEBUG'}, format='json')
        scheduler.run_pass()
        assert log.level == logging.DEBUG
        staff_client.patch('/v6/scheduler/', {'system_logging_level': 'ERROR'}, format='json')
        scheduler.run_pass()
        assert log.level == logging.ERROR
    finally:
        log.setLevel(before)


@pytest.mark.django_db(transaction=True)
def test_a_pause_waits_for_the_placements_of_the_pass_in_flight():
    """With concurrent writers: the pause and a pass's placements are ordered by the row lock, so
    after the pause has committed no pass places anything."""
    needs_concurrent_writers()
    from node import services

    ready_node(cpus=64.0)
    for _ in range(40):
        queued()

    def work(index):
        if index == 0:
            return scheduler.run_pass().placed
        services.edit_scheduler({'is_paused': True})
        return None

    placed, paused = run_together(2, work)

    assert not isinstance(placed, Exception) and not isinstance(paused, Exception)
    # Either the pass placed everything before the pause committed, or nothing at all; never later.
    assert placed in (0, 40)
    assert JobExecution.objects.count() == placed
    assert scheduler.run_pass().placed == 0
    assert JobExecution.objects.count() == placed


def test_run_scheduler_warns_when_its_interval_would_make_the_status_stale(settings):
    settings.SCALE_SCHEDULER_STALE_SECONDS = 30.0
    quiet, loud = io.StringIO(), io.StringIO()
    call_command('run_scheduler', once=True, interval=1.0, stdout=io.StringIO(), stderr=quiet)
    call_command('run_scheduler', once=True, interval=20.0, stdout=io.StringIO(), stderr=loud)
    assert quiet.getvalue() == ''
    assert 'SCALE_SCHEDULER_STALE_SECONDS=30' in loud.getvalue()
