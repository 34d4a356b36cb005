from django.db import models
from django.utils import timezone

from job.choices import JobStatus


class TriggerEvent(models.Model):
    """What caused jobs or recipes to be created: a user request (`USER`), an ingest, a batch..."""

    type = models.CharField(max_length=50)
    description = models.JSONField(default=dict, blank=True)
    occurred = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = 'trigger_event'

    def __str__(self):
        return f'{self.type} {self.occurred:%Y-%m-%dT%H:%M:%SZ}'


class Job(models.Model):
    """One run request of a job type revision on some input data.

    State (DESIGN.md section 4): `status` moves PENDING/BLOCKED -> QUEUED -> RUNNING -> COMPLETED or
    FAILED, or to CANCELED; only service functions change it, with conditional updates.
    `num_exes` is the number of the current (or next) execution: queueing increments it before the
    execution row exists. `queued`, `started`, `ended`, `node` and `error` describe the latest
    attempt and are cleared on requeue. `priority` (lower runs first) and `resources` (the
    requirement `{"cpus": .., "mem": MiB, "disk": MiB, "gpus": .., <custom>: ..}`) are fixed when the
    job is queued. `configuration` is the job's own override of its job type's configuration, or
    null. `last_modified` changes on every write and is what the list's `started`/`ended` filter.
    `queue_reason` is the scheduler's short answer to "why is this QUEUED job not running yet?".
    """

    job_type = models.ForeignKey('job.JobType', on_delete=models.PROTECT, related_name='jobs', db_index=False)
    job_type_rev = models.ForeignKey('job.JobTypeRevision', on_delete=models.PROTECT, related_name='jobs')
    event = models.ForeignKey(TriggerEvent, on_delete=models.PROTECT, related_name='jobs')
    recipe = models.ForeignKey(
        'recipe.Recipe', on_delete=models.SET_NULL, null=True, blank=True, related_name='jobs', db_index=False
    )
    batch = models.ForeignKey(
        'batch.Batch', on_delete=models.SET_NULL, null=True, blank=True, related_name='jobs', db_index=False
    )
    is_superseded = models.BooleanField(default=False)
    superseded_job = models.OneToOneField(
        'self', on_delete=models.SET_NULL, null=True, blank=True, related_name='superseded_by_job'
    )
    superseded = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    node = models.ForeignKey(
        'node.Node', on_delete=models.SET_NULL, null=True, blank=True, related_name='jobs'
    )
    error = models.ForeignKey(
        'job.Error', on_delete=models.PROTECT, null=True, blank=True, related_name='jobs', db_index=False
    )
    priority = models.IntegerField(default=100)
    max_tries = models.PositiveIntegerField(default=3)
    num_exes = models.PositiveIntegerField(default=0)
    input = models.JSONField(default=dict, blank=True)
    input_file_size = models.FloatField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    configuration = models.JSONField(null=True, blank=True)
    resources = models.JSONField(null=True, blank=True)
    queue_reason = models.CharField(max_length=250, null=True, blank=True)
    source_started = models.DateTimeField(null=True, blank=True)
    source_ended = models.DateTimeField(null=True, blank=True)
    source_sensor_class = models.CharField(max_length=250, null=True, blank=True)
    source_sensor = models.CharField(max_length=250, null=True, blank=True)
    source_collection = models.CharField(max_length=250, null=True, blank=True)
    source_task = models.CharField(max_length=250, null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    queued = models.DateTimeField(null=True, blank=True)
    started = models.DateTimeField(null=True, blank=True)
    ended = models.DateTimeField(null=True, blank=True)
    last_status_change = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'job'
        # Each list filter leads a composite index ending in the default order (last_modified, id),
        # so a filtered page in the default order is an index range scan; (created, id) serves
        # `order=-created`, and the partial queue index serves the scheduler's scan.
        indexes = [
            models.Index(fields=['last_modified', 'id'], name='job_modified_idx'),
            models.Index(fields=['status', 'last_modified', 'id'], name='job_status_modified_idx'),
            models.Index(fields=['job_type', 'last_modified', 'id'], name='job_type_modified_idx'),
            models.Index(fields=['batch', 'last_modified', 'id'], name='job_batch_modified_idx'),
            models.Index(fields=['recipe', 'last_modified', 'id'], name='job_recipe_modified_idx'),
            models.Index(fields=['error', 'last_modified', 'id'], name='job_error_modified_idx'),
            models.Index(fields=['created', 'id'], name='job_created_idx'),
            models.Index(fields=['source_started'], name='job_source_started_idx'),
            models.Index(fields=['source_ended'], name='job_source_ended_idx'),
            # A page of one sensor class in list order, and the count of a source time range within a
            # class, both read from the index alone (the source times are carried along).
            models.Index(
                fields=['source_sensor_class', 'last_modified', 'id'],
                include=['source_started', 'source_ended'],
                name='job_sensor_class_modified_idx',
            ),
            models.Index(
                fields=['source_sensor_class', 'source_started'],
                include=['source_ended'],
                name='job_sensor_class_started_idx',
            ),
            # order=duration is served by job_duration_idx, created by migration 0007 on PostgreSQL
            # only: SQLite cannot order NULLs in an index (the list puts them last ascending).
            models.Index(
                fields=['priority', 'queued', 'id'],
                name='job_queue_idx',
                condition=models.Q(status=JobStatus.QUEUED),
            ),
        ]

    def __str__(self):
        return f'job {self.pk} ({self.status})'


class JobInputFile(models.Model):
    """Links a job to a file it takes as input, under the input name of the job type's interface."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name='input_file_links', db_index=False)
    input_file = models.ForeignKey('job.ScaleFile', on_delete=models.PROTECT, related_name='job_input_links')
    job_input = models.CharField(max_length=250)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = 'job_input_file'
        indexes = [models.Index(fields=['job', 'job_input'], name='job_input_file_job_idx')]

    def __str__(self):
        return f'{self.job_id}:{self.job_input}:{self.input_file_id}'
