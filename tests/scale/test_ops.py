"""/healthz, /readyz and /metrics."""

import re

import pytest
from django.db import DatabaseError
from django.utils import timezone

from job.choices import JobStatus
from job.models import BulkOperation
from job.services.executions import Placement, place_jobs
from node.models import Node, Scheduler
from tests import factories

pytestmark = pytest.mark.django_db


def test_healthz_and_readyz_need_no_credentials(anon_client):
    assert anon_client.get('/healthz').json() == {'status': 'ok'}
    assert anon_client.get('/readyz/').json() == {'status': 'ready'}


def test_readyz_is_503_without_a_database(anon_client, monkeypatch):
    from scale import views

    class Broken:
        def __enter__(self):
            raise DatabaseError('down')

        def __exit__(self, *args):
            return False

    monkeypatch.setattr(views.connection, 'cursor', lambda: Broken())

    response = anon_client.get('/readyz')

    assert response.status_code == 503
    assert response.json()['status'] == 'unavailable'


def sample(text, name, **labels):
    label_text = ','.join(f'{key}="{value}"' for key, value in labels.items())
    pattern = rf'^{re.escape(name)}{re.escape("{" + label_text + "}") if labels else ""} (\S+)$'
    match = re.search(pattern, text, re.M)
    assert match, f'{name} {labels} not in\n{text}'
    return float(match.group(1))


def test_metrics_count_jobs_nodes_and_the_scheduler(anon_client):
    node = factories.node('m1.example', last_heartbeat=timezone.now(), log_lines_ingested=40)
    factories.node('m2.example', last_heartbeat=None, log_lines_ingested=2)
    queued = [factories.job(status=JobStatus.QUEUED) for _ in range(3)]
    factories.job(status=JobStatus.FAILED)
    place_jobs([Placement(queued[0].id, 1, node.id, {'cpus': 1.0})])
    Scheduler.objects.update_or_create(
        pk=1, defaults={'placements_total': 7, 'passes_total': 9, 'last_pass_seconds': 0.25}
    )
    BulkOperation.objects.create(kind='CANCEL', filter={'job_ids': [1]}, state='RUNNING')
    BulkOperation.objects.create(kind='REQUEUE', filter={'job_ids': [1]}, state='COMPLETED')

    response = anon_client.get('/metrics')

    assert response['Content-Type'].startswith('text/plain; version=0.0.4')
    text = response.content.decode()
    assert sample(text, 'scale_jobs', status='QUEUED') == 2
    assert sample(text, 'scale_jobs', status='RUNNING') == 1
    assert sample(text, 'scale_jobs', status='FAILED') == 1
    assert sample(text, 'scale_jobs', status='COMPLETED') == 0
    assert sample(text, 'scale_queue_depth') == 2
    assert sample(text, 'scale_executions_running') == 1
    assert sample(text, 'scale_nodes', state='READY') == 1
    assert sample(text, 'scale_nodes', state='OFFLINE') == 1
    assert sample(text, 'scale_scheduler_placements_total') == 7
    assert sample(text, 'scale_scheduler_passes_total') == 9
    assert sample(text, 'scale_scheduler_pass_duration_seconds') == 0.25
    assert sample(text, 'scale_log_lines_ingested_total') == 42
    assert sample(text, 'scale_bulk_operations', state='RUNNING') == 1
    assert sample(text, 'scale_bulk_operations', state='QUEUED') == 0
    assert '# TYPE scale_scheduler_placements_total counter' in text
    assert Node.objects.count() == 2
