"""FilterSet of the bulk operations API."""

from job.choices import BulkOperationKind, BulkOperationState
from job.models import BulkOperation
from scale.api.filters import MultiValueChoiceFilter, OrderingFilter, PagedFilterSet, TimeFilter


class BulkOperationFilterSet(PagedFilterSet):
    """GET /v6/bulk-operations/ (newest first). `started`/`ended` bound `created`, inclusive."""

    state = MultiValueChoiceFilter(choices=BulkOperationState.choices, help_text='Operation state.')
    kind = MultiValueChoiceFilter(choices=BulkOperationKind.choices, help_text='CANCEL or REQUEUE.')
    started = TimeFilter(field_name='created', lookup_expr='gte', help_text='Created at or after this time.')
    ended = TimeFilter(field_name='created', lookup_expr='lte', help_text='Created at or before this time.')
    order = OrderingFilter(
        fields={
            name: (name,) for name in ('id', 'created', 'started', 'ended', 'last_modified', 'state', 'kind')
        },
        default=('-created',),
    )

    time_ranges = (('started', 'ended'),)

    class Meta(PagedFilterSet.Meta):
        model = BulkOperation
