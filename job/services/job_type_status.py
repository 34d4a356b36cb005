"""Job counts by job type for the dashboard endpoints (/v6/job-types/status/, running/, pending/
and /v6/queue/status/), each one aggregate query over indexed columns of the job table.

/v6/job-types/status/ pages the job types and counts the jobs of the page's. The other three list
the job types that have jobs in one status: there are at most as many of those as job types, so
each grouping is read whole (one query, and one for the job types) and paged in memory, with no
second pass for the count. Every endpoint runs a constant number of queries whatever the page size.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from job.choices import JobStatus
from job.models import Job, JobType

DEFAULT_STATUS_WINDOW = datetime.timedelta(hours=3)
# Lists never read the job types' JSON columns.
JOB_TYPES = JobType.objects.defer('manifest', 'configuration')
_STATUS_ORDER = {status: index for index, status in enumerate(JobStatus.values)}
_EPOCH = datetime.datetime.min.replace(tzinfo=datetime.UTC)


@dataclass
class JobTypeStatus:
    """A job type and its job counts: `job_counts` is a list of `{status, category, count,
    most_recent}`, one per status (and, for jobs with an error, per error category)."""

    job_type: JobType
    job_counts: list = field(default_factory=list)


def status_window(started=None, ended=None, now=None):
    """The (started, ended) bounds of /v6/job-types/status/: the given ones, or the last 3 hours
    when neither is given (Scale's default)."""
    if started is None and ended is None:
        started = (now or timezone.now()) - DEFAULT_STATUS_WINDOW
    return started, ended


def job_type_status(job_types, started=None, ended=None, now=None):
    """JobTypeStatus for each of `job_types` (a page of them, in their order): counts of its jobs by
    status and error category, over the jobs whose `last_modified` is within [started, ended]
    (status_window: the last 3 hours by default) plus every RUNNING job whatever its time, as Scale
    counted them. Job types without such jobs have empty counts. One query."""
    job_types = list(job_types)
    started, ended = status_window(started, ended, now)
    window = Q()
    if started is not None:
        window &= Q(last_modified__gte=started)
    if ended is not None:
        window &= Q(last_modified__lte=ended)
    rows = (
        Job.objects.filter(Q(status=JobStatus.RUNNING) | window, job_type_id__in=[jt.id for jt in job_types])
        .values('job_type_id', 'status', 'error__category')
        .annotate(count=Count('*'), most_recent=Max('last_status_change'))
        .order_by()
    )
    counts = {}
    for row in rows:
        counts.setdefault(row['job_type_id'], []).append(
            {
                'status': row['status'],
                'category': row['error__category'],
                'count': row['count'],
                'most_recent': row['most_recent'],
            }
        )
    for job_counts in counts.values():
        job_counts.sort(key=lambda item: (_STATUS_ORDER.get(item['status'], 99), item['category'] or ''))
    return [JobTypeStatus(job_type, counts.get(job_type.id, [])) for job_type in job_types]


def _grouped(status, **aggregates):
    """The jobs in `status` grouped by job type, with `aggregates`: one query (the grouping only,
    so that an index holding the columns serves it alone), then the groups' job types in one
    more."""
    rows = list(
        Job.objects.filter(status=status)
        .values('job_type_id')
        .annotate(count=Count('*'), **aggregates)
        .order_by()
    )
    job_types = JOB_TYPES.in_bulk([row['job_type_id'] for row in rows])
    # A job type cannot be deleted while it has jobs; the check only guards a race with the delete.
    return [
        {**row, 'job_type': job_types[row['job_type_id']]} for row in rows if row['job_type_id'] in job_types
    ]


def running_job_types():
    """Job types with RUNNING jobs: `{job_type, count, longest_running}` (the oldest status change
    among them), the longest running first. Two queries."""
    rows = _grouped(JobStatus.RUNNING, longest_running=Min('last_status_change'))
    return sorted(rows, key=lambda row: (_oldest_first(row['longest_running']), row['job_type'].id))


def pending_job_types():
    """Job types with PENDING jobs: `{job_type, count, longest_pending}`, the longest pending first.
    Two queries."""
    rows = _grouped(JobStatus.PENDING, longest_pending=Min('last_status_change'))
    return sorted(rows, key=lambda row: (_oldest_first(row['longest_pending']), row['job_type'].id))


def queued_job_types():
    """Job types with QUEUED jobs: `{job_type, count, longest_queued, highest_priority}` (the
    smallest priority number runs first), ordered as Scale's queue status: job types that are not
    paused first, then by highest priority, then by the longest queued. Two queries; the grouping is
    an index-only scan of job_queue_type_idx (migration 0008)."""
    rows = _grouped(JobStatus.QUEUED, longest_queued=Min('queued'), highest_priority=Min('priority'))
    return sorted(
        rows,
        key=lambda row: (
            row['job_type'].is_paused,
            row['highest_priority'],
            _oldest_first(row['longest_queued']),
            row['job_type'].id,
        ),
    )


def _oldest_first(moment):
    """A sort key putting the earliest time first and a missing one last."""
    return (moment is None, moment or _EPOCH)
