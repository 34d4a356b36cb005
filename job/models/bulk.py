from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from job.choices import BulkOperationKind, BulkOperationState


class BulkOperation(models.Model):
    """A bulk cancel or requeue (POST /v6/jobs/cancel/ or /v6/jobs/requeue/), done by the task worker.

    `filter` is the request's filter, frozen when it was accepted: durations turned into datetimes,
    job types by name/version into ids, every value checked. The operation visits the jobs whose id
    is at most `max_job_id` (the newest job when it was accepted: a job queued later is never
    touched) and that match the filter, in ascending id, in batches. Each batch commits the job
    changes, `cursor` (the highest id visited) and the counts together, so a worker killed
    mid-operation resumes after `cursor` and no job is visited twice. `matched` is how many jobs
    the filter matched when the operation started; `processed` = `changed` + `skipped` counts the
    jobs visited, `changed` those the operation changed and `skipped` those it left alone (already
    COMPLETED or CANCELED for a cancel; not FAILED or CANCELED, or superseded, for a requeue).
    `lease_owner`/`lease_expires` name the task running the operation: another task takes over only
    once the lease expired."""

    kind = models.CharField(max_length=10, choices=BulkOperationKind.choices)
    state = models.CharField(
        max_length=10, choices=BulkOperationState.choices, default=BulkOperationState.QUEUED
    )
    filter = models.JSONField(default=dict)
    priority = models.IntegerField(null=True, blank=True)
    max_job_id = models.BigIntegerField(default=0)
    cursor = models.BigIntegerField(default=0)
    matched = models.BigIntegerField(null=True, blank=True)
    processed = models.BigIntegerField(default=0)
    changed = models.BigIntegerField(default=0)
    skipped = models.BigIntegerField(default=0)
    error = models.TextField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name='+'
    )
    lease_owner = models.CharField(max_length=100, null=True, blank=True)
    lease_expires = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    ended = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'bulk_operation'
        indexes = [
            models.Index(fields=['created', 'id'], name='bulk_operation_created_idx'),
            models.Index(
                fields=['lease_expires'],
                name='bulk_operation_active_idx',
                condition=Q(state__in=[BulkOperationState.QUEUED, BulkOperationState.RUNNING]),
            ),
        ]

    def __str__(self):
        return f'bulk {self.kind.lower()} {self.pk} ({self.state})'
