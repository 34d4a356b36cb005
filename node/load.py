"""The job load over time (GET /v6/load/): recorded by the scheduler once a minute, read back in
buckets.

Recording (record_load, called by every scheduler pass): at the first pass of each UTC minute, one
aggregate query counts the jobs of every job type that are waiting to be queued (PENDING and BLOCKED:
`pending_count`), QUEUED (`queued_count`) and RUNNING (`running_count`); on PostgreSQL it reads the
job_count table (a millisecond at a million jobs), elsewhere the job table. It writes one JobLoad row
with the totals (job_type null) and one per job type that had any such job. The totals row is the
minute's conditional write: the partial unique constraint job_load_total_time_uniq admits one a
minute, so two schedulers (or a clock going back) never record a minute twice. Rows older than
SCALE_LOAD_RETENTION_DAYS are deleted as each minute is recorded.

Reading (load_points): the range [started, ended] (default: the retention period up to now) is cut
into buckets of a whole number of minutes aligned on the Unix epoch, the smallest of 1, 2, 5, 10, 15,
30 minutes, 1, 2, 3, 6, 12 hours or whole days that gives at most MAX_POINTS (100, the default page
size) buckets, so the page the Scale web UI reads without a page_size holds the whole range: the last
24 hours in 15-minute points (97 at most), the last week in 2-hour points (85 at most). A point is
the mean, rounded, of the minute samples recorded in its bucket (so a bucket where the scheduler ran
for half the time is not halved), at the bucket's start time; buckets with no sample (no scheduler
running) have no point. With `job_type_id`, a point sums those job types (a minute where they had
no job counts as zero). Two aggregate queries at most, served by the constraints' indexes.
"""

import datetime
import math

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Count, Func, Sum
from django.utils import timezone

from job.choices import JobStatus
from job.models import Job, JobCount
from node.models import JobLoad
from scale.api.filters import DEFAULT_PAGE_SIZE
from scale.api.iso8601 import format_datetime

PENDING_STATUSES = (JobStatus.PENDING, JobStatus.BLOCKED)
COUNTED_STATUSES = (*PENDING_STATUSES, JobStatus.QUEUED, JobStatus.RUNNING)
MAX_POINTS = DEFAULT_PAGE_SIZE
BUCKET_MINUTES = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)
DAY_MINUTES = 1440


def active_job_counts():
    """{job type id: [pending, queued, running]} of the job types with any such job. One aggregate
    query: the job_count table on PostgreSQL (exact, job.services.counts), the job table elsewhere."""
    if connection.vendor == 'postgresql':
        rows = JobCount.objects.filter(status__in=COUNTED_STATUSES).values_list('job_type_id', 'status')
        rows = rows.annotate(number=Sum('count'))
    else:
        rows = Job.objects.filter(status__in=COUNTED_STATUSES).values_list('job_type_id', 'status')
        rows = rows.annotate(number=Count('id'))
    counts = {}
    for type_id, status, number in rows.order_by():
        if number:
            column = 0 if status in PENDING_STATUSES else 1 if status == JobStatus.QUEUED else 2
            counts.setdefault(type_id, [0, 0, 0])[column] += number
    return counts


def prune_load(now=None):
    """Deletes the load points older than SCALE_LOAD_RETENTION_DAYS (one DELETE by job_load_time_idx).
    Returns the number deleted."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.SCALE_LOAD_RETENTION_DAYS)
    return JobLoad.objects.filter(time__lt=cutoff).delete()[0]


def record_load(now=None):
    """Records the job load of the minute of `now` (see the module docstring) unless that minute, or a
    later one, is recorded already, then prunes old points. Returns whether it recorded."""
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    if JobLoad.objects.filter(job_type__isnull=True, time__gte=minute).exists():
        return False
    counts = active_job_counts()
    totals = [sum(numbers[column] for numbers in counts.values()) for column in range(3)]
    try:
        with transaction.atomic():
            JobLoad.objects.create(
                time=minute,
                job_type=None,
                pending_count=totals[0],
                queued_count=totals[1],
                running_count=totals[2],
            )
            JobLoad.objects.bulk_create(
                JobLoad(
                    time=minute,
                    job_type_id=type_id,
                    pending_count=pending,
                    queued_count=queued,
                    running_count=running,
                )
                for type_id, (pending, queued, running) in sorted(counts.items())
            )
    except IntegrityError:
        # Another scheduler recorded this minute between the check and the write.
        return False
    prune_load(now)
    return True


class _Bucket(Func):
    """The number of the `seconds`-long bucket (aligned on the Unix epoch) that a datetime falls in:
    floor(epoch seconds / seconds), computed exactly (integer seconds, no float rounding)."""

    output_field = BigIntegerField()

    def __init__(self, expression, seconds):
        super().__init__(expression)
        self.seconds = int(seconds)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f'FLOOR(EXTRACT(EPOCH FROM {sql}) / {self.seconds})::bigint', params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        # The strftime format is a parameter: a literal %s would read as a placeholder.
        return f'(CAST(strftime(%s, {sql}) AS INTEGER) / {self.seconds})', ['%s', *params]


def bucket_minutes(started, ended):
    """The bucket length in minutes for the range: the smallest of BUCKET_MINUTES (then whole days)
    that cuts it into at most MAX_POINTS aligned buckets."""
    span = max(0.0, (ended - started).total_seconds() / 60.0)
    for minutes in BUCKET_MINUTES:
        if math.floor(span / minutes) + 1 <= MAX_POINTS:
            return minutes
    return DAY_MINUTES * math.ceil(span / (MAX_POINTS - 1) / DAY_MINUTES)


def _sums_by_bucket(rows, seconds):
    rows = rows.annotate(bucket=_Bucket('time', seconds)).values('bucket').order_by('bucket')
    rows = rows.annotate(
        samples=Count('id'),
        pending=Sum('pending_count'),
        queued=Sum('queued_count'),
        running=Sum('running_count'),
    )
    return {row['bucket']: row for row in rows}


def load_points(started=None, ended=None, job_type_ids=(), now=None):
    """The load points of [started, ended] (None: the retention period before `ended`; now), of the
    job types `job_type_ids` summed (empty: all), ascending by time: [{time, pending_count,
    queued_count, running_count}] (see the module docstring for the buckets)."""
    now = now or timezone.now()
    ended = ended or now
    started = started or ended - datetime.timedelta(days=settings.SCALE_LOAD_RETENTION_DAYS)
    seconds = bucket_minutes(started, ended) * 60
    in_range = JobLoad.objects.filter(time__gte=started, time__lte=ended)
    totals = _sums_by_bucket(in_range.filter(job_type__isnull=True), seconds)
    sums = totals
    if job_type_ids:
        sums = _sums_by_bucket(in_range.filter(job_type_id__in=list(job_type_ids)), seconds)
    points = []
    for bucket, total in totals.items():
        summed = sums.get(bucket, {})
        samples = total['samples']
        points.append(
            {
                'time': format_datetime(datetime.datetime.fromtimestamp(bucket * seconds, datetime.UTC)),
                'pending_count': round((summed.get('pending') or 0) / samples),
                'queued_count': round((summed.get('queued') or 0) / samples),
                'running_count': round((summed.get('running') or 0) / samples),
            }
        )
    return points
