"""Shapes of the metrics API (Scale's metrics serializers: scale-ui-client.md 5.3). The plot data
is built as plain dicts by job.services.metrics (a history page asks for every job type over 30
days: tens of thousands of values); these serializers render the small shapes and document all."""

from rest_framework import serializers

from job.serializers.job_types import JobTypeSerializer


class MetricsFilterSerializer(serializers.Serializer):
    param = serializers.CharField()
    type = serializers.CharField()


class MetricsGroupSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()


class MetricsColumnSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    units = serializers.CharField(help_text='count or seconds')
    group = serializers.CharField()
    aggregate = serializers.CharField(help_text='How several job types combine: sum, min, max or avg.')


class MetricsTypeSerializer(serializers.Serializer):
    """An item of GET /v6/metrics/."""

    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    filters = MetricsFilterSerializer(many=True)
    groups = MetricsGroupSerializer(many=True)
    columns = MetricsColumnSerializer(many=True)


class JobTypeMetricsSerializer(MetricsTypeSerializer):
    """GET /v6/metrics/job-types/: the metric type with every job type as a choice."""

    choices = JobTypeSerializer(many=True)


class PlotValueSerializer(serializers.Serializer):
    datetime = serializers.DateTimeField(help_text='The day, at 00:00Z.')
    value = serializers.FloatField()
    id = serializers.IntegerField(required=False, help_text='The job type, when choice_id was given.')


class PlotDataSerializer(serializers.Serializer):
    """An item of GET /v6/metrics/job-types/plot-data/: one column's series."""

    column = MetricsColumnSerializer()
    min_x = serializers.DateTimeField(allow_null=True)
    max_x = serializers.DateTimeField(allow_null=True)
    min_y = serializers.FloatField(allow_null=True)
    max_y = serializers.FloatField(allow_null=True)
    values = PlotValueSerializer(many=True)
