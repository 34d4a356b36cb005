"""Views of the v6 jobs API. Declarative: a queryset loading every related row the serializer
reads, a serializer and a FilterSet; the log view streams from job.logs."""

from django.db.models import F, Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from batch.models import Batch
from job import logs
from job.filters.jobs import (
    AllJobExecutionFilterSet,
    JobExecutionFilterSet,
    JobFilterSet,
    JobInputFileFilterSet,
    LogFilterSet,
)
from job.models import Job, JobExecution, JobExecutionLog, JobInputFile, ScaleFile
from job.serializers.job_rows import job_list_items
from job.serializers.jobs import (
    JobDetailSerializer,
    JobExecutionDetailSerializer,
    JobExecutionSerializer,
    JobSerializer,
    QueueJobSerializer,
)
from job.serializers.storage import ScaleFileSerializer
from job.services import queue
from job.services.counts import counted_jobs
from node.models import Node
from scale import idempotency
from scale.api.filters import apply_filterset
from scale.api.schema import ErrorSerializer, ParameterErrorSerializer, filterset_openapi_parameters

INPUT_FILE_NAMES = Prefetch(
    'input_file_links',
    queryset=JobInputFile.objects.select_related('input_file')
    .only('id', 'job_id', 'job_input', 'input_file__id', 'input_file__file_name')
    .order_by('id'),
)
EXECUTION_RELATED = ('node', 'error', 'job_type')
EXECUTION_LIST_DEFERRED = (
    'resources',
    'configuration',
    'output',
    'task_results',
    'job_type__manifest',
    'job_type__configuration',
    'node__resources',
)
# Small lookup tables (tens to hundreds of rows) are fetched by id, one query each, rather than
# joined: every join multiplies PostgreSQL's planning time (with nine joins, 50 ms to plan a query
# that runs in 3 ms at a million jobs); the detail joins five (under 1 ms to plan), its job type and
# revision among them. Large JSON columns a job detail never shows are not fetched.
BATCHES = Prefetch('batch', Batch.objects.defer('definition', 'configuration'))
NODES = Prefetch('node', Node.objects.defer('resources'))
JOB_JSON_COLUMNS = ('input', 'output', 'configuration', 'resources')
SUPERSEDING_JOB = Job.objects.select_related('job_type').defer(
    *JOB_JSON_COLUMNS, 'job_type__manifest', 'job_type__configuration'
)


JOB_DETAIL = Job.objects.select_related(
    'event', 'recipe__recipe_type', 'job_type', 'job_type_rev'
).prefetch_related(
    BATCHES,
    NODES,
    'error',
    Prefetch('superseded_job', SUPERSEDING_JOB),
    Prefetch('superseded_by_job', SUPERSEDING_JOB),
    INPUT_FILE_NAMES,
    Prefetch(
        'executions',
        queryset=JobExecution.objects.filter(exe_num=F('job__num_exes')).select_related(*EXECUTION_RELATED),
        to_attr='latest_executions',
    ),
)


def with_latest_execution(job):
    job.latest_execution = job.latest_executions[0] if job.latest_executions else None
    # A revision belongs to the job's own job type: no need to join it twice.
    job.job_type_rev.job_type = job.job_type
    return job


class JobList(ListAPIView):
    """Jobs, filtered, ordered and paged (`started`/`ended` bound `last_modified`); POST queues a job.

    The filtered, ordered query selects only the ids of the page (an index-only scan where an index
    serves the order, however deep the page); job_list_items then loads and renders those jobs.
    The count comes from job_count when the filters allow (job.services.counts), else COUNT(*)."""

    serializer_class = JobSerializer
    filterset_class = JobFilterSet
    queryset = Job.objects.all()

    def list(self, request, *args, **kwargs):
        queryset, cleaned = apply_filterset(self.filterset_class, request, self.get_queryset())
        ids = self.paginator.paginate_queryset(
            queryset.values_list('id', flat=True), request, view=self, count=counted_jobs(cleaned)
        )
        return self.get_paginated_response(job_list_items(ids))

    @extend_schema(
        request=QueueJobSerializer,
        responses={201: JobDetailSerializer, 409: ErrorSerializer},
        parameters=[
            OpenApiParameter(
                idempotency.HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description='Repeating a request with the same key (and body) returns the first job and '
                'creates nothing; the same key with another body is 409.',
            )
        ],
    )
    def post(self, request):
        """Queue a new job of `job_type_id` on `input` (v6 data JSON), with an optional configuration
        override: 201 with the job detail and its Location."""
        try:
            job_id, job = queue.queue_job_request(
                request.user, request.data, idempotency.request_key(request)
            )
        except queue.UnknownJobType as exc:
            raise NotFound(f'Job type {exc.args[0]} does not exist.') from None
        headers = {'Location': request.build_absolute_uri(f'/v6/jobs/{job_id}/')}
        if job is None:
            job = with_latest_execution(JOB_DETAIL.get(pk=job_id))
            headers['Idempotent-Replayed'] = 'true'
        body = JobDetailSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class JobDetail(RetrieveAPIView):
    """One job with its latest execution (`execution`: exe_num == num_exes, or null before it exists)."""

    serializer_class = JobDetailSerializer
    filter_backends = ()
    lookup_url_kwarg = 'job_id'
    queryset = JOB_DETAIL

    def get_object(self):
        return with_latest_execution(super().get_object())


