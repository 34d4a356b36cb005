"""Job type metrics: the daily aggregates behind /v6/metrics/job-types/ and its plot data.

compute_job_type_metrics() recomputes whole UTC days of JobTypeDailyMetrics from the job table (one
aggregate query for the whole range, then one small write per day); call it periodically for the
recent days (today and yesterday: the default) and once over the past for a backfill (manage.py
compute_metrics). Plot requests read only the daily rows, never the job table.
"""

import datetime
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, FilteredRelation, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from job.choices import JOB_FINAL_STATUSES, ErrorCategory, JobStatus
from job.models import Job, JobTypeDailyMetrics
from scale.api.iso8601 import format_datetime

UTC = datetime.UTC
ONE_DAY = datetime.timedelta(days=1)
RECENT_DAYS = 2
# The periodic update catches up at most this far back after a pause; older days need a backfill.
CATCH_UP_DAYS = 31


@dataclass(frozen=True)
class Column:
    """A plot column: a field of JobTypeDailyMetrics and how rows of several job types combine
    (`aggregate`: sum, min, max, or avg weighted by the jobs measured)."""

    name: str
    title: str
    description: str
    units: str
    group: str
    aggregate: str


@dataclass(frozen=True)
class Group:
    name: str
    title: str
    description: str


GROUPS = (
    Group('overview', 'Overview', 'Overall counts based on job status.'),
    Group('errors', 'Errors', 'Overall error counts based on category.'),
    Group('queue_time', 'Queue Time', 'When jobs were in the queue.'),
    Group('stage_time', 'Stage Time', 'Between a job being placed on a node and its process starting.'),
    Group('job_time', 'Job Task Time', 'When jobs were running their own process.'),
    Group('run_time', 'Run Time', 'From being placed on a node to the end.'),
)

_SPANS = {
    'queue_time': ('Queue Time', 'time the job waited in the queue'),
    'stage_time': ('Stage Time', 'time between placement on a node and the process starting'),
    'job_time': ('Job Task Time', "time the job's process ran"),
    'run_time': ('Run Time', 'time from placement on a node to the end'),
}
_SPAN_AGGREGATES = (('sum', 'Sum', 'Total'), ('min', 'Min', 'Minimum'), ('max', 'Max', 'Maximum'))

COLUMNS = (
    Column(
        'completed_count',
        'Completed Count',
        'Number of successfully completed jobs.',
        'count',
        'overview',
        'sum',
    ),
    Column('failed_count', 'Failed Count', 'Number of failed jobs.', 'count', 'overview', 'sum'),
    Column('canceled_count', 'Canceled Count', 'Number of canceled jobs.', 'count', 'overview', 'sum'),
    Column(
        'total_count',
        'Total Count',
        'Number of completed, failed, and canceled jobs.',
        'count',
        'overview',
        'sum',
    ),
    Column(
        'error_system_count',
        'System Error Count',
        'Number of jobs with a system error.',
        'count',
        'errors',
        'sum',
    ),
    Column(
        'error_data_count', 'Data Error Count', 'Number of jobs with a data error.', 'count', 'errors', 'sum'
    ),
    Column(
        'error_algorithm_count',
        'Algorithm Error Count',
        'Number of jobs with an algorithm error.',
        'count',
        'errors',
        'sum',
    ),
    *(
        Column(
            f'{span}_{aggregate}',
            f'{title} ({label})',
            f'{adjective} {text} of the completed jobs, in seconds.',
            'seconds',
            span,
            aggregate,
        )
        for span, (title, text) in _SPANS.items()
        for aggregate, label, adjective in (*_SPAN_AGGREGATES, ('avg', 'Avg', 'Average'))
    ),
)
FILTERS = (
    {'param': 'choice_id', 'type': 'integer'},
    {'param': 'started', 'type': 'datetime'},
    {'param': 'ended', 'type': 'datetime'},
)
METRICS_TYPE = {
    'name': 'job-types',
    'title': 'Job Types',
    'description': 'Metrics for jobs and executions grouped by job type.',
}


def metrics_types():
    """The metric types this service keeps (Scale's `{name, title, description, filters, groups,
    columns}`): only `job-types`."""
    return [
        {
            **METRICS_TYPE,
            'filters': list(FILTERS),
            'groups': [asdict(group) for group in GROUPS],
            'columns': [asdict(column) for column in COLUMNS],
        }
    ]


def selected_columns(column_names=(), group_names=()):
    """The columns named, plus every column of the groups named, in their declared order; every
    column when none is named (Scale's rule). Names must be known (the FilterSet checks them)."""
    wanted = set(column_names) | {column.name for column in COLUMNS if column.group in set(group_names)}
    return [column for column in COLUMNS if column.name in wanted] if wanted else list(COLUMNS)


