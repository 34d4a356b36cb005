from node.models import Node
from scale.api.filters import BooleanFilter, MultiValueCharFilter, OrderingFilter, PagedFilterSet, TimeFilter


class NodeFilterSet(PagedFilterSet):
    """GET /v6/nodes/. `started`/`ended` bound `last_modified` (as in Scale)."""

    started = TimeFilter(field_name='last_modified', lookup_expr='gte', help_text='Modified at or after.')
    ended = TimeFilter(field_name='last_modified', lookup_expr='lte', help_text='Modified at or before.')
    hostname = MultiValueCharFilter(help_text='Host name (exact).')
    is_active = BooleanFilter(help_text='Active nodes (true) or deprecated ones (false).')
    is_paused = BooleanFilter(help_text='Paused nodes (true) or not (false).')
    order = OrderingFilter(
        fields={name: (name,) for name in ('id', 'hostname', 'created', 'last_modified', 'last_heartbeat')},
        default=('hostname',),
    )

    time_ranges = (('started', 'ended'),)

    class Meta(PagedFilterSet.Meta):
        model = Node
