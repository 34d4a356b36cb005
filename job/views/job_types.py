"""Views of the v6 job types API. Declarative: querysets, serializers and FilterSets; writes call one
service function of job.services.job_types."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from job.filters.job_types import (
    JobTypeFilterSet,
    JobTypeNameFilterSet,
    JobTypeRevisionFilterSet,
    JobTypeVersionFilterSet,
)
from job.models import JobType, JobTypeRevision
from job.serializers.job_types import (
    JobTypeCreateSerializer,
    JobTypeDetailSerializer,
    JobTypeEditSerializer,
    JobTypeNameSerializer,
    JobTypeRevisionItemSerializer,
    JobTypeRevisionWithManifestSerializer,
    JobTypeSerializer,
    JobTypeValidationSerializer,
    ValidationResultSerializer,
)
from job.services import job_types as services
from scale.api.exceptions import FieldError
from scale.api.schema import ParameterErrorSerializer

# Lists never read the JSON columns.
LIST_QUERYSET = JobType.objects.defer('manifest', 'configuration')
NAME = OpenApiParameter('name', OpenApiTypes.STR, OpenApiParameter.PATH, description='Job type name.')
VERSION = OpenApiParameter(
    'version', OpenApiTypes.STR, OpenApiParameter.PATH, description='Job type version (SemVer; + may be %2B).'
)
REVISION = OpenApiParameter('revision_num', OpenApiTypes.INT, OpenApiParameter.PATH, description='From 1.')
BAD_BODY = OpenApiResponse(ParameterErrorSerializer, description='A bad body: `errors` names each path.')


def _flatten(detail, prefix=''):
    """DRF serializer errors as `{path: [messages]}` (`__all__` for the body as a whole)."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            name = '__all__' if key in ('non_field_errors', '__all__') and not prefix else key
            flat.update(_flatten(value, f'{prefix}.{name}' if prefix else name))
        return flat
    if isinstance(detail, list) and detail and not all(isinstance(item, str) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f'{prefix}[{index}]'))
        return flat
    return {prefix or '__all__': [str(item) for item in (detail if isinstance(detail, list) else [detail])]}


def validated_body(serializer_class, request):
    """The request body validated by `serializer_class`; FieldError (400 naming each path) if not."""
    serializer = serializer_class(data=request.data)
    if not serializer.is_valid():
        raise FieldError(_flatten(serializer.errors))
    return serializer.validated_data


class ReadPermission(BasePermission):
    """The permission of a read: for POST /v6/job-types/validation/, which changes nothing."""

    def has_permission(self, request, view):
        user = request.user
        return settings.SCALE_PUBLIC_READ_API or bool(user and user.is_authenticated)


@extend_schema_view(
    get=extend_schema(summary='List job types (one row per name and version).'),
    post=extend_schema(
        summary='Register a Seed image, or edit the job type of an existing name and version.',
        request=JobTypeCreateSerializer,
        responses={
            201: OpenApiResponse(JobTypeDetailSerializer, description='Created; Location names it.'),
            200: OpenApiResponse(ValidationResultSerializer, description='The name+version existed: edited.'),
            400: BAD_BODY,
        },
    ),
)
class JobTypeList(ListAPIView):
    """Job types, filtered, ordered and paged; POST registers one."""

    serializer_class = JobTypeSerializer
    filterset_class = JobTypeFilterSet
    queryset = LIST_QUERYSET

    def post(self, request):
        body = validated_body(JobTypeCreateSerializer, request)
        result = services.create_job_type(**body)
        if not result.created:
            return Response(result.validation, status=status.HTTP_200_OK)
        job_type = result.job_type
        location = (
            reverse('job-type-detail', kwargs={'name': job_type.name, 'version': job_type.version}) + '/'
        )
        return Response(
            JobTypeDetailSerializer(job_type).data,
            status=status.HTTP_201_CREATED,
            headers={'Location': request.build_absolute_uri(location)},
        )


