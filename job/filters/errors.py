"""FilterSet of the errors API."""

from django.db.models.functions import Lower

from job.choices import ErrorCategory
from job.models import Error
from scale.api.filters import (
    BooleanFilter,
    MultiValueCharFilter,
    MultiValueChoiceFilter,
    OrderingFilter,
    PagedFilterSet,
    TimeFilter,
)

ERROR_ORDER_FIELDS = {
    **{
        name: (name,)
        for name in (
            'id',
            'name',
            'job_type_name',
            'category',
            'is_builtin',
            'should_be_retried',
            'created',
            'last_modified',
        )
    },
    'title': (Lower('title'),),
}


class ErrorFilterSet(PagedFilterSet):
    """GET /v6/errors/. `started`/`ended` bound `last_modified`, inclusive; default order `name`."""

    started = TimeFilter(
        field_name='last_modified', lookup_expr='gte', help_text='Errors last modified at or after this time.'
    )
    ended = TimeFilter(
        field_name='last_modified',
        lookup_expr='lte',
        help_text='Errors last modified at or before this time.',
    )
    name = MultiValueCharFilter(field_name='name', help_text='Error name (exact).')
    # The errors a job type's Seed manifest declares (the Error row's job_type_name, as the Scale
    # web UI's mock server filters), not the errors its jobs failed with: the UI's "Error History
    # for <name>" page lists these with their created/last_modified dates.
    job_type_name = MultiValueCharFilter(
        field_name='job_type_name',
        help_text='Name of the job type whose manifest declares the error (exact); builtin errors have none.',
    )
    category = MultiValueChoiceFilter(choices=ErrorCategory.choices, help_text='Error category.')
    is_builtin = BooleanFilter(
        field_name='is_builtin', help_text='true: builtin errors only; false: errors of job types only.'
    )
    order = OrderingFilter(fields=ERROR_ORDER_FIELDS, default=('name',))

    time_ranges = (('started', 'ended'),)

    class Meta(PagedFilterSet.Meta):
        model = Error
