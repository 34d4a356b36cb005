"""Shapes of the errors API (shared/reference/scale-supporting-apis.md section 9)."""

from job.serializers.base import ErrorBaseSerializer


class ScaleErrorSerializer(ErrorBaseSerializer):
    """An error (GET /v6/errors/ items and GET /v6/errors/{id}/): the nested error shape plus its
    times."""

    class Meta(ErrorBaseSerializer.Meta):
        fields = [*ErrorBaseSerializer.Meta.fields, 'created', 'last_modified']
        read_only_fields = fields