@extend_schema_view(get=extend_schema(summary='One row per job type name: its latest version.'))
class JobTypeNameList(ListAPIView):
    """One row per name, showing its latest (SemVer) matching version, with every matching version."""

    serializer_class = JobTypeNameSerializer
    filterset_class = JobTypeNameFilterSet
    queryset = LIST_QUERYSET

    def list(self, request, *args, **kwargs):
        names = services.job_type_names(self.filter_queryset(self.get_queryset()))
        page = services.load_job_type_names(self.paginate_queryset(names), LIST_QUERYSET)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    get=extend_schema(
        summary='Every version of one job type name.',
        parameters=[NAME],
        operation_id='job_types_versions_list',
    )
)
class JobTypeVersionList(ListAPIView):
    """The versions of one name, newest SemVer first; an unknown name is an empty page."""

    serializer_class = JobTypeSerializer
    filterset_class = JobTypeVersionFilterSet

    def get_queryset(self):
        return LIST_QUERYSET.filter(name=self.kwargs.get('name', ''))


@extend_schema_view(
    get=extend_schema(summary='One job type version.', parameters=[NAME, VERSION]),
    patch=extend_schema(
        summary='Edit a job type version.',
        parameters=[NAME, VERSION],
        request=JobTypeEditSerializer,
        responses={200: ValidationResultSerializer, 400: BAD_BODY},
    ),
)
class JobTypeDetail(RetrieveAPIView):
    """One job type version; PATCH edits it."""

    serializer_class = JobTypeDetailSerializer
    filter_backends = ()

    def get_object(self):
        return get_object_or_404(JobType, name=self.kwargs['name'], version=self.kwargs['version'])

    def patch(self, request, name, version):
        changes = validated_body(JobTypeEditSerializer, request)
        return Response(services.edit_job_type(self.get_object(), changes))


@extend_schema_view(get=extend_schema(summary='Revisions of a job type version.', parameters=[NAME, VERSION]))
class JobTypeRevisionList(ListAPIView):
    """The revisions of a job type version, newest first. 404 for an unknown job type."""

    serializer_class = JobTypeRevisionItemSerializer
    filterset_class = JobTypeRevisionFilterSet

    def get_queryset(self):
        if getattr(self, 'swagger_fake_view', False):
            return JobTypeRevision.objects.none()
        job_type = get_object_or_404(LIST_QUERYSET, name=self.kwargs['name'], version=self.kwargs['version'])
        return (
            JobTypeRevision.objects.filter(job_type_id=job_type.id)
            .select_related('job_type')
            .defer('manifest', 'job_type__manifest', 'job_type__configuration')
        )


@extend_schema_view(
    get=extend_schema(summary='One revision of a job type version.', parameters=[NAME, VERSION, REVISION])
)
class JobTypeRevisionDetail(RetrieveAPIView):
    serializer_class = JobTypeRevisionWithManifestSerializer
    filter_backends = ()

    def get_object(self):
        return get_object_or_404(
            JobTypeRevision.objects.select_related('job_type').defer(
                'job_type__manifest', 'job_type__configuration'
            ),
            job_type__name=self.kwargs['name'],
            job_type__version=self.kwargs['version'],
            revision_num=self.kwargs['revision_num'],
        )


class JobTypeValidation(APIView):
    """Checks a manifest and a configuration as a create would, saving nothing. Any signed-in user
    may call it (it changes nothing)."""

    permission_classes = (ReadPermission,)

    @extend_schema(
        summary='Validate a Seed manifest and a configuration; nothing is saved.',
        request=JobTypeValidationSerializer,
        responses={200: ValidationResultSerializer, 400: BAD_BODY},
    )
    def post(self, request):
        body = validated_body(JobTypeValidationSerializer, request)
        return Response(services.validate_job_type(body['manifest'], body.get('configuration')))
