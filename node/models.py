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


class Scheduler(models.Model):
    """The one scheduler configuration and status row (pk 1; Scheduler.load()).

    `is_paused` stops placement; `queue_mode` orders jobs of equal priority by queued time, oldest
    first (FIFO) or newest first (LIFO). The scheduler stamps the other fields after every pass: when
    it ran, how long it took, how many jobs it placed, on which host, and its warnings."""

    is_paused = models.BooleanField(default=False)
    queue_mode = models.CharField(max_length=4, choices=QueueMode.choices, default=QueueMode.FIFO)
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
