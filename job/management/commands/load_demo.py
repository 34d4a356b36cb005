"""manage.py load_demo: the builtin errors, a demo workspace (a directory under var/), demo files in it
and the demo job types of fixtures/demo/, created through the same services as the API. Idempotent:
what exists is kept (a demo job type whose fixture changed is updated as a PATCH would)."""

import json
import shutil
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from job.models import ScaleFile, Workspace
from job.services import job_types as job_type_services
from job.services import storage

FIXTURES = Path(settings.BASE_DIR) / 'fixtures'
DEMO = FIXTURES / 'demo'
WORKSPACE = 'demo'


def demo_workspace_path():
    return Path(settings.VAR_DIR) / 'workspaces' / WORKSPACE


class Command(BaseCommand):
    help = 'Load the builtin errors and the demo workspace, files and job types (idempotent).'

    def handle(self, *args, **options):
        call_command('loaddata', str(FIXTURES / 'builtin_errors.json'), verbosity=0)
        with transaction.atomic():
            workspace = self._workspace()
            files = self._files(workspace)
            job_types = self._job_types()
        self.stdout.write(
            f'demo: workspace "{workspace.name}" at {workspace.json_config["broker"]["host_path"]}, '
            f'files {", ".join(f"{file.file_name} (id {file.id})" for file in files)}, '
            f'job types {", ".join(f"{job_type.name} {job_type.version} (id {job_type.id})" for job_type in job_types)}'
        )

    def _workspace(self):
        path = demo_workspace_path()
        path.mkdir(parents=True, exist_ok=True)
        configuration = {'broker': {'type': 'host', 'host_path': str(path)}}
        workspace = Workspace.objects.filter(name=WORKSPACE).first()
        if workspace is None:
            return storage.create_workspace(
                {
                    'name': WORKSPACE,
                    'title': 'Demo',
                    'description': f'Demo files, in {path}',
                    'configuration': configuration,
                }
            )
        if workspace.json_config != configuration or not workspace.is_active:
            # The checkout (or SCALE_VAR_DIR) moved since the workspace was made.
            return storage.edit_workspace(workspace.id, {'configuration': configuration, 'is_active': True})
        return workspace

    def _files(self, workspace):
        root = Path(workspace.json_config['broker']['host_path'])
        files = []
        for source in sorted((DEMO / 'files').iterdir()):
            target = root / source.name
            if not target.exists():
                shutil.copyfile(source, target)
            file = ScaleFile.objects.filter(workspace=workspace, file_path=source.name).first()
            if file is None:
                file = storage.register_file(
                    {
                        'workspace': workspace.name,
                        'file_path': source.name,
                        'data_type_tags': ['demo'],
                        'source_sensor_class': 'demo',
                    }
                )
            files.append(file)
        return files

    def _job_types(self):
        job_types = []
        for fixture in sorted((DEMO / 'job_types').glob('*.json')):
            body = json.loads(fixture.read_text())
            result = job_type_services.create_job_type(
                body['docker_image'],
                body['manifest'],
                body.get('configuration'),
                is_published=body.get('is_published', False),
                # The web UI draws a job type's icon from this Font Awesome code.
                icon_code=body.get('icon_code'),
            )
            job_types.append(result.job_type)
        return job_types
