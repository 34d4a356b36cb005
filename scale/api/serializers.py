from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(
    {'type': 'object', 'properties': {'id': {'type': 'integer'}}, 'required': ['id'], 'nullable': True}
)
class IdObjectField(serializers.Field):
    """`{"id": n}` (or null) from a foreign key's `<name>_id` column, without loading the row.

    Give it the column as source, e.g. `IdObjectField(source='superseded_job_id')`.
    """

    def __init__(self, **kwargs):
        kwargs['read_only'] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return {'id': value}
