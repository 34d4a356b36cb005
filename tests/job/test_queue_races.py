"""Races around queueing, with real concurrent transactions (PostgreSQL; SQLite serializes writers)."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from job.models import Job, TriggerEvent
from job.services.queue import queue_job_request
from scale.models import IdempotentRequest
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(count, work):
    """Runs work() in `count` threads released at once; returns their results (or exceptions)."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(index):
        try:
            barrier.wait()
            results[index] = work()
        except Exception as exc:  # the test inspects what each thread met
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_requests_with_one_key_queue_one_job():
    if connection.vendor != 'postgresql':
        pytest.skip('needs concurrent writers (PostgreSQL)')
    user = get_user_model().objects.create_user('racer', is_staff=True)
    job_type = factories.job_type('race-type')
    file = factories.scale_file()
    body = {'job_type_id': job_type.id, 'input': {'files': {'INPUT_FILE': [file.id]}}}

    results = run_together(6, lambda: queue_job_request(user, body, 'one-key'))

    assert not [result for result in results if isinstance(result, Exception)], results
    job_ids = {job_id for job_id, _created in results}
    assert len(job_ids) == 1
    assert sorted(created for _job_id, created in results) == [False] * 5 + [True]
    assert Job.objects.count() == 1
    assert TriggerEvent.objects.count() == 1
    assert IdempotentRequest.objects.get().resource_id == job_ids.pop()
