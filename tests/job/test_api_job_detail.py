"""GET /v6/jobs/{id}/: the job detail of the v6 contract (spec "v6 Job Details"; behaviour reference
section 6.3; the UI's needs in scale-ui-client.md section 2.2 and checklist item 10)."""

import pytest

from job.choices import ExecutionStatus, JobStatus
from job.models import JobTypeRevision
from tests import factories
from tests.factories import dt
from tests.job.contract import (
    ERROR_KEYS,
    EXECUTION_DETAIL_KEYS,
    JOB_DETAIL_KEYS,
    JOB_TYPE_KEYS,
    JOB_TYPE_REV_DETAIL_KEYS,
)

pytestmark = pytest.mark.django_db

# The fields of the spec's Job Details table, no more, no less.
SECRET_VALUE = 'hunter2-do-not-leak'


def get_detail(client, job):
    response = client.get(f'/v6/jobs/{job.id}/')
    assert response.status_code == 200, response.content
    assert response['Content-Type'] == 'application/json'
    return response.json()


def secret_manifest(name):
    return factories.seed_manifest(
        name,
        settings=[
            {'name': 'DB_HOST', 'secret': False},
            {'name': 'DB_PASS', 'secret': True},
        ],
    )


def test_detail_has_exactly_the_contract_keys_and_nested_shapes(client):
    job_type = factories.job_type('shape-type', icon_code='f013', unmet_resources='chocolate')
    workspace = factories.workspace()
    first = factories.scale_file(workspace, 'a.txt', file_size=3 * 1024 * 1024)
    second = factories.scale_file(workspace, 'b.txt', file_size=1024 * 1024)
    node = factories.node('host-shape.example')
    recipe = factories.recipe(factories.recipe_type('shape-recipe', title='Shape Recipe'))
    batch = factories.batch(title='Shape batch', description='A batch')
    job = factories.job(
        job_type,
        JobStatus.COMPLETED,
        input_files=[('INPUT_FILE', first), ('INPUT_FILE', second)],
        node=node,
        recipe=recipe,
        batch=batch,
        output={'files': {'OUT': [77]}, 'json': {'answer': 42}},
        source_started=dt('2016-01-01T00:00:00Z'),
        source_ended=dt('2016-01-01T01:00:00Z'),
        source_sensor_class='classA',
        source_sensor='1',
        source_collection='12345',
        source_task='my-task',
        created=dt('2024-01-02T03:04:05Z'),
        queued=dt('2024-01-02T03:05:00Z'),
        started=dt('2024-01-02T03:06:00.250000Z'),
        ended=dt('2024-01-02T03:07:00Z'),
        last_status_change=dt('2024-01-02T03:07:00Z'),
    )
    execution = factories.execution(
        job,
        status=ExecutionStatus.COMPLETED,
        node=node,
        exit_code=0,
        task_results={'tasks': [{'task_id': 'main', 'exit_code': 0}]},
        configuration={'tasks': [{'type': 'main'}]},
        output={'output_data': [{'name': 'OUT', 'file_id': 77}]},
    )

    body = get_detail(client, job)

    assert set(body) == JOB_DETAIL_KEYS
    assert body['id'] == job.id
    assert body['status'] == 'COMPLETED'
    assert set(body['job_type']) == JOB_TYPE_KEYS
    assert body['job_type']['name'] == 'shape-type'
    assert body['job_type']['icon_code'] == 'f013'
    assert body['job_type']['unmet_resources'] == 'chocolate'
    assert isinstance(body['job_type']['description'], str)
    assert body['event'] == {
        'id': job.event_id,
        'type': 'USER',
        'occurred': job.event.occurred.isoformat().replace('+00:00', 'Z'),
    }
    assert body['recipe'] == {
        'id': recipe.id,
        'recipe_type': {
            'id': recipe.recipe_type_id,
            'name': 'shape-recipe',
            'title': 'Shape Recipe',
            'description': '',
            'revision_num': 1,
        },
        'recipe_type_rev': {'id': recipe.recipe_type_rev_id},
        'event': {'id': recipe.event_id},
    }
    assert body['batch'] == {
        'id': batch.id,
        'title': 'Shape batch',
        'description': 'A batch',
        'created': batch.created.isoformat().replace('+00:00', 'Z'),
    }
    assert body['node'] == {'id': node.id, 'hostname': 'host-shape.example'}
    assert body['error'] is None
    assert body['is_superseded'] is False
    assert body['superseded_job'] is None
    assert body['superseded_by_job'] is None
    assert body['superseded'] is None
    assert body['max_tries'] == 3
    assert body['num_exes'] == 1
    assert body['input'] == {'files': {'INPUT_FILE': [first.id, second.id]}, 'json': {}}
    assert body['input_file_size'] == 4.0
    assert body['input_files'] == {'INPUT_FILE': ['a.txt', 'b.txt']}
    assert body['output'] == {'files': {'OUT': [77]}, 'json': {'answer': 42}}
    assert body['source_started'] == '2016-01-01T00:00:00Z'
    assert body['source_ended'] == '2016-01-01T01:00:00Z'
    assert body['source_sensor_class'] == 'classA'
    assert body['source_sensor'] == '1'
    assert body['source_collection'] == '12345'
    assert body['source_task'] == 'my-task'
    assert body['created'] == '2024-01-02T03:04:05Z'
    assert body['queued'] == '2024-01-02T03:05:00Z'
    assert body['started'] == '2024-01-02T03:06:00.250000Z'
    assert body['ended'] == '2024-01-02T03:07:00Z'
    assert body['last_status_change'] == '2024-01-02T03:07:00Z'
    assert body['last_modified'] is not None

    exe = body['execution']
    assert set(exe) == EXECUTION_DETAIL_KEYS
    assert exe['id'] == execution.id
    assert exe['status'] == 'COMPLETED'
    assert exe['exe_num'] == 1
    assert exe['cluster_id'] == f'scale_job_{job.id}_1'
    assert exe['job'] == {'id': job.id}
    assert exe['node'] == {'id': node.id, 'hostname': 'host-shape.example'}
    assert exe['error'] is None
    assert set(exe['job_type']) == JOB_TYPE_KEYS
    assert exe['job_type']['id'] == job_type.id
    assert exe['timeout'] == 600
    assert exe['input_file_size'] == 4.0
    assert exe['task_results'] == {'tasks': [{'task_id': 'main', 'exit_code': 0}]}
    assert set(exe['resources']) == {'resources'}
    assert exe['resources']['resources']['gpus'] == 0.0
    assert exe['configuration'] == {'tasks': [{'type': 'main'}]}
    assert exe['output'] == {'output_data': [{'name': 'OUT', 'file_id': 77}]}


