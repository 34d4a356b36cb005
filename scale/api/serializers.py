import copy

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


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, but the fields it builds from the model are built once per class and
    copied for each instance. Building them (model introspection, a field per column, for every
    nested serializer) was half the time of a job detail; copying is what DRF already does with the
    declared fields. Only for serializers whose fields do not depend on the instance or context."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get('_built_fields')
        if built is None:
            built = super().get_fields()
            cls._built_fields = built
        return copy.deepcopy(built)
