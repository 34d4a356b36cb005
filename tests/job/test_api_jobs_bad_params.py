"""GET /v6/jobs/ through HTTP: every bad parameter is a 400 that names it in `detail` and `errors`
and lists nothing.
"""

from urllib.parse import urlencode

import pytest

from job.choices import ErrorCategory, JobStatus
from job.models import Job
from tests import factories

URL = '/v6/jobs/'


def get(client, query=''):
    """GET /v6/jobs/ with `query`: a raw query string, or a list of (name, value) pairs."""
    if not isinstance(query, str):
        query = urlencode(query)
    return client.get(f'{URL}?{query}' if query else URL)


@pytest.fixture
def some_jobs(db):
    """A few jobs, so that a bad parameter would have had something to list."""
    job_type = factories.job_type()
    return [factories.job(job_type, status) for status in ('QUEUED', 'RUNNING', 'FAILED')]


BAD_QUERIES = [
    ('status=DONE', ['status']),
    ('status=FAILED&status=DONE', ['status']),
    ('error_category=NOPE', ['error_category']),
    ('order=nope', ['order']),
    ('order=last_modified&order=-nope', ['order']),
    ('order=error__category', ['order']),
    ('page_size=0', ['page_size']),
    ('page_size=1001', ['page_size']),
    ('page_size=abc', ['page_size']),
    ('page_size=-1', ['page_size']),
    ('page_size=1.5', ['page_size']),
    ('page=0', ['page']),
    ('page=abc', ['page']),
    ('page=-2', ['page']),
    ('started=yesterday', ['started']),
    ('started=2015-01-01', ['started']),
    ('ended=2015-13-01T00:00:00Z', ['ended']),
    ('source_started=nope', ['source_started']),
    ('source_ended=2015-02-30T00:00:00Z', ['source_ended']),
    ('started=P', ['started']),
    ('started=PT', ['started']),
    ('job_id=x', ['job_id']),
    ('job_id=1&job_id=x', ['job_id']),
    ('job_id=-1', ['job_id']),
    ('job_id=99999999999999999999', ['job_id']),
    ('job_type_id=1.5', ['job_type_id']),
    ('batch_id=abc', ['batch_id']),
    ('recipe_id=1e3', ['recipe_id']),
    ('error_id=99999999999999999999', ['error_id']),
    ('is_superseded=maybe', ['is_superseded']),
    ('started=2015-01-02T00:00:00Z&ended=2015-01-01T00:00:00Z', ['started']),
    ('started=2015-01-01T00:00:00Z&ended=2015-01-01T00:00:00Z', ['started']),
    ('started=2015-01-01T05:00:00Z&ended=2015-01-01T00:00:00-05:00', ['started']),
    ('started=P1D&ended=P2D', ['started']),
    # Every duration of a request is measured from one instant: equal durations are an empty range.
    ('started=P1D&ended=P1D', ['started']),
    ('page=first', ['page']),
    ('source_started=2015-01-02T00:00:00Z&source_ended=2015-01-01T00:00:00Z', ['source_started']),
    (
        'status=DONE&page_size=0&started=yesterday&job_id=x&order=nope&is_superseded=maybe&page=abc',
        ['status', 'page_size', 'started', 'job_id', 'order', 'is_superseded', 'page'],
    ),
    (
        'error_category=NOPE&job_type_id=1.5&ended=2015-13-01T00:00:00Z&batch_id=x',
        ['error_category', 'job_type_id', 'ended', 'batch_id'],
    ),
]


@pytest.mark.parametrize(('query', 'names'), BAD_QUERIES, ids=[query for query, _ in BAD_QUERIES])
def test_bad_parameter_is_400_naming_it(client, some_jobs, query, names):
    response = get(client, query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {'detail', 'errors'}
    assert sorted(body['errors']) == sorted(names)
    for name in names:
        assert f'Invalid parameter "{name}"' in body['detail']
        assert body['errors'][name]
        assert all(isinstance(message, str) and message for message in body['errors'][name])


def test_bad_choice_names_the_accepted_values(client, db):
    body = get(client, 'status=DONE').json()
    assert '"DONE"' in body['errors']['status'][0]
    for status in JobStatus:
        assert status.value in body['errors']['status'][0]
    body = get(client, 'error_category=NOPE').json()
    for category in ErrorCategory:
        assert category.value in body['errors']['error_category'][0]


def test_bad_time_range_names_both_bounds(client, db):
    body = get(client, 'started=2015-01-02T00:00:00Z&ended=2015-01-01T00:00:00Z').json()
    message = body['errors']['started'][0]
    assert 'ended' in message
    assert '2015-01-02' in message and '2015-01-01' in message


def test_bad_parameter_changes_nothing(client, some_jobs):
    before = list(Job.objects.order_by('id').values_list('id', 'status', 'last_modified'))
    response = get(client, 'status=DONE&order=-last_modified&page_size=10')
    assert response.status_code == 400
    assert 'results' not in response.json()
    assert list(Job.objects.order_by('id').values_list('id', 'status', 'last_modified')) == before