def test_job_type_rev_is_the_jobs_revision_in_the_detail_shape_with_its_manifest(client):
    job_type = factories.job_type('rev-type', '2.0.0')
    job = factories.job(job_type, JobStatus.QUEUED)
    # The job type moves on to a new revision; the job keeps the one it was created with.
    new_manifest = factories.seed_manifest('rev-type', '2.0.0', inputs=['OTHER'])
    JobTypeRevision.objects.create(
        job_type=job_type, revision_num=2, manifest=new_manifest, docker_image='rev-type:2.0.0-r2'
    )
    factories.set_fields(job_type, revision_num=2, manifest=new_manifest)
    revision = job.job_type_rev

    body = get_detail(client, job)

    rev = body['job_type_rev']
    assert set(rev) == JOB_TYPE_REV_DETAIL_KEYS
    assert rev['id'] == revision.id
    assert rev['revision_num'] == 1
    assert rev['docker_image'] == 'rev-type:2.0.0'
    assert rev['created'] == revision.created.isoformat().replace('+00:00', 'Z')
    assert rev['manifest'] == revision.manifest
    assert rev['manifest']['job']['interface']['inputs']['files'][0]['name'] == 'INPUT_FILE'
    assert set(rev['job_type']) == JOB_TYPE_KEYS
    assert rev['job_type']['id'] == job_type.id
    assert rev['job_type']['name'] == 'rev-type'
    assert rev['job_type']['version'] == '2.0.0'


def test_superseded_links_both_ways(client):
    old_type = factories.job_type('old-type')
    new_type = factories.job_type('new-type')
    old = factories.job(old_type, JobStatus.FAILED, is_superseded=True, superseded=dt('2024-02-01T00:00:00Z'))
    new = factories.job(new_type, JobStatus.QUEUED, superseded_job=old)

    old_body = get_detail(client, old)
    new_body = get_detail(client, new)

    assert old_body['is_superseded'] is True
    assert old_body['superseded'] == '2024-02-01T00:00:00Z'
    assert old_body['superseded_job'] is None
    assert set(old_body['superseded_by_job']) == {'id', 'job_type', 'status'}
    assert old_body['superseded_by_job']['id'] == new.id
    assert old_body['superseded_by_job']['status'] == 'QUEUED'
    assert set(old_body['superseded_by_job']['job_type']) == JOB_TYPE_KEYS
    assert old_body['superseded_by_job']['job_type']['name'] == 'new-type'

    assert new_body['is_superseded'] is False
    assert new_body['superseded'] is None
    assert new_body['superseded_by_job'] is None
    assert new_body['superseded_job']['id'] == old.id
    assert new_body['superseded_job']['status'] == 'FAILED'
    assert new_body['superseded_job']['job_type']['name'] == 'old-type'
    assert set(new_body['superseded_job']['job_type']) == JOB_TYPE_KEYS


