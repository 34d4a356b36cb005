from django.db import models
from django.utils import timezone


class NodeManager(models.Manager):
    def get_by_natural_key(self, hostname):
        return self.get(hostname=hostname)


class Node(models.Model):
    """A machine whose agent runs executions. `resources` are its total resources as the agent
    registered them (`{"cpus": .., "mem": MiB, "disk": MiB, "gpus": .., <custom>: ..}`); free
    resources are derived from the running executions' allocations. `last_heartbeat` is stamped by
    the agent; a node whose heartbeat is too old is OFFLINE. `is_active` false means deprecated.
    `log_lines_ingested` counts the log lines its agent stored (each agent updates only its own row)."""

    hostname = models.CharField(max_length=250, unique=True)
    pause_reason = models.CharField(max_length=250, null=True, blank=True)
    is_paused = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    resources = models.JSONField(default=dict, blank=True)
    last_heartbeat = models.DateTimeField(null=True, blank=True)
    log_lines_ingested = models.BigIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    deprecated = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    objects = NodeManager()

    class Meta:
        db_table = 'node'

    def __str__(self):
        return self.hostname

    def natural_key(self):
        return (self.hostname,)


class QueueMode(models.TextChoices):
    FIFO = 'FIFO'
    LIFO = 'LIFO'


class LoggingLevel(models.TextChoices):
    DEBUG = 'DEBUG'
    INFO = 'INFO'
    WARNING = 'WARNING'
    ERROR = 'ERROR'
    CRITICAL = 'CRITICAL'


class Scheduler(models.Model):
    """The one scheduler configuration and status row (pk 1; Scheduler.load()).

    Set by operators (PATCH /v6/scheduler/, node.services.edit_scheduler):
    - `is_paused` stops placement from the next pass on (a pass in flight places nothing once the
      change has committed); lost nodes are still detected and the pass still reports.
    - `queue_mode` orders jobs of equal priority by queued time, oldest first (FIFO) or newest first
      (LIFO).
    - `system_logging_level` is the level of the scheduler's own log (logger `node.scheduler`), which
      the running scheduler applies at its next pass; SCALE_LOG_LEVEL governs every other logger.
    - `num_message_handlers` is Scale's number of message handler processes; here, the number of task
      workers (`manage.py db_worker`) the operator means to run. Informational: the service does not
      start or count workers; /v6/status/ shows it as the desired count of the task-worker service.

    The scheduler stamps the other fields after every pass: when it ran, how long it took, how many
    jobs it placed, on which host, and its warnings (`[{name, title, description, started,
    last_updated}]`)."""

    is_paused = models.BooleanField(default=False)
    queue_mode = models.CharField(max_length=4, choices=QueueMode.choices, default=QueueMode.FIFO)
    num_message_handlers = models.PositiveIntegerField(default=1)
    system_logging_level = models.CharField(
        max_length=10, choices=LoggingLevel.choices, default=LoggingLevel.INFO
    )
    hostname = models.CharField(max_length=250, default='', blank=True)
    last_pass = models.DateTimeField(null=True, blank=True)
    last_pass_seconds = models.FloatField(default=0.0)
    passes_total = models.BigIntegerField(default=0)
    placements_total = models.BigIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'scheduler'

    def __str__(self):
        return 'scheduler'

    @classmethod
    def load(cls):
        scheduler, _ = cls.objects.get_or_create(pk=1)
        return scheduler


class JobLoad(models.Model):
    """How many jobs were waiting and running at one minute, recorded by the scheduler
    (node.load.record_load): one row a minute with `job_type` null holding the totals over every job
    type, plus one row per job type that had any PENDING/BLOCKED (`pending_count`), QUEUED
    (`queued_count`) or RUNNING (`running_count`) job. A minute missing means no scheduler ran then.
    Rows older than SCALE_LOAD_RETENTION_DAYS are pruned by the scheduler."""

    time = models.DateTimeField()
    job_type = models.ForeignKey(
        'job.JobType', on_delete=models.CASCADE, null=True, blank=True, related_name='+', db_index=False
    )
    pending_count = models.IntegerField(default=0)
    queued_count = models.IntegerField(default=0)
    running_count = models.IntegerField(default=0)

    class Meta:
        db_table = 'job_load'
        constraints = [
            # At most one totals row a minute, whatever the number of schedulers: the conditional
            # write of node.load.record_load.
            models.UniqueConstraint(
                fields=['time'], condition=models.Q(job_type__isnull=True), name='job_load_total_time_uniq'
            ),
            models.UniqueConstraint(fields=['job_type', 'time'], name='job_load_type_time_uniq'),
        ]
        # The totals of a range read job_load_total_time_uniq; the points of some job types read
        # job_load_type_time_uniq; pruning deletes by time.
        indexes = [models.Index(fields=['time'], name='job_load_time_idx')]

    def __str__(self):
        return f'load {self.time:%Y-%m-%dT%H:%MZ} job type {self.job_type_id}'
