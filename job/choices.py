from django.db import models


class JobStatus(models.TextChoices):
    PENDING = 'PENDING'
    BLOCKED = 'BLOCKED'
    QUEUED = 'QUEUED'
    RUNNING = 'RUNNING'
    FAILED = 'FAILED'
    COMPLETED = 'COMPLETED'
    CANCELED = 'CANCELED'


JOB_FINAL_STATUSES = frozenset({JobStatus.FAILED, JobStatus.COMPLETED, JobStatus.CANCELED})
JOB_ACTIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})
# A job can be canceled unless it already finished well or was canceled.
JOB_CANCELABLE_STATUSES = frozenset(set(JobStatus) - {JobStatus.COMPLETED, JobStatus.CANCELED})
JOB_REQUEUEABLE_STATUSES = frozenset({JobStatus.FAILED, JobStatus.CANCELED})


class ExecutionStatus(models.TextChoices):
    RUNNING = 'RUNNING'
    FAILED = 'FAILED'
    COMPLETED = 'COMPLETED'
    CANCELED = 'CANCELED'


EXECUTION_FINAL_STATUSES = frozenset(
    {ExecutionStatus.FAILED, ExecutionStatus.COMPLETED, ExecutionStatus.CANCELED}
)
EXECUTION_ACTIVE_STATUSES = frozenset({ExecutionStatus.RUNNING})


class ErrorCategory(models.TextChoices):
    SYSTEM = 'SYSTEM'
    ALGORITHM = 'ALGORITHM'
    DATA = 'DATA'


class FileType(models.TextChoices):
    SOURCE = 'SOURCE'
    PRODUCT = 'PRODUCT'


class LogStream(models.TextChoices):
    STDOUT = 'stdout'
    STDERR = 'stderr'


class InputFileTimeField(models.TextChoices):
    """Which pair of file times `started`/`ended` compare against on /v6/jobs/{id}/input_files/."""

    SOURCE = 'source'
    DATA = 'data'
    LAST_MODIFIED = 'last_modified'


class BulkOperationKind(models.TextChoices):
    CANCEL = 'CANCEL'
    REQUEUE = 'REQUEUE'


class BulkOperationState(models.TextChoices):
    QUEUED = 'QUEUED'
    RUNNING = 'RUNNING'
    COMPLETED = 'COMPLETED'
    FAILED = 'FAILED'


BULK_FINAL_STATES = frozenset({BulkOperationState.COMPLETED, BulkOperationState.FAILED})
BULK_ACTIVE_STATES = frozenset({BulkOperationState.QUEUED, BulkOperationState.RUNNING})
