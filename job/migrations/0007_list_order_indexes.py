from django.db import migrations, models

# order=duration sorts by ended - started, NULLs last ascending and first descending (backwards).
# SQLite cannot order NULLs in an index, so this one exists on PostgreSQL only.
DURATION_INDEX = 'CREATE INDEX job_duration_idx ON job ((ended - started) ASC NULLS LAST, id ASC)'


def create_duration_index(apps, schema_editor):
    if schema_editor.connection.vendor == 'postgresql':
        schema_editor.execute(DURATION_INDEX)


def drop_duration_index(apps, schema_editor):
    if schema_editor.connection.vendor == 'postgresql':
        schema_editor.execute('DROP INDEX IF EXISTS job_duration_idx')


class Migration(migrations.Migration):
    dependencies = [
        ('batch', '0002_initial'),
        ('job', '0006_job_count'),
        ('node', '0002_scheduler_node_log_lines_ingested'),
        ('recipe', '0001_initial'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='job',
            name='job_sensor_class_idx',
        ),
        migrations.AddIndex(
            model_name='job',
            index=models.Index(
                fields=['source_sensor_class', 'last_modified', 'id'],
                include=('source_started', 'source_ended'),
                name='job_sensor_class_modified_idx',
            ),
        ),
        migrations.AddIndex(
            model_name='job',
            index=models.Index(
                fields=['source_sensor_class', 'source_started'],
                include=('source_ended',),
                name='job_sensor_class_started_idx',
            ),
        ),
        migrations.RunPython(create_duration_index, drop_duration_index),
    ]
