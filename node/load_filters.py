"""The query parameters of GET /v6/load/ (node.load reads the points). Apart from node/filters.py
(the nodes list's) so that each endpoint's parameters live with one owner."""

from node.models import JobLoad
from scale.api.filters import MultiValueIdFilter, PagedFilterSet, TimeFilter


class JobLoadFilterSet(PagedFilterSet):
    """`started`/`ended` bound the points' time (inclusive; missing: the retention period up to now);
    `job_type_id` sums those job types (repeatable; an empty value is ignored, none means all)."""

    started = TimeFilter(
        field_name='time', lookup_expr='gte', help_text='Points at or after (default: the oldest kept).'
    )
    ended = TimeFilter(field_name='time', lookup_expr='lte', help_text='Points at or before (default: now).')
    job_type_id = MultiValueIdFilter(field_name='job_type_id', help_text='Only these job types, summed.')

    time_ranges = (('started', 'ended'),)

    class Meta(PagedFilterSet.Meta):
        model = JobLoad
