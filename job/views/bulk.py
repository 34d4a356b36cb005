"""Views of bulk cancel and requeue: 202 at once, the work is done by the task worker."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from job.choices import BulkOperationKind
from job.filters.bulk import BulkOperationFilterSet
from job.models import BulkOperation
from job.serializers.bulk import BulkFilterSerializer, BulkOperationSerializer, BulkRequeueSerializer
from job.services.bulk import create_operation
from scale import idempotency
from scale.api.schema import ErrorSerializer

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    idempotency.HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='Repeating a request with the same key (and body) returns the first operation and starts '
    'nothing; the same key with another body is 409.',
)


class BulkOperationStart(APIView):
    """POST: 202 Accepted with the new bulk operation and its Location; the jobs change as the task
    worker gets to them."""

    kind = None

    def post(self, request):
        operation, created = create_operation(
            self.kind, request.user, request.data, idempotency.request_key(request)
        )
        body = BulkOperationSerializer(operation, context={'request': request}).data
        headers = {'Location': body['url']}
        if not created:
            headers['Idempotent-Replayed'] = 'true'
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)


class CancelJobs(BulkOperationStart):
    kind = BulkOperationKind.CANCEL

    @extend_schema(
        request=BulkFilterSerializer,
        responses={202: BulkOperationSerializer, 409: ErrorSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request):
        """Cancel every job the filter matches that is not COMPLETED or CANCELED (a RUNNING job's
        process is stopped by its agent)."""
        return super().post(request)


class RequeueJobs(BulkOperationStart):
    kind = BulkOperationKind.REQUEUE

    @extend_schema(
        request=BulkRequeueSerializer,
        responses={202: BulkOperationSerializer, 409: ErrorSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    def post(self, request):
        """Queue again every FAILED or CANCELED, not superseded, job the filter matches, with
        max_tries = num_exes + the job type's max_tries, and the new priority if given."""
        return super().post(request)


class BulkOperationList(ListAPIView):
    """Bulk operations, newest first, filtered by state and kind, paged."""

    serializer_class = BulkOperationSerializer
    filterset_class = BulkOperationFilterSet
    queryset = BulkOperation.objects.select_related('created_by')


class BulkOperationDetail(RetrieveAPIView):
    """A bulk operation: its frozen filter, state and counts."""

    serializer_class = BulkOperationSerializer
    filter_backends = ()
    lookup_url_kwarg = 'operation_id'
    queryset = BulkOperation.objects.select_related('created_by')
