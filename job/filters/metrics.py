"""FilterSet of /v6/metrics/job-types/plot-data/: the Scale web UI's queries as they are sent
(`page_size=null`, `group=null`, an empty `choice_id=`, `dataType=job-types`, which is ignored)."""

from job.filters.job_type_status import ParameterTimeFilter
from job.models import JobTypeDailyMetrics
from job.services.metrics import COLUMNS, GROUPS
from scale.api import fields
from scale.api.filters import MultiValueFilter, PagedFilterSet


class ParameterMultiValueFilter(MultiValueFilter):
    """A repeatable parameter validated and documented like any filter; the view hands its values
    to the service."""

    def filter(self, qs, value):
        return qs


class NullableMultiChoiceField(fields.multivalue_field_factory(fields.ChoiceField)):
    """Repeated values among `choices`; empty values and the literal `null` (the Scale web UI sends
    `group=null`) are dropped."""

    def to_python(self, value):
        if isinstance(value, str):
            value = [value]
        return super().to_python([item for item in value or () if str(item).strip().lower() != 'null'])


class MultiValueIdParameter(ParameterMultiValueFilter):
    field_class = fields.multivalue_field_factory(fields.IdField)
    schema = {'type': 'integer', 'format': 'int64', 'minimum': 0}


class MultiValueChoiceParameter(ParameterMultiValueFilter):
    field_class = NullableMultiChoiceField

    def openapi_schema(self):
        return {'type': 'string', 'enum': [value for value, _ in self.extra['choices']]}


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
