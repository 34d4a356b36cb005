from django.db import models
from django.utils import timezone


class NodeManager(models.Manager):
    def get_by_natural_key(self, hostname):
        return self.get(hostname=hostname)


class Node(models.Model):
    """A machine whose agent runs executions. `resources` are its total resources as the agent
    registered them (`{"cpus": .., "mem": MiB, "disk": MiB, "gpus": .., <custom>: ..}`); free
    resources are derived from the running executions' allocations. `last_heartbeat` is stamped by
    the agent; a node whose heartbeat is too old is OFFLINE. `is_active` false means deprecated."""

    hostname = models.CharField(max_length=250, unique=True)
    pause_reason = models.CharField(max_length=250, null=True, blank=True)
    is_paused = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    resources = models.JSONField(default=dict, blank=True)
    last_heartbeat = models.DateTimeField(null=True, blank=True)
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
