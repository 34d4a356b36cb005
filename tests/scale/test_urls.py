"""Routing: every URL answers with and without its trailing slash (never a redirect, DESIGN.md
section 5), and a URL that matches no route is a JSON 404."""

import pytest

from job.choices import ExecutionStatus, JobStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def paths():
    job = factories.job(status=JobStatus.COMPLETED, input_files=[('INPUT_FILE', factories.scale_file())])
    execution = factories.execution(job, status=ExecutionStatus.COMPLETED)
    factories.log_lines(execution, [('stdout', 'out'), ('stderr', 'err')])
    return [
        '/v6/jobs/',
        f'/v6/jobs/{job.id}/',
        f'/v6/jobs/{job.id}/input_files/',
        f'/v6/jobs/{job.id}/executions/',
        f'/v6/jobs/{job.id}/executions/1/',
        '/v6/job-executions/',
        f'/v6/job-executions/{execution.id}/',
        f'/v6/job-executions/{execution.id}/logs/stdout/',
        f'/v6/job-executions/{execution.id}/logs/stderr/',
        f'/v6/job-executions/{execution.id}/logs/combined/',
    ]


def body(response):
    return b''.join(response.streaming_content) if response.streaming else response.content


def test_every_endpoint_answers_with_and_without_the_trailing_slash(client, paths):
    for path in paths:
        with_slash = client.get(path)
        without_slash = client.get(path.rstrip('/'))
        assert with_slash.status_code == 200, path
        assert without_slash.status_code == 200, path
        assert 'Location' not in without_slash, path
        if '/logs/' in path:
            txt = {'format': 'txt'}
            assert body(client.get(path, txt)) == body(client.get(path.rstrip('/'), txt)), path


def test_with_and_without_slash_give_the_same_resource(client, paths):
    for path in paths:
        if '/logs/' in path:
            continue
        with_slash = client.get(path).json()
        without_slash = client.get(path.rstrip('/')).json()
        if 'results' in with_slash:
            with_slash = [item['id'] for item in with_slash['results']]
            without_slash = [item['id'] for item in without_slash['results']]
        else:
            with_slash, without_slash = with_slash['id'], without_slash['id']
        assert with_slash == without_slash, path


@pytest.mark.parametrize('path', ['/v6/schema/', '/v6/schema', '/v6/docs/', '/v6/docs'])
def test_schema_and_docs_answer_with_and_without_the_slash(anon_client, path):
    assert anon_client.get(path).status_code == 200


def test_writes_without_the_slash_are_not_redirected(staff_client, paths):
    # A redirect would drop the body of a POST; the route itself answers (405 here: read-only).
    response = staff_client.post(paths[3].rstrip('/'), {'a': 1}, format='json')

    assert response.status_code == 405


@pytest.mark.parametrize(
    'path',
    [
        '/v6/jobs/abc/',
        '/v6/jobs/abc',
        '/v6/jobs/1.5/',
        '/v6/jobs/-1/',
        '/v6/jobs/1234567890123456789/',
        '/v6/jobs/99999999999999999999999999/',
        '/v6/jobs/abc/executions/',
        '/v6/jobs/1234567890123456789/executions/',
        '/v6/jobs/1/executions/abc/',
        '/v6/jobs/1/executions/1234567890123456789/',
        '/v6/jobs/abc/input_files/',
        '/v6/job-executions/abc/',
        '/v6/job-executions/1234567890123456789/',
        '/v6/job-executions/abc/logs/combined/',
        '/v6/job-executions/1/logs/everything/',
        '/v6/job-executions/1/logs/',
        '/v6/nothing/',
        '/v6/jobs/1/nothing/',
        '/v6/',
        '/v6',
        '/v7/jobs/',
        '/jobs/',
    ],
)
def test_unrouted_urls_are_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response['Content-Type'] == 'application/json'
    assert response.json() == {'detail': 'Not found.'}


@pytest.mark.parametrize(
    'template',
    [
        '/v6/jobs/{n}/',
        '/v6/jobs/{n}/executions/',
        '/v6/jobs/{n}/executions/{n}/',
        '/v6/jobs/{n}/input_files/',
        '/v6/job-executions/{n}/',
        '/v6/job-executions/{n}/logs/combined/',
    ],
)
def test_largest_routed_id_is_a_plain_404(client, template):
    # 18 digits: routed, fits a 64-bit column, looked up, not found (no overflow, no 500).
    response = client.get(template.format(n='9' * 18))

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


def test_format_json(client, paths):
    for path in paths:
        if '/logs/' in path:
            continue
        response = client.get(path, {'format': 'json'})
        assert response.status_code == 200, path
        assert response['Content-Type'] == 'application/json', path
        assert isinstance(response.json(), dict)


def test_format_json_on_logs(client, paths):
    log_path = paths[-1]

    response = client.get(log_path, {'format': 'json'})

    assert response.status_code == 200
    assert response['Content-Type'] == 'application/json'


def test_default_rendering_is_json(client, paths):
    response = client.get(paths[0], HTTP_ACCEPT='application/json, text/plain, */*')

    assert response['Content-Type'] == 'application/json'


def test_unknown_format_is_404_json(client, paths):
    response = client.get(paths[0], {'format': 'xml'})

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}
