"""Views of the job-type aggregate endpoints the Scale web UI's dashboard, Running Jobs and Queued
Jobs pages read. Declarative: the rows come from job.services.job_type_status, paged; every
request runs a constant number of queries."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView

from job.filters.job_type_status import (
    IngestStatusFilterSet,
    JobTypeAggregateFilterSet,
    JobTypeStatusFilterSet,
)
from job.models import Job
from job.serializers.job_type_status import (
    IngestStatusSerializer,
    JobTypePendingSerializer,
    JobTypeRunningSerializer,
    JobTypeStatusSerializer,
    QueueStatusSerializer,
)
from job.services import job_type_status as services
from scale.api.filters import apply_filterset


@extend_schema_view(
    get=extend_schema(summary='Job types with their job counts by status and error category.')
)
class JobTypeStatusList(ListAPIView):
    """Every job type (filtered by is_active, is_system; by name, then version) with the counts of
    its jobs modified within started..ended (default: the last 3 hours), RUNNING jobs always."""

    serializer_class = JobTypeStatusSerializer
    filterset_class = JobTypeStatusFilterSet
    queryset = services.JOB_TYPES.order_by('name', 'version', 'id')

    def list(self, request, *args, **kwargs):
        job_types, params = apply_filterset(self.filterset_class, request, self.get_queryset())
        page = self.paginate_queryset(job_types)
        rows = services.job_type_status(page, params.get('started'), params.get('ended'))
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


class GroupedJobTypeList(ListAPIView):
    """A page of the rows of `rows`, a service function grouping jobs by job type (two queries)."""

    filterset_class = JobTypeAggregateFilterSet
    queryset = Job.objects.none()
    rows = None

    def list(self, request, *args, **kwargs):
        self.filter_queryset(self.get_queryset())  # a bad page or page_size is a 400 before any query
        page = self.paginate_queryset(type(self).rows())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(get=extend_schema(summary='Job types with RUNNING jobs: count and longest running.'))
class RunningJobTypeList(GroupedJobTypeList):
    """Job types with RUNNING jobs, the longest running first."""

    serializer_class = JobTypeRunningSerializer
    rows = staticmethod(services.running_job_types)


@extend_schema_view(get=extend_schema(summary='Job types with PENDING jobs: count and longest pending.'))
class PendingJobTypeList(GroupedJobTypeList):
    """Job types with PENDING jobs, the longest pending first."""

    serializer_class = JobTypePendingSerializer
    rows = staticmethod(services.pending_job_types)


@extend_schema_view(
    get=extend_schema(summary='The queue by job type: count, longest queued, highest priority.')
)
class QueueStatusList(GroupedJobTypeList):
    """Job types with QUEUED jobs: not paused first, then by highest priority, then longest queued."""

    serializer_class = QueueStatusSerializer
    rows = staticmethod(services.queued_job_types)


@extend_schema_view(get=extend_schema(summary='Ingest status: always an empty page (no ingests here).'))
class IngestStatusList(ListAPIView):
    """An empty page, so the Scale web UI's dashboard data feed gets a valid answer."""

    serializer_class = IngestStatusSerializer
    filterset_class = IngestStatusFilterSet
    queryset = Job.objects.none()
