"""FilterSet of /v6/metrics/job-types/plot-data/: the Scale web UI's queries as they are sent
(`page_size=null`, `group=null`, an empty `choice_id=`, `dataType=job-types`, which is ignored)."""

from job.filters.job_type_status import ParameterTimeFilter
from job.models import JobTypeDailyMetrics
from job.services.metrics import COLUMNS, GROUPS
from scale.api import fields
from scale.api.filters import MultiValueChoiceFilter, MultiValueIdFilter, PagedFilterSet, ParameterOnly


class NullableMultiChoiceField(fields.multivalue_field_factory(fields.ChoiceField)):
    """Repeated values among `choices`; empty values and the literal `null` (the Scale web UI sends
    `group=null`) are dropped."""

    def to_python(self, value):
        if isinstance(value, str):
            value = [value]
        return super().to_python([item for item in value or () if str(item).strip().lower() != 'null'])


class MultiValueIdParameter(ParameterOnly, MultiValueIdFilter):
    """Repeated ids the view hands to the service."""


class MultiValueChoiceParameter(ParameterOnly, MultiValueChoiceFilter):
    """Repeated choices (`null` dropped) the view hands to the service."""

    field_class = NullableMultiChoiceField


class PlotDataFilterSet(PagedFilterSet):
    """GET /v6/metrics/job-types/plot-data/. The rows are the plot's columns (paged as Scale did)."""

    started = ParameterTimeFilter(help_text='Plot the days that end after this time.')
    ended = ParameterTimeFilter(help_text='Plot the days that start before this time.')
    choice_id = MultiValueIdParameter(
        help_text='Job type id: one series of values per job type (each value with its `id`). '
        'Without any, the values combine every job type.'
    )
    column = MultiValueChoiceParameter(
        choices=[(column.name, column.name) for column in COLUMNS], help_text='A column to plot.'
    )
    group = MultiValueChoiceParameter(
        choices=[(group.name, group.name) for group in GROUPS],
        help_text='Plot every column of this group. "null" is ignored. Without column or group: every '
        'column.',
    )

    time_ranges = (('started', 'ended'),)

    class Meta(PagedFilterSet.Meta):
        model = JobTypeDailyMetrics