@pytest.mark.parametrize(
    ('job_status', 'num_exes', 'execution_statuses', 'expected_exe_num'),
    [
        (JobStatus.RUNNING, 1, [ExecutionStatus.RUNNING], 1),
        (JobStatus.COMPLETED, 1, [ExecutionStatus.COMPLETED], 1),
        (JobStatus.FAILED, 2, [ExecutionStatus.FAILED, ExecutionStatus.FAILED], 2),
        # Better than Scale, which always showed null for CANCELED: the execution that ran is shown.
        (JobStatus.CANCELED, 1, [ExecutionStatus.CANCELED], 1),
        # A retry that is running again: the newest execution, not the failed first one.
        (JobStatus.RUNNING, 2, [ExecutionStatus.FAILED, ExecutionStatus.RUNNING], 2),
    ],
)
def test_execution_is_the_latest_execution(
    client, job_status, num_exes, execution_statuses, expected_exe_num
):
    node = factories.node()
    job = factories.job(status=job_status, num_exes=num_exes, node=node)
    executions = [
        factories.execution(job, exe_num=number, status=status, node=node)
        for number, status in enumerate(execution_statuses, start=1)
    ]

    body = get_detail(client, job)

    execution = body['execution']
    assert execution is not None
    assert execution['exe_num'] == expected_exe_num
    assert execution['id'] == executions[expected_exe_num - 1].id
    assert execution['status'] == execution_statuses[expected_exe_num - 1]
    assert isinstance(execution['status'], str)
    assert execution['job'] == {'id': job.id}
    # The UI opens the logs of execution.id.
    factories.log_lines(executions[expected_exe_num - 1], [('stdout', 'hello')])
    assert client.get(f'/v6/job-executions/{execution["id"]}/logs/combined/').status_code == 200


def test_execution_is_null_for_a_queued_retry_before_its_execution_exists(client):
    # Requeued after a failure: num_exes is already 2, but only execution 1 exists.
    job = factories.job(status=JobStatus.QUEUED, num_exes=2)
    factories.execution(job, exe_num=1, status=ExecutionStatus.FAILED)

    body = get_detail(client, job)

    assert body['execution'] is None
    assert body['num_exes'] == 2


@pytest.mark.parametrize('job_status', [JobStatus.PENDING, JobStatus.BLOCKED, JobStatus.QUEUED])
def test_execution_is_null_before_any_execution(client, job_status):
    job = factories.job(status=job_status)

    body = get_detail(client, job)

    assert body['execution'] is None
    assert body['status'] == job_status


def test_event_and_configuration_are_never_null(client):
    # A job type with an empty configuration still gives a full configuration with the default priority.
    job_type = factories.job_type(configuration={})
    job = factories.job(job_type, JobStatus.PENDING)

    body = get_detail(client, job)

    assert body['event']['type'] == 'USER'
    assert body['event']['occurred'] is not None
    assert body['configuration'] == {
        'mounts': {},
        'output_workspaces': {'default': '', 'outputs': {}},
        'priority': 100,
        'settings': {},
    }
    assert body['input'] == {'files': {}, 'json': {}}
    assert body['output'] == {'files': {}, 'json': {}}


def test_input_and_output_are_never_null(client):
    job = factories.job(status=JobStatus.PENDING, input={}, output=None)

    body = get_detail(client, job)

    assert body['input'] == {'files': {}, 'json': {}}
    assert body['output'] == {'files': {}, 'json': {}}
    assert body['input_files'] == {}


def test_secret_settings_are_absent(client):
    job_type = factories.job_type(
        'secret-type',
        manifest=secret_manifest('secret-type'),
        configuration={'priority': 50, 'settings': {'DB_HOST': 'db.example', 'DB_PASS': SECRET_VALUE}},
    )
    job = factories.job(job_type, JobStatus.RUNNING)

    response = client.get(f'/v6/jobs/{job.id}/')

    assert response.status_code == 200
    configuration = response.json()['configuration']
    assert configuration['priority'] == 50
    assert configuration['settings'] == {'DB_HOST': 'db.example'}
    assert SECRET_VALUE.encode() not in response.content


