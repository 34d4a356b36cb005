"""Views of the workspaces and files APIs. Declarative: a queryset, a serializer, a FilterSet; writes
call one job.services.storage function."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response

from job.filters.storage import ScaleFileFilterSet, WorkspaceFilterSet
from job.models import ScaleFile, Workspace
from job.serializers.storage import (
    BodyErrorSerializer,
    FileRegisterSerializer,
    ScaleFileDetailSerializer,
    ScaleFileSerializer,
    WorkspaceCreateSerializer,
    WorkspaceDetailSerializer,
    WorkspaceEditSerializer,
    WorkspaceSerializer,
)
from job.services import storage

# The file shape reads the workspace, job type, recipe type and batch: joined, so a page costs one
# query whatever its size; large JSON columns a list never shows are not fetched.
FILE_RELATED = ('workspace', 'job_type', 'recipe_type', 'batch')
FILE_DEFERRED = (
    'workspace__json_config',
    'job_type__manifest',
    'job_type__configuration',
    'recipe_type__definition',
    'batch__definition',
    'batch__configuration',
)
FILES = ScaleFile.objects.select_related(*FILE_RELATED).defer(*FILE_DEFERRED)
BAD_BODY = OpenApiResponse(
    BodyErrorSerializer, description='A bad body: every invalid field named by its path.'
)


def created(request, path, body):
    """201 with `body` and the absolute Location of `path`."""
    return Response(
        body, status=status.HTTP_201_CREATED, headers={'Location': request.build_absolute_uri(path)}
    )


class WorkspaceList(ListAPIView):
    """Workspaces, filtered, ordered (default: name) and paged; POST creates one (staff)."""

    serializer_class = WorkspaceSerializer
    filterset_class = WorkspaceFilterSet
    queryset = Workspace.objects.defer('json_config')

    @extend_schema(
        request=WorkspaceCreateSerializer,
        responses={201: WorkspaceDetailSerializer, 400: BAD_BODY},
    )
    def post(self, request):
        """Create a workspace on a host broker: 201 with the detail and its Location."""
        workspace = storage.create_workspace(request.data)
        return created(request, f'/v6/workspaces/{workspace.id}/', WorkspaceDetailSerializer(workspace).data)


class WorkspaceDetail(RetrieveAPIView):
    """A workspace with its configuration; PATCH edits it (staff)."""

    serializer_class = WorkspaceDetailSerializer
    filter_backends = ()
    lookup_url_kwarg = 'workspace_id'
    queryset = Workspace.objects.all()

    @extend_schema(
        request=WorkspaceEditSerializer,
        responses={200: WorkspaceDetailSerializer, 400: BAD_BODY},
    )
    def patch(self, request, workspace_id):
        """Edit a workspace's title, description, base_url, is_active or configuration: 200 with the
        detail."""
        workspace = storage.edit_workspace(workspace_id, request.data)
        return Response(WorkspaceDetailSerializer(workspace).data)


class ScaleFileList(ListAPIView):
    """Files, filtered, ordered (default: last_modified) and paged; POST registers one (staff)."""

    serializer_class = ScaleFileSerializer
    filterset_class = ScaleFileFilterSet
    queryset = FILES.defer('meta_data')

    @extend_schema(
        request=FileRegisterSerializer,
        responses={201: ScaleFileDetailSerializer, 400: BAD_BODY},
    )
    def post(self, request):
        """Register a file that exists in a workspace as a SOURCE file: 201 with the detail and its
        Location; its id can go straight into a job's input."""
        scale_file = storage.register_file(request.data)
        scale_file = FILES.get(pk=scale_file.pk)
        return created(request, f'/v6/files/{scale_file.id}/', ScaleFileDetailSerializer(scale_file).data)


class ScaleFileDetail(RetrieveAPIView):
    """A file with its meta_data."""

    serializer_class = ScaleFileDetailSerializer
    filter_backends = ()
    lookup_url_kwarg = 'file_id'
    queryset = FILES
