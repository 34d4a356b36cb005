"""GET /v6/nodes/, GET and PATCH /v6/nodes/{id}/; the scheduler and system endpoints the Scale web UI
polls: GET /v6/version/, GET and PATCH /v6/scheduler/, GET /v6/status/, GET /v6/load/."""

from importlib import metadata

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from node import services
from node.filters import NodeFilterSet
from node.load import load_points
from node.load_filters import JobLoadFilterSet
from node.models import JobLoad, Node, Scheduler
from node.serializers import (
    LoadPointSerializer,
    NodeEditSerializer,
    NodeSerializer,
    SchedulerEditSerializer,
    SchedulerSerializer,
    VersionSerializer,
)
from node.states import running_allocations
from node.status import SchedulerNotReporting, system_status
from scale.api.filters import apply_filterset
from scale.api.schema import ErrorSerializer

PACKAGE = 'scale-jobs'


class NodeList(ListAPIView):
    """Nodes with their state, resources (total and free) and running executions."""

    serializer_class = NodeSerializer
    filterset_class = NodeFilterSet
    queryset = Node.objects.all()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), 'now': timezone.now()}
        context['running'] = running_allocations([node.id for node in page])
        return self.get_paginated_response(self.serializer_class(page, many=True, context=context).data)


class NodeDetail(RetrieveAPIView):
    """A node; PATCH pauses, resumes, deprecates or reactivates it (staff)."""

    serializer_class = NodeSerializer
    filter_backends = ()
    queryset = Node.objects.all()
    lookup_url_kwarg = 'node_id'

    def _response(self, node):
        context = {
            **self.get_serializer_context(),
            'now': timezone.now(),
            'running': running_allocations([node.id]),
        }
        return Response(self.serializer_class(node, context=context).data)

    def retrieve(self, request, *args, **kwargs):
        return self._response(self.get_object())

    @extend_schema(request=NodeEditSerializer, responses=NodeSerializer)
    def patch(self, request, node_id):
        get_object_or_404(Node, pk=node_id)
        try:
            node = services.edit_node(node_id, request.data)
        except Node.DoesNotExist:
            raise NotFound() from None
        return self._response(node)


class VersionView(APIView):
    """The version of this service. No authentication (a bad token is not even looked at)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(responses=VersionSerializer, summary='The version of this service.')
    def get(self, request):
        try:
            version = metadata.version(PACKAGE)
        except metadata.PackageNotFoundError:
            version = 'unknown'
        return Response({'version': version})


class SchedulerView(APIView):
    """The scheduler settings; PATCH changes them (staff): pause or resume placement, the queue mode
    of equal priorities, the scheduler's log level, the intended number of task workers."""

    @extend_schema(responses=SchedulerSerializer, summary='The scheduler settings.')
    def get(self, request):
        return Response(SchedulerSerializer(Scheduler.load()).data)

    @extend_schema(request=SchedulerEditSerializer, responses=SchedulerSerializer, summary='Change them.')
    def patch(self, request):
        return Response(SchedulerSerializer(services.edit_scheduler(request.data)).data)


class StatusUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = 'Status is missing. Scheduler may be down.'
    default_code = 'status_unavailable'


class StatusView(APIView):
    """The system status in Scale's shape (node.status explains every part); 503 when the scheduler
    has not reported within SCALE_SCHEDULER_STALE_SECONDS."""

    @extend_schema(
        summary='Scheduler, nodes, cluster resources and job types, in the shape of Scale.',
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description='The status document (node.status).'),
            503: OpenApiResponse(ErrorSerializer, description='The scheduler has not reported recently.'),
        },
    )
    def get(self, request):
        try:
            return Response(system_status())
        except SchedulerNotReporting as exc:
            raise StatusUnavailable(str(exc)) from None


@extend_schema_view(get=extend_schema(summary='Job counts over time, recorded by the scheduler each minute.'))
class LoadView(ListAPIView):
    """Pending, queued and running job counts over time, ascending (node.load explains the buckets)."""

    serializer_class = LoadPointSerializer
    filterset_class = JobLoadFilterSet
    queryset = JobLoad.objects.none()

    def list(self, request, *args, **kwargs):
        _, params = apply_filterset(self.filterset_class, request, self.get_queryset())
        points = load_points(params.get('started'), params.get('ended'), params.get('job_type_id') or ())
        return self.get_paginated_response(self.paginate_queryset(points))