def test_secret_settings_of_the_job_override_are_absent(client):
    job_type = factories.job_type('secret-override-type', manifest=secret_manifest('secret-override-type'))
    job = factories.job(
        job_type,
        JobStatus.QUEUED,
        configuration={'settings': {'DB_HOST': 'override.example', 'DB_PASS': SECRET_VALUE}},
    )

    response = client.get(f'/v6/jobs/{job.id}/')

    assert response.json()['configuration']['settings'] == {'DB_HOST': 'override.example'}
    assert SECRET_VALUE.encode() not in response.content


def test_job_override_configuration_is_merged_over_the_job_types(client):
    job_type = factories.job_type(
        configuration={
            'version': '6',
            'priority': 50,
            'mounts': {'MOUNT': {'type': 'host', 'host_path': '/mnt/a'}},
            'output_workspaces': {'default': 'ws-default', 'outputs': {'OUT': 'ws-out'}},
            'settings': {'DB_HOST': 'db.example'},
        }
    )
    job = factories.job(job_type, JobStatus.QUEUED, configuration={'version': '6', 'priority': 7})
    plain = factories.job(job_type, JobStatus.QUEUED)

    body = get_detail(client, job)

    assert body['configuration'] == {
        'mounts': {'MOUNT': {'type': 'host', 'host_path': '/mnt/a'}},
        'output_workspaces': {'default': 'ws-default', 'outputs': {'OUT': 'ws-out'}},
        'priority': 7,
        'settings': {'DB_HOST': 'db.example'},
    }
    assert get_detail(client, plain)['configuration']['priority'] == 50


def test_job_override_replaces_the_output_workspaces(client):
    job_type = factories.job_type(
        configuration={'priority': 50, 'output_workspaces': {'default': 'ws-default', 'outputs': {}}}
    )
    job = factories.job(
        job_type, JobStatus.QUEUED, configuration={'output_workspaces': {'default': 'ws-job', 'outputs': {}}}
    )

    configuration = get_detail(client, job)['configuration']

    assert configuration['output_workspaces'] == {'default': 'ws-job', 'outputs': {}}
    assert configuration['priority'] == 50
    assert 'version' not in configuration


def test_job_override_is_merged_key_by_key(client):
    # A job overriding one setting, mount or output keeps the job type's others.
    job_type = factories.job_type(
        configuration={
            'priority': 50,
            'mounts': {'A': {'type': 'host', 'host_path': '/mnt/a'}},
            'output_workspaces': {'default': 'ws-default', 'outputs': {'OUT1': 'ws-1'}},
            'settings': {'DB_HOST': 'db.example', 'MODE': 'fast'},
        }
    )
    job = factories.job(
        job_type,
        JobStatus.QUEUED,
        configuration={
            'mounts': {'B': {'type': 'host', 'host_path': '/mnt/b'}},
            'output_workspaces': {'outputs': {'OUT2': 'ws-2'}},
            'settings': {'MODE': 'slow'},
        },
    )

    configuration = get_detail(client, job)['configuration']

    assert configuration == {
        'mounts': {
            'A': {'type': 'host', 'host_path': '/mnt/a'},
            'B': {'type': 'host', 'host_path': '/mnt/b'},
        },
        'output_workspaces': {'default': 'ws-default', 'outputs': {'OUT1': 'ws-1', 'OUT2': 'ws-2'}},
        'priority': 50,
        'settings': {'DB_HOST': 'db.example', 'MODE': 'slow'},
    }


def test_priority_is_the_jobs_own(client):
    # A requeue with a new priority changes Job.priority; the detail shows the priority the job runs at.
    job_type = factories.job_type(configuration={'priority': 50})
    job = factories.job(job_type, JobStatus.QUEUED)
    factories.set_fields(job, priority=3)

    assert get_detail(client, job)['configuration']['priority'] == 3


def test_resources_include_gpus_and_custom_resources(client):
    manifest = factories.seed_manifest(
        'gpu-type',
        scalars=[
            {'name': 'cpus', 'value': 2.0},
            {'name': 'mem', 'value': 512.0},
            {'name': 'disk', 'value': 10.0, 'inputMultiplier': 2.0},
            {'name': 'gpus', 'value': 1.0},
            {'name': 'chocolate', 'value': 3.0},
        ],
    )
    job_type = factories.job_type('gpu-type', manifest=manifest)
    job = factories.job(
        job_type,
        JobStatus.QUEUED,
        input_files=[('INPUT_FILE', factories.scale_file(file_size=5 * 1024 * 1024))],
    )

    resources = get_detail(client, job)['resources']

    # disk = ceil(10 + 2 * 5 MiB of input)
    assert resources == {
        'resources': {'cpus': 2.0, 'mem': 512.0, 'disk': 20.0, 'gpus': 1.0, 'chocolate': 3.0}
    }


