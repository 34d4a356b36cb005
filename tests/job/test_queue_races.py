"""Races around queueing, with real concurrent transactions (PostgreSQL; SQLite serializes writers)."""

import pytest
from django.contrib.auth import get_user_model

from job.models import Job, TriggerEvent
from job.services.queue import queue_job_request
from scale.models import IdempotentRequest
from tests import factories
from tests.concurrency import needs_concurrent_writers, run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_requests_with_one_key_queue_one_job():
    needs_concurrent_writers()
    user = get_user_model().objects.create_user('racer', is_staff=True)
    job_type = factories.job_type('race-type')
    file = factories.scale_file()
    body = {'job_type_id': job_type.id, 'input': {'files': {'INPUT_FILE': [file.id]}}}

    results = run_together(6, lambda index: queue_job_request(user, body, 'one-key'))

    assert not [result for result in results if isinstance(result, Exception)], results
    job_ids = {job_id for job_id, _created in results}
    assert len(job_ids) == 1
    assert sorted(job is not None for _job_id, job in results) == [False] * 5 + [True]
    assert Job.objects.count() == 1
    assert TriggerEvent.objects.count() == 1
    assert IdempotentRequest.objects.get().resource_id == job_ids.pop()
