"""An index on job_exe (ended) for /v6/status/ (node.status.finished_executions): the COMPLETED and
FAILED executions that ended in the last hours, by node, job type, status and error, read from the
index alone on PostgreSQL instead of a scan of every execution.

The table is the job app's; the index is created here, by the only code that needs it, and is not
declared on job.models.JobExecution (Django leaves indexes it does not know alone). Declaring it
there later needs SeparateDatabaseAndState with this name.
"""

from django.db import migrations

INDEX = 'job_exe_ended_idx'


def create_index(apps, schema_editor):
    include = ' INCLUDE (node_id, job_type_id, status, error_id)'
    if schema_editor.connection.vendor != 'postgresql':
        include = ''
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS {INDEX} ON job_exe (ended){include}')


def drop_index(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS {INDEX}')


class Migration(migrations.Migration):
    dependencies = [
        ('job', '0007_list_order_indexes'),
        ('node', '0003_scheduler_settings_job_load'),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