def test_resources_always_have_the_standard_keys(client):
    job = factories.job(status=JobStatus.QUEUED, resources={'cpus': 1.0, 'mem': 128.0})

    resources = get_detail(client, job)['resources']['resources']

    assert resources == {'cpus': 1.0, 'mem': 128.0, 'disk': 0.0, 'gpus': 0.0}


def test_resources_without_a_stored_requirement_come_from_the_revision_manifest(client):
    manifest = factories.seed_manifest(
        'computed-type', scalars=[{'name': 'cpus', 'value': 4.0}, {'name': 'mem', 'value': 1024.0}]
    )
    job_type = factories.job_type('computed-type', manifest=manifest)
    job = factories.job(job_type, JobStatus.PENDING, resources=None, input_file_size=64.0)

    resources = get_detail(client, job)['resources']

    assert resources == {'resources': {'cpus': 4.0, 'mem': 1024.0, 'disk': 64.0, 'gpus': 0.0}}


def test_failed_job_shows_its_error(client):
    job = factories.job(status=JobStatus.FAILED, error=factories.error('timeout'))

    error = get_detail(client, job)['error']

    assert set(error) == ERROR_KEYS
    assert error['name'] == 'timeout'
    assert error['category'] == 'ALGORITHM'
    assert error['is_builtin'] is True


@pytest.mark.parametrize('path', ['/v6/jobs/999999/', '/v6/jobs/999999', '/v6/jobs/999999999999999999/'])
def test_unknown_job_is_404(client, path):
    factories.job()

    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {'detail': 'Not found.'}


def test_query_count_is_constant(client, django_assert_num_queries, django_assert_max_num_queries):
    """Token lookup, the job (event, recipe, job type and revision joined), one query per lookup it
    shows (batch, node, error, superseded and superseding job), its input-file names, its latest
    execution: nine queries for a job with everything, no more for a bare one."""
    bare = factories.job(status=JobStatus.PENDING)

    node = factories.node()
    old = factories.job(status=JobStatus.FAILED, is_superseded=True)
    files = [('INPUT_FILE', factories.scale_file()) for _ in range(3)] + [('OTHER', factories.scale_file())]
    rich = factories.job(
        status=JobStatus.FAILED,
        num_exes=3,
        input_files=files,
        node=node,
        recipe=factories.recipe(),
        batch=factories.batch(),
        superseded_job=old,
    )
    for number in (1, 2, 3):
        factories.execution(rich, exe_num=number, status=ExecutionStatus.FAILED, node=node)
    factories.job(status=JobStatus.QUEUED, superseded_job=rich)

    with django_assert_max_num_queries(9):
        assert client.get(f'/v6/jobs/{bare.id}/').status_code == 200
    with django_assert_num_queries(9):
        body = client.get(f'/v6/jobs/{rich.id}/').json()
    assert body['execution']['exe_num'] == 3
    assert body['superseded_by_job'] is not None
    assert body['superseded_job']['id'] == old.id
    assert sum(len(names) for names in body['input_files'].values()) == 4


def test_a_queued_job_says_why_it_is_not_running(client):
    waiting = factories.job(status=JobStatus.QUEUED)
    factories.set_fields(waiting, queue_reason='needs 8 gpus, the largest node has 2')
    fresh = factories.job(status=JobStatus.QUEUED)
    done = factories.job(status=JobStatus.COMPLETED)
    factories.set_fields(done, queue_reason='stale text the scheduler left')

    assert get_detail(client, waiting)['queue_reason'] == 'needs 8 gpus, the largest node has 2'
    assert get_detail(client, fresh)['queue_reason'] == 'waiting for the scheduler to look at it'
    assert get_detail(client, done)['queue_reason'] is None


def test_a_paused_job_type_is_told_at_once_and_forgotten_when_resumed(client):
    job = factories.job(status=JobStatus.QUEUED)
    factories.set_fields(job, queue_reason='waiting for 2 cpus (the freest ready node has 1)')
    factories.set_fields(job.job_type, is_paused=True)
    assert get_detail(client, job)['queue_reason'] == 'job type paused'

    # The scheduler wrote the pause before the job type was resumed, then did not look again yet.
    factories.set_fields(job, queue_reason='job type paused')
    factories.set_fields(job.job_type, is_paused=False)
    assert get_detail(client, job)['queue_reason'] == 'waiting for the scheduler to look at it'