# --- Computing the daily rows -----------------------------------------------------------------------


def _seconds(start, end):
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _span_aggregates(span, start, end):
    completed = Q(status=JobStatus.COMPLETED, **{f'{start}__isnull': False, f'{end}__isnull': False})
    duration = _seconds(start, end)
    return {
        f'{span}_sum': Sum(duration, filter=completed),
        f'{span}_min': Min(duration, filter=completed),
        f'{span}_max': Max(duration, filter=completed),
        f'{span}_count': Count('id', filter=completed),
    }


_COUNT_AGGREGATES = {
    'completed_count': Count('id', filter=Q(status=JobStatus.COMPLETED)),
    'failed_count': Count('id', filter=Q(status=JobStatus.FAILED)),
    'canceled_count': Count('id', filter=Q(status=JobStatus.CANCELED)),
    'total_count': Count('id'),
    'error_system_count': Count('id', filter=Q(error__category=ErrorCategory.SYSTEM)),
    'error_data_count': Count('id', filter=Q(error__category=ErrorCategory.DATA)),
    'error_algorithm_count': Count('id', filter=Q(error__category=ErrorCategory.ALGORITHM)),
}


def _ended_jobs_by_day(first_day, last_day):
    """One row per (job type, UTC day of `ended`) of the final jobs that ended within the days:
    counts and the spans' sum/min/max/count (timedeltas). One query.

    A job's `last_modified` is stamped by every write and so is never before its `ended`: bounding
    it too lets PostgreSQL read the recent days from the last_modified index rather than scan every
    job (there is no index on `ended`, and one would slow every job write)."""
    start = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=UTC)
    end = datetime.datetime.combine(last_day + ONE_DAY, datetime.time.min, tzinfo=UTC)
    return (
        Job.objects.filter(
            status__in=JOB_FINAL_STATUSES, ended__gte=start, ended__lt=end, last_modified__gte=start
        )
        .annotate(
            day=TruncDate('ended', tzinfo=UTC),
            # The job's latest execution: when its process was launched.
            latest=FilteredRelation('executions', condition=Q(executions__exe_num=F('num_exes'))),
        )
        .values('job_type_id', 'day')
        .annotate(
            **_COUNT_AGGREGATES,
            **_span_aggregates('queue_time', 'queued', 'started'),
            **_span_aggregates('stage_time', 'started', 'latest__launched'),
            **_span_aggregates('job_time', 'latest__launched', 'ended'),
            **_span_aggregates('run_time', 'started', 'ended'),
        )
        .order_by('day', 'job_type_id')
    )


def _metrics_row(row, computed):
    values = {name: row[name] for name in _COUNT_AGGREGATES}
    for span in _SPANS:
        count = row[f'{span}_count']
        total, low, high = (row[f'{span}_{aggregate}'] for aggregate in ('sum', 'min', 'max'))
        values[f'{span}_count'] = count
        values[f'{span}_sum'] = total.total_seconds() if total is not None else None
        values[f'{span}_min'] = low.total_seconds() if low is not None else None
        values[f'{span}_max'] = high.total_seconds() if high is not None else None
        values[f'{span}_avg'] = total.total_seconds() / count if total is not None and count else None
    return JobTypeDailyMetrics(job_type_id=row['job_type_id'], date=row['day'], computed=computed, **values)


_UPDATED_FIELDS = [
    field.name
    for field in JobTypeDailyMetrics._meta.concrete_fields
    if field.name not in ('id', 'job_type', 'date')
]


def _write_day(day, rows):
    """Replaces the rows of `day` with `rows` (sorted by job type): upserted, so that two
    recomputations at once both succeed (the later wins), and rows of job types that no longer
    have jobs ending that day deleted."""
    with transaction.atomic():
        JobTypeDailyMetrics.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=['job_type', 'date'],
            update_fields=_UPDATED_FIELDS,
        )
        JobTypeDailyMetrics.objects.filter(date=day).exclude(
            job_type_id__in=[row.job_type_id for row in rows]
        ).delete()


def recent_days(last_day):
    """How many days the periodic update recomputes: today and yesterday, or back to the latest day
    that has rows when that is older (the update did not run for a while), at most CATCH_UP_DAYS."""
    latest = JobTypeDailyMetrics.objects.aggregate(latest=Max('date'))['latest']
    behind = (last_day - latest).days + 1 if latest is not None and latest < last_day else 0
    return min(max(behind, RECENT_DAYS), CATCH_UP_DAYS)