class JobInputFileList(ListAPIView):
    """The files a job takes as input. 404 for an unknown job."""

    serializer_class = ScaleFileSerializer
    filterset_class = JobInputFileFilterSet

    def get_queryset(self):
        if getattr(self, 'swagger_fake_view', False):
            return ScaleFile.objects.none()
        job = get_object_or_404(Job.objects.only('id'), pk=self.kwargs['job_id'])
        return (
            ScaleFile.objects.filter(
                id__in=JobInputFile.objects.filter(job_id=job.id).values('input_file_id')
            )
            .select_related('workspace', 'job_type', 'recipe_type', 'batch')
            .defer(
                'meta_data',
                'workspace__json_config',
                'job_type__manifest',
                'job_type__configuration',
                'recipe_type__definition',
                'batch__definition',
                'batch__configuration',
            )
        )


class JobExecutionList(ListAPIView):
    """A job's executions, newest first. 404 for an unknown job."""

    serializer_class = JobExecutionSerializer
    filterset_class = JobExecutionFilterSet

    def get_queryset(self):
        if getattr(self, 'swagger_fake_view', False):
            return JobExecution.objects.none()
        job = get_object_or_404(Job.objects.only('id'), pk=self.kwargs['job_id'])
        return (
            JobExecution.objects.filter(job_id=job.id)
            .select_related(*EXECUTION_RELATED)
            .defer(*EXECUTION_LIST_DEFERRED)
        )


class JobExecutionDetail(RetrieveAPIView):
    """A job's execution by its number (exe_num, from 1)."""

    serializer_class = JobExecutionDetailSerializer
    filter_backends = ()

    def get_object(self):
        return get_object_or_404(
            JobExecution.objects.select_related(*EXECUTION_RELATED),
            job_id=self.kwargs['job_id'],
            exe_num=self.kwargs['exe_num'],
        )


class AllJobExecutionList(ListAPIView):
    """Executions of every job, newest first."""

    serializer_class = JobExecutionSerializer
    filterset_class = AllJobExecutionFilterSet
    queryset = JobExecution.objects.select_related(*EXECUTION_RELATED).defer(*EXECUTION_LIST_DEFERRED)


class AllJobExecutionDetail(RetrieveAPIView):
    """An execution by its id."""

    serializer_class = JobExecutionDetailSerializer
    filter_backends = ()
    lookup_url_kwarg = 'exe_id'
    queryset = JobExecution.objects.select_related(*EXECUTION_RELATED)


class JobExecutionLogView(APIView):
    """An execution's stdout, stderr or both (`combined`), in `scale_order_num` order.

    Formats (`?format=` or Accept): json (default; the envelope the Scale web UI parses), jsonl (one
    line object per line), txt (the messages), html (escaped). Every format streams, so memory stays
    bounded whatever the log size. 204 with an empty body while nothing matches.
    """

    renderer_classes = logs.RENDERERS
    filter_backends = ()

    @extend_schema(
        parameters=[
            OpenApiParameter('log_id', OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(logs.STREAMS)),
            *filterset_openapi_parameters(LogFilterSet),
        ],
        responses={
            (200, 'application/json'): OpenApiResponse(OpenApiTypes.OBJECT, description='Log envelope.'),
            (200, 'application/x-ndjson'): OpenApiResponse(
                OpenApiTypes.STR, description='One line object a line.'
            ),
            (200, 'text/plain'): OpenApiResponse(OpenApiTypes.STR, description='The messages.'),
            (200, 'text/html'): OpenApiResponse(OpenApiTypes.STR, description='The messages, escaped.'),
            204: OpenApiResponse(description='No line matches (yet).'),
            400: OpenApiResponse(ParameterErrorSerializer, description='A bad started, after or limit.'),
        },
    )
    def get(self, request, exe_id, log_id):
        execution = get_object_or_404(JobExecution.objects.select_related('node'), pk=exe_id)
        lines, parameters = apply_filterset(
            LogFilterSet,
            request,
            JobExecutionLog.objects.filter(job_exe_id=execution.id, stream__in=logs.STREAMS[log_id]),
        )
        limit = parameters.get('limit') or LogFilterSet.base_filters['limit'].default
        return logs.log_response(request.accepted_renderer.format, execution, lines, limit)
