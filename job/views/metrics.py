"""Views of the metrics API: the metric types, the job-types metric with its choices, and its plot
data, read from the daily rows job.services.metrics keeps (never the job table)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView, RetrieveAPIView

from job.filters.metrics import PlotDataFilterSet
from job.models import JobTypeDailyMetrics
from job.serializers.metrics import JobTypeMetricsSerializer, MetricsTypeSerializer, PlotDataSerializer
from job.services import metrics as services
from job.services.job_type_status import JOB_TYPES
from scale.api.filters import apply_filterset


@extend_schema_view(get=extend_schema(summary='The metric types (job-types).'))
class MetricsTypeList(ListAPIView):
    serializer_class = MetricsTypeSerializer
    filter_backends = ()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(services.metrics_types())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(get=extend_schema(summary='The job-types metric: its columns, groups and job types.'))
class JobTypeMetrics(RetrieveAPIView):
    """The job-types metric type with every job type (by name, then version) as a choice."""

    serializer_class = JobTypeMetricsSerializer
    filter_backends = ()

    def get_object(self):
        return {**services.metrics_types()[0], 'choices': JOB_TYPES.order_by('name', 'version', 'id')}


@extend_schema_view(get=extend_schema(summary='Plot data of job type metrics: one series per column.'))
class JobTypePlotData(ListAPIView):
    """One series per column (the columns named, those of the groups named, or all), a value per
    UTC day (per job type with choice_id) over the days overlapping started..ended."""

    serializer_class = PlotDataSerializer
    filterset_class = PlotDataFilterSet
    queryset = JobTypeDailyMetrics.objects.none()

    def list(self, request, *args, **kwargs):
        _, params = apply_filterset(self.filterset_class, request, self.get_queryset())
        columns = services.selected_columns(params.get('column') or (), params.get('group') or ())
        series = services.plot_data(
            columns, params.get('started'), params.get('ended'), params.get('choice_id') or ()
        )
        # Built as plain dicts by the service: a serializer per value would cost seconds.
        return self.get_paginated_response(self.paginate_queryset(series))
