"""Executions: GET /v6/jobs/{id}/executions/ and /v6/jobs/{id}/executions/{exe_num}/ (spec "v6 Job
Executions List" and "v6 Job Execution Details"), and the cross-job GET /v6/job-executions/ and
/v6/job-executions/{id}/ (DESIGN.md section 5: Scale's were always empty / a 500)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from job.choices import ExecutionStatus, JobStatus
from tests import factories
from tests.factories import dt
from tests.job.contract import EXECUTION_DETAIL_KEYS, EXECUTION_LIST_KEYS

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    """A job run four times (the reference's TestJobExecutionsViewV6): FAILED on node1 with an
    algorithm error, COMPLETED, FAILED with a system error, RUNNING; and another job's execution."""
    node1, node2 = factories.node('exe-node-1.example'), factories.node('exe-node-2.example')
    job = factories.job(status=JobStatus.RUNNING, num_exes=4, node=node2)
    base = dt('2024-05-01T00:00:00Z')
    specs = [
        (ExecutionStatus.FAILED, node1, factories.error('algorithm-unknown')),
        (ExecutionStatus.COMPLETED, node2, None),
        (ExecutionStatus.FAILED, node2, factories.error('node-lost')),
        (ExecutionStatus.RUNNING, node2, None),
    ]
    executions = [
        factories.execution(
            job,
            exe_num=number,
            status=status,
            node=node,
            error=error,
            queued=base.replace(hour=number),
            started=base.replace(hour=number, minute=1),
            ended=None if status == ExecutionStatus.RUNNING else base.replace(hour=number, minute=2),
        )
        for number, (status, node, error) in enumerate(specs, start=1)
    ]
    other_job = factories.job(status=JobStatus.COMPLETED, node=node1)
    other = factories.execution(other_job, status=ExecutionStatus.COMPLETED, node=node1)
    return {
        'job': job,
        'executions': executions,
        'node1': node1,
        'node2': node2,
        'other_job': other_job,
        'other': other,
    }


def exe_nums(response):
    assert response.status_code == 200, response.content
    return [item['exe_num'] for item in response.json()['results']]


def ids(response):
    assert response.status_code == 200, response.content
    return [item['id'] for item in response.json()['results']]


# --- /v6/jobs/{id}/executions/ -------------------------------------------------------------------


def test_nested_list_is_newest_first_with_the_list_shape(client, history):
    job, node1 = history['job'], history['node1']

    response = client.get(f'/v6/jobs/{job.id}/executions/')

    assert exe_nums(response) == [4, 3, 2, 1]
    body = response.json()
    assert body['count'] == 4
    assert body['next'] is None
    assert body['previous'] is None
    first_run = body['results'][-1]
    assert set(first_run) == EXECUTION_LIST_KEYS
    assert first_run['id'] == history['executions'][0].id
    assert first_run['status'] == 'FAILED'
    assert first_run['cluster_id'] == f'scale_job_{job.id}_1'
    assert first_run['queued'] == '2024-05-01T01:00:00Z'
    assert first_run['started'] == '2024-05-01T01:01:00Z'
    assert first_run['ended'] == '2024-05-01T01:02:00Z'
    assert first_run['job'] == {'id': job.id}
    assert first_run['node'] == {'id': node1.id, 'hostname': 'exe-node-1.example'}
    assert first_run['error']['name'] == 'algorithm-unknown'
    assert first_run['error']['category'] == 'ALGORITHM'
    assert first_run['job_type']['id'] == job.job_type_id
    assert first_run['timeout'] == 600
    running = body['results'][0]
    assert running['status'] == 'RUNNING'
    assert running['ended'] is None
    assert running['error'] is None
    assert all(isinstance(item['status'], str) for item in body['results'])


@pytest.mark.parametrize(
    ('query', 'expected'),
    [
        ('status=COMPLETED', [2]),
        ('status=FAILED', [3, 1]),
        ('status=RUNNING', [4]),
        ('status=CANCELED', []),
        ('status=failed', [3, 1]),
        ('status=COMPLETED&status=RUNNING', [4, 2]),
        ('error_category=ALGORITHM', [1]),
        ('error_category=SYSTEM', [3]),
        ('error_category=ALGORITHM&error_category=SYSTEM', [3, 1]),
        ('error_category=DATA', []),
        ('status=FAILED&error_category=SYSTEM', [3]),
        ('status=COMPLETED&error_category=SYSTEM', []),
        ('status=', [4, 3, 2, 1]),
        ('unknown_parameter=1', [4, 3, 2, 1]),
    ],
)
def test_nested_list_filters(client, history, query, expected):
    response = client.get(f'/v6/jobs/{history["job"].id}/executions/?{query}')

    assert exe_nums(response) == expected
    assert response.json()['count'] == len(expected)


def test_nested_list_filters_by_node_and_error_id(client, history):
    job, node1, node2 = history['job'], history['node1'], history['node2']
    url = f'/v6/jobs/{job.id}/executions/'
    algorithm = factories.error('algorithm-unknown')
    lost = factories.error('node-lost')

    assert exe_nums(client.get(url, {'node_id': node1.id})) == [1]
    assert exe_nums(client.get(url, {'node_id': node2.id})) == [4, 3, 2]
    assert exe_nums(client.get(url, {'node_id': [node1.id, node2.id]})) == [4, 3, 2, 1]
    assert exe_nums(client.get(url, {'node_id': 999999})) == []
    assert exe_nums(client.get(url, {'error_id': algorithm.id})) == [1]
    assert exe_nums(client.get(url, {'error_id': [algorithm.id, lost.id]})) == [3, 1]
    assert exe_nums(client.get(url, {'error_id': lost.id, 'node_id': node1.id})) == []


@pytest.mark.parametrize(
    ('query', 'parameter'),
    [
        ('status=DONE', 'status'),
        ('status=QUEUED', 'status'),
        ('status=RUNNING&status=bogus', 'status'),
        ('error_category=NETWORK', 'error_category'),
        ('error_category=1', 'error_category'),
        ('node_id=abc', 'node_id'),
        ('node_id=-1', 'node_id'),
        ('node_id=1.5', 'node_id'),
        ('node_id=99999999999999999999', 'node_id'),
        ('error_id=x', 'error_id'),
        ('page_size=0', 'page_size'),
        ('page_size=1001', 'page_size'),
        ('order=bogus', 'order'),
    ],
)
def test_nested_list_bad_parameters_are_400_naming_the_parameter(client, history, query, parameter):
    response = client.get(f'/v6/jobs/{history["job"].id}/executions/?{query}')

    assert response.status_code == 400
    body = response.json()
    assert parameter in body['errors']
    assert f'"{parameter}"' in body['detail']


def test_nested_list_largest_ids_match_nothing(client, history):
    # The largest 64-bit ids are valid values (no overflow on either database), matching nothing.
    largest = 2**63 - 1
    url = f'/v6/jobs/{history["job"].id}/executions/'

    assert exe_nums(client.get(url, {'node_id': largest})) == []
    assert exe_nums(client.get(url, {'error_id': largest})) == []
    assert ids(client.get('/v6/job-executions/', {'job_id': largest, 'job_type_id': largest})) == []
    assert client.get(url, {'node_id': largest + 1}).status_code == 400


def test_nested_list_unknown_job_is_404(client, history):
    response = client.get('/v6/jobs/999999/executions/')

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


def test_nested_list_of_a_job_without_executions_is_empty(client):
    job = factories.job(status=JobStatus.PENDING)

    response = client.get(f'/v6/jobs/{job.id}/executions/')

    assert response.json() == {'count': 0, 'next': None, 'previous': None, 'results': []}


def test_nested_list_pages(client, history):
    url = f'/v6/jobs/{history["job"].id}/executions/'

    first = client.get(url, {'page_size': 3})
    second = client.get(url, {'page_size': 3, 'page': 2})

    assert exe_nums(first) == [4, 3, 2]
    assert first.json()['next'].endswith('page=2&page_size=3')
    assert exe_nums(second) == [1]
    assert client.get(url, {'page_size': 3, 'page': 3}).json() == {'detail': 'Invalid page.'}


def test_nested_list_query_count_does_not_depend_on_page_size(client, django_assert_num_queries):
    job = factories.job(status=JobStatus.FAILED, num_exes=6)
    for number in range(1, 7):
        factories.execution(
            job,
            exe_num=number,
            status=ExecutionStatus.FAILED,
            node=factories.node(),
            error=factories.error('node-lost' if number % 2 else 'algorithm-unknown'),
        )

    # Token, job existence, count, page.
    with django_assert_num_queries(4):
        small = client.get(f'/v6/jobs/{job.id}/executions/', {'page_size': 1})
    with django_assert_num_queries(4):
        large = client.get(f'/v6/jobs/{job.id}/executions/', {'page_size': 100})
    assert exe_nums(small) == [6]
    assert exe_nums(large) == [6, 5, 4, 3, 2, 1]


# --- /v6/jobs/{id}/executions/{exe_num}/ ---------------------------------------------------------


def test_nested_detail(client, history):
    job = history['job']
    execution = history['executions'][1]
    factories.set_fields(
        execution,
        task_results={'tasks': [{'task_id': 'main', 'exit_code': 0}]},
        configuration={'tasks': [{'type': 'main', 'args': ['run']}]},
        output={'output_data': [{'name': 'OUT', 'file_id': 3}]},
        resources={'cpus': 1.0, 'mem': 256.0, 'disk': 10.0, 'gpus': 0.0, 'chocolate': 2.0},
    )

    response = client.get(f'/v6/jobs/{job.id}/executions/2/')

    assert response.status_code == 200
    body = response.json()
    assert set(body) == EXECUTION_DETAIL_KEYS
    assert body['id'] == execution.id
    assert body['exe_num'] == 2
    assert body['status'] == 'COMPLETED'
    assert body['job'] == {'id': job.id}
    assert body['task_results'] == {'tasks': [{'task_id': 'main', 'exit_code': 0}]}
    assert body['configuration'] == {'tasks': [{'type': 'main', 'args': ['run']}]}
    assert body['output'] == {'output_data': [{'name': 'OUT', 'file_id': 3}]}
    assert body['resources'] == {
        'resources': {'cpus': 1.0, 'mem': 256.0, 'disk': 10.0, 'gpus': 0.0, 'chocolate': 2.0}
    }


def test_nested_detail_of_a_running_execution_has_null_results(client, history):
    body = client.get(f'/v6/jobs/{history["job"].id}/executions/4/').json()

    assert body['status'] == 'RUNNING'
    assert body['ended'] is None
    assert body['task_results'] is None
    assert body['output'] is None


@pytest.mark.parametrize('exe_num', [0, 5, 999999])
def test_nested_detail_bad_exe_num_is_404(client, history, exe_num):
    response = client.get(f'/v6/jobs/{history["job"].id}/executions/{exe_num}/')

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


def test_nested_detail_is_scoped_to_the_job(client, history):
    # The other job has only execution 1; its execution 2 does not exist even though the first job has one.
    assert client.get(f'/v6/jobs/{history["other_job"].id}/executions/2/').status_code == 404
    assert client.get('/v6/jobs/999999/executions/1/').status_code == 404
    body = client.get(f'/v6/jobs/{history["other_job"].id}/executions/1/').json()
    assert body['id'] == history['other'].id


# --- /v6/job-executions/ -------------------------------------------------------------------------


def test_all_executions_list_newest_first(client, history):
    executions, other = history['executions'], history['other']

    response = client.get('/v6/job-executions/')

    assert ids(response) == [other.id] + [execution.id for execution in reversed(executions)]
    assert response.json()['count'] == 5
    assert set(response.json()['results'][0]) == EXECUTION_LIST_KEYS


def test_all_executions_filters(client, history):
    job, other_job, other = history['job'], history['other_job'], history['other']
    executions = {execution.exe_num: execution.id for execution in history['executions']}
    url = '/v6/job-executions/'

    assert ids(client.get(url, {'job_id': other_job.id})) == [other.id]
    assert ids(client.get(url, {'job_id': job.id})) == [executions[n] for n in (4, 3, 2, 1)]
    assert ids(client.get(url, {'job_id': [job.id, other_job.id]})) == [
        other.id,
        *(executions[n] for n in (4, 3, 2, 1)),
    ]
    assert ids(client.get(url, {'job_type_id': other_job.job_type_id})) == [other.id]
    assert ids(client.get(url, {'job_type_id': job.job_type_id, 'status': 'COMPLETED'})) == [executions[2]]
    assert ids(client.get(url, {'status': 'COMPLETED'})) == [other.id, executions[2]]
    assert ids(client.get(url, {'node_id': history['node1'].id})) == [other.id, executions[1]]
    assert ids(client.get(url, {'error_category': 'SYSTEM'})) == [executions[3]]
    assert ids(client.get(url, {'error_id': factories.error('algorithm-unknown').id})) == [executions[1]]
    assert ids(client.get(url, {'job_id': 999999})) == []


def test_all_executions_order(client, history):
    executions, other = history['executions'], history['other']

    response = client.get('/v6/job-executions/', {'order': 'id'})
    by_exe_num = client.get('/v6/job-executions/', {'order': ['exe_num', '-id']})

    assert ids(response) == [execution.id for execution in executions] + [other.id]
    assert ids(by_exe_num) == [other.id, executions[0].id, *(execution.id for execution in executions[1:])]


@pytest.mark.parametrize(
    ('query', 'parameter'),
    [
        ('job_id=abc', 'job_id'),
        ('job_type_id=1.0', 'job_type_id'),
        ('status=PENDING', 'status'),
        ('error_category=bad', 'error_category'),
        ('node_id=x', 'node_id'),
    ],
)
def test_all_executions_bad_parameters_are_400(client, history, query, parameter):
    response = client.get(f'/v6/job-executions/?{query}')

    assert response.status_code == 400
    assert parameter in response.json()['errors']


def test_all_executions_query_count_does_not_depend_on_page_size(client, history):
    for _ in range(3):
        job = factories.job(status=JobStatus.RUNNING)
        factories.execution(job, node=factories.node())

    counts = []
    for page_size in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get('/v6/job-executions/', {'page_size': page_size})
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == 3  # token, count, page


# --- /v6/job-executions/{id}/ --------------------------------------------------------------------


def test_all_executions_detail(client, history):
    execution = history['executions'][0]
    factories.set_fields(execution, task_results={'tasks': []}, output={'output_data': []})

    response = client.get(f'/v6/job-executions/{execution.id}/')

    assert response.status_code == 200
    body = response.json()
    assert set(body) == EXECUTION_DETAIL_KEYS
    assert body['id'] == execution.id
    assert body['exe_num'] == 1
    assert body['status'] == 'FAILED'
    assert body['error']['name'] == 'algorithm-unknown'
    assert body['node'] == {'id': history['node1'].id, 'hostname': 'exe-node-1.example'}
    assert body['task_results'] == {'tasks': []}
    assert body['output'] == {'output_data': []}
    assert set(body['resources']) == {'resources'}
    assert {'cpus', 'mem', 'disk', 'gpus'} <= set(body['resources']['resources'])
    assert body['configuration'] == {}


def test_all_executions_detail_unknown_is_404(client, history):
    response = client.get('/v6/job-executions/999999/')

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}