def compute_job_type_metrics(days=None, last_day=None, now=None, progress=None):
    """Recomputes JobTypeDailyMetrics for the `days` UTC days ending with `last_day` (default:
    today). By default (days None), today and yesterday, what changes as jobs end, or back to the
    latest day with rows after a pause (recent_days). Each day's rows become exactly what its jobs
    come to now. One aggregate query over the job table for the whole range, then one transaction
    per day; safe to run concurrently with itself. `progress(day)` is called after each day is
    written. Returns the number of rows written.

    Run it periodically (every few minutes: a query over the jobs modified since yesterday, a
    fraction of a second at a million jobs) and once over the past after loading jobs
    (manage.py compute_metrics --all)."""
    last_day = last_day or (now or timezone.now()).astimezone(UTC).date()
    if days is None:
        days = recent_days(last_day)
    day_list = [last_day - ONE_DAY * offset for offset in range(days - 1, -1, -1)]
    if not day_list:
        return 0
    computed = now or timezone.now()
    by_day = {day: [] for day in day_list}
    for row in _ended_jobs_by_day(day_list[0], day_list[-1]).iterator():
        by_day[row['day']].append(_metrics_row(row, computed))
    written = 0
    for day, rows in by_day.items():
        _write_day(day, rows)
        written += len(rows)
        if progress is not None:
            progress(day)
    return written


def first_metrics_day():
    """The UTC day the earliest final job ended (None without any): where a full backfill starts."""
    first = Job.objects.filter(status__in=JOB_FINAL_STATUSES).aggregate(first=Min('ended'))['first']
    return first.astimezone(UTC).date() if first else None


# --- Plot data ----------------------------------------------------------------------------------------


def _day_range(started, ended):
    """The first and last UTC day whose [00:00, 24:00) overlaps [started, ended] (None: open)."""
    first = started.astimezone(UTC).date() if started else None
    last = None
    if ended is not None:
        ended = ended.astimezone(UTC)
        # A range ending exactly at midnight does not reach into the day that starts then.
        last = ended.date() - ONE_DAY if ended.time() == datetime.time.min else ended.date()
    return first, last


def _number(value):
    return round(value, 3) if isinstance(value, float) else value


def _day_rows(columns, first, last, choice_ids):
    rows = JobTypeDailyMetrics.objects.all()
    if first is not None:
        rows = rows.filter(date__gte=first)
    if last is not None:
        rows = rows.filter(date__lte=last)
    if choice_ids:
        names = [column.name for column in columns]
        return (
            rows.filter(job_type_id__in=choice_ids)
            .order_by('date', 'job_type_id')
            .values('date', 'job_type_id', *names)
        )
    return _combined_day_rows(columns, rows)


def _combined_day_rows(columns, rows):
    """Every job type together: each day's rows combined by each column's aggregate, in SQL (an
    average is the sum of the sums over the sum of the jobs measured)."""
    aggregates = {}
    for column in columns:
        if column.aggregate == 'avg':
            span = column.group
            aggregates[f'{span}_sum'] = Sum(f'{span}_sum')
            aggregates[f'{span}_count'] = Sum(f'{span}_count')
        else:
            function = {'sum': Sum, 'min': Min, 'max': Max}[column.aggregate]
            aggregates[column.name] = function(column.name)
    combined = rows.order_by('date').values('date').annotate(**aggregates)
    for row in combined:
        for column in columns:
            if column.aggregate == 'avg':
                total, count = row[f'{column.group}_sum'], row[f'{column.group}_count']
                row[column.name] = total / count if total is not None and count else None
        yield row


def plot_data(columns, started=None, ended=None, choice_ids=()):
    """Scale's plot data for `columns` (selected_columns) over the days that overlap [started,
    ended]: one `{column, min_x, max_x, min_y, max_y, values}` per column, `values` a list of
    `{datetime, value}` (the day at 00:00Z), one per day with a value. With `choice_ids` (job type
    ids) each value is one job type's (`id`) on one day; without, every job type's combined. Days
    and job types without a value (no job ended; no completed job for a time) are left out. One
    query over the daily rows."""
    first, last = _day_range(started, ended)
    if first is not None and last is not None and first > last:
        rows = []
    else:
        rows = _day_rows(columns, first, last, list(dict.fromkeys(choice_ids)))
    series = {column.name: [] for column in columns}
    for row in rows:
        moment = format_datetime(datetime.datetime.combine(row['date'], datetime.time.min, tzinfo=UTC))
        for column in columns:
            value = row[column.name]
            if value is None:
                continue
            point = {'datetime': moment, 'value': _number(value)}
            if choice_ids:
                point['id'] = row['job_type_id']
            series[column.name].append(point)
    results = []
    for column in columns:
        values = series[column.name]
        numbers = [point['value'] for point in values]
        results.append(
            {
                'column': asdict(column),
                'min_x': values[0]['datetime'] if values else None,
                'max_x': values[-1]['datetime'] if values else None,
                'min_y': min(numbers) if numbers else None,
                'max_y': max(numbers) if numbers else None,
                'values': values,
            }
        )
    return results
