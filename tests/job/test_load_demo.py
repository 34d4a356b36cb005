"""manage.py load_demo: the demo world `make run` loads, through the same services as the API."""

import io
import json

import pytest
from django.core.management import call_command

from job.models import Error, JobType, ScaleFile, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_load_demo_builds_the_demo_world_once(var_dir):
    call_command('load_demo', stdout=io.StringIO())
    call_command('load_demo', stdout=io.StringIO())

    workspace = Workspace.objects.get(name='demo')
    root = var_dir / 'workspaces' / 'demo'
    assert workspace.json_config == {'broker': {'type': 'host', 'host_path': str(root)}}
    files = {file.file_name: file for file in ScaleFile.objects.filter(workspace=workspace)}
    assert sorted(files) == ['hello.txt', 'numbers.txt', 'poem.txt']
    for name, file in files.items():
        assert file.file_size == (root / name).stat().st_size
        assert file.media_type == 'text/plain'
    job_types = {job_type.name: job_type for job_type in JobType.objects.all()}
    assert sorted(job_types) == ['copy-file', 'fail-with-code', 'sleep']
    assert all(job_type.revision_num == 1 for job_type in job_types.values())
    # The web UI prints `&#x<icon_code>;`: without one a page shows the text "&#xnull;".
    assert {name: job_type.icon_code for name, job_type in job_types.items()} == {
        'copy-file': 'f0c5',
        'fail-with-code': 'f071',
        'sleep': 'f236',
    }
    assert Error.objects.get(job_type_name='fail-with-code', name='demo-bad-input').category == 'DATA'
    assert Error.objects.filter(name='node-lost', is_builtin=True).exists()


def test_the_workspace_follows_a_moved_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / 'first'
    call_command('load_demo', stdout=io.StringIO())
    settings.VAR_DIR = tmp_path / 'second'
    call_command('load_demo', stdout=io.StringIO())

    host_path = Workspace.objects.get(name='demo').json_config['broker']['host_path']
    assert host_path == str(tmp_path / 'second' / 'workspaces' / 'demo')
    assert (tmp_path / 'second' / 'workspaces' / 'demo' / 'hello.txt').exists()


def test_a_demo_job_can_be_queued_on_a_demo_file(var_dir, staff_client):
    call_command('load_demo', stdout=io.StringIO())
    copy_file = JobType.objects.get(name='copy-file')
    hello = ScaleFile.objects.get(file_name='hello.txt')

    response = staff_client.post(
        '/v6/jobs/',
        json.dumps({'job_type_id': copy_file.id, 'input': {'files': {'INPUT_FILE': [hello.id]}}}),
        content_type='application/json',
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body['input_files'] == {'INPUT_FILE': ['hello.txt']}
    assert body['configuration']['settings'] == {'GREETING': 'Hello'}
    assert body['resources']['resources']['mem'] == 128.0
