"""Shapes of the bulk operations API."""

from rest_framework import serializers

from job.models import BulkOperation
from scale.api.serializers import ModelSerializer


class BulkOperationSerializer(ModelSerializer):
    url = serializers.SerializerMethodField(help_text='Where to follow the operation.')
    created_by = serializers.SlugRelatedField(slug_field='username', read_only=True, allow_null=True)

    class Meta:
        model = BulkOperation
        fields = [
            'id',
            'url',
            'kind',
            'state',
            'filter',
            'priority',
            'matched',
            'processed',
            'changed',
            'skipped',
            'error',
            'created_by',
            'created',
            'started',
            'ended',
            'last_modified',
        ]
        read_only_fields = fields

    def get_url(self, operation) -> str:
        path = f'/v6/bulk-operations/{operation.id}/'
        request = self.context.get('request')
        return request.build_absolute_uri(path) if request else path


class BulkFilterSerializer(serializers.Serializer):
    """The body of POST /v6/jobs/cancel/ (documentation; job.services.bulk_filter checks it). Every
    field is optional but at least one filter is required; `url` is ignored."""

    started = serializers.CharField(
        required=False, help_text='last_modified at or after (ISO-8601 datetime or duration).'
    )
    ended = serializers.CharField(
        required=False, help_text='last_modified at or before (ISO-8601 datetime or duration).'
    )
    status = serializers.ListField(
        child=serializers.CharField(), required=False, help_text='A status or a list.'
    )
    job_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    job_type_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    job_types = serializers.ListField(
        child=serializers.DictField(), required=False, help_text='[{name, version}]'
    )
    job_type_names = serializers.ListField(child=serializers.CharField(), required=False)
    batch_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    recipe_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    error_categories = serializers.ListField(child=serializers.CharField(), required=False)
    error_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    is_superseded = serializers.BooleanField(required=False)


class BulkRequeueSerializer(BulkFilterSerializer):
    """The body of POST /v6/jobs/requeue/: the cancel filter, and a new `priority` (>= 1)."""

    priority = serializers.IntegerField(required=False, min_value=1)
