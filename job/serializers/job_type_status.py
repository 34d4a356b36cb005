"""Shapes of the job-type aggregate endpoints (shared/reference/scale-supporting-apis.md 1.12 and
scale-ui-client.md 3.3, 3.4, 4.1). Every `job_type` is the item of GET /v6/job-types/."""

from rest_framework import serializers

from job.choices import ErrorCategory, JobStatus
from job.serializers.job_types import JobTypeSerializer


class JobTypeStatusCountSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=JobStatus.choices)
    count = serializers.IntegerField()
    most_recent = serializers.DateTimeField(allow_null=True, help_text='The latest status change among them.')
    category = serializers.ChoiceField(
        choices=ErrorCategory.choices,
        allow_null=True,
        help_text='Error category of jobs with an error, else null.',
    )


class JobTypeStatusSerializer(serializers.Serializer):
    """An item of GET /v6/job-types/status/."""

    job_type = JobTypeSerializer()
    job_counts = JobTypeStatusCountSerializer(many=True)


class JobTypeRunningSerializer(serializers.Serializer):
    """An item of GET /v6/job-types/running/."""

    job_type = JobTypeSerializer()
    count = serializers.IntegerField()
    longest_running = serializers.DateTimeField(
        allow_null=True, help_text='When the longest running job started running.'
    )


class JobTypePendingSerializer(serializers.Serializer):
    """An item of GET /v6/job-types/pending/."""

    job_type = JobTypeSerializer()
    count = serializers.IntegerField()
    longest_pending = serializers.DateTimeField(
        allow_null=True, help_text='When the longest pending job became pending.'
    )


class QueueStatusSerializer(serializers.Serializer):
    """An item of GET /v6/queue/status/."""

    job_type = JobTypeSerializer()
    count = serializers.IntegerField()
    longest_queued = serializers.DateTimeField(
        allow_null=True, help_text='When the longest queued job was queued.'
    )
    highest_priority = serializers.IntegerField(help_text='The smallest priority number (runs first).')


class IngestStatusSerializer(serializers.Serializer):
    """An item of GET /v6/ingests/status/ (there are never any here)."""

    strike = serializers.DictField()
    values = serializers.ListField(child=serializers.DictField())
