"""FilterSets of the job-type aggregate endpoints: /v6/job-types/status/, running/, pending/,
/v6/queue/status/ and /v6/ingests/status/."""

from job.models import Job, JobType
from scale.api.filters import BooleanFilter, PagedFilterSet, ParameterOnly, TimeFilter


class ParameterTimeFilter(ParameterOnly, TimeFilter):
    """A time parameter the view hands to a service (the counts it bounds are of jobs, the rows
    listed are job types)."""


class ParameterBooleanFilter(ParameterOnly, BooleanFilter):
    """A boolean parameter validated and documented, then ignored (accepted for the Scale web UI)."""


class JobTypeStatusFilterSet(PagedFilterSet):
    """GET /v6/job-types/status/: the job types (is_active, is_system) are the rows; `started` and
    `ended` bound the `last_modified` of the jobs counted (RUNNING jobs are always counted). With
    neither, the window is the last 3 hours, as in Scale."""

    is_active = BooleanFilter(
        field_name='is_active', help_text='Active (true) or deprecated (false) job types.'
    )
    is_system = BooleanFilter(field_name='is_system', help_text='System job types (true) or the others.')
    started = ParameterTimeFilter(
        help_text='Count jobs last modified at or after this time. Default (when neither started nor '
        'ended is given): 3 hours ago.'
    )
    ended = ParameterTimeFilter(help_text='Count jobs last modified at or before this time.')

    time_ranges = (('started', 'ended'),)

    class Meta(PagedFilterSet.Meta):
        model = JobType


class JobTypeAggregateFilterSet(PagedFilterSet):
    """GET /v6/job-types/running/, /v6/job-types/pending/ and /v6/queue/status/: page and
    page_size only."""

    class Meta(PagedFilterSet.Meta):
        model = Job


class IngestStatusFilterSet(PagedFilterSet):
    """GET /v6/ingests/status/: the parameters the Scale web UI's data feed sends, checked; there are
    no ingests here, so nothing is filtered."""

    started = ParameterTimeFilter(help_text='Start of the time range (accepted; there are no ingests).')
    ended = ParameterTimeFilter(help_text='End of the time range (accepted; there are no ingests).')
    use_ingest_time = ParameterBooleanFilter(help_text='Accepted for the Scale web UI; no effect.')

    time_ranges = (('started', 'ended'),)

    class Meta(PagedFilterSet.Meta):
        model = Job
