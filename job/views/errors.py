"""Views of the errors API: builtin errors and those of job types' Seed manifests."""

from rest_framework.generics import ListAPIView, RetrieveAPIView

from job.filters.errors import ErrorFilterSet
from job.models import Error
from job.serializers.errors import ScaleErrorSerializer


class ErrorList(ListAPIView):
    """Errors, filtered, ordered (default: name) and paged."""

    serializer_class = ScaleErrorSerializer
    filterset_class = ErrorFilterSet
    queryset = Error.objects.all()


class ErrorDetail(RetrieveAPIView):
    """An error by its id."""

    serializer_class = ScaleErrorSerializer
    filter_backends = ()
    lookup_url_kwarg = 'error_id'
    queryset = Error.objects.all()
