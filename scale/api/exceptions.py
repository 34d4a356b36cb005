"""Errors of the API and how they are rendered.

Every error body is `{"detail": "..."}`. A bad query parameter adds `errors`, a map of parameter
name to messages, and its `detail` names each parameter. A body that fails validation keeps DRF's
field -> messages object.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.views import exception_handler as drf_exception_handler

from job.exceptions import InvalidDocument
from scale.api.parsers import RequestTooLarge


class InvalidInput(APIException):
    """400 naming each invalid input: `{"detail": "Invalid <kind> \"name\": message; ...",
    "errors": {name: [messages]}}`. A name is a query parameter or the path of a body field
    (`manifest.job.interface.inputs.files[0].name`); `__all__` is about the request as a whole."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = 'invalid'
    kind = 'field'

    def __init__(self, errors):
        errors = {name: [str(message) for message in messages] for name, messages in errors.items()}
        detail = '; '.join(
            f'Invalid {self.kind} "{name}": {" ".join(messages)}' if name != '__all__' else ' '.join(messages)
            for name, messages in errors.items()
        )
        super().__init__({'detail': detail, 'errors': errors})


class ParameterError(InvalidInput):
    """400 for invalid query parameters."""

    default_code = 'invalid_parameter'
    kind = 'parameter'


class FieldError(InvalidInput):
    """400 for an invalid request body; names are paths into the body."""

    default_code = 'invalid_field'


class Conflict(APIException):
    """409: the request contradicts the state it refers to (e.g. an Idempotency-Key reused with a
    different body)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = 'conflict'


def exception_handler(exc, context):
    """DRF's handler; it already renders APIException, Http404 and PermissionDenied as JSON.

    Every Http404 (an unknown id, an unknown ?format=) is `{"detail": "Not found."}`, as in Scale and
    as for a URL that matches no route, not DRF's "No <Model> matches the given query."
    A job.exceptions.InvalidDocument raised by a service is a 400 naming every bad path.
    """
    if isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, InvalidDocument):
        exc = FieldError(exc.errors)
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    return drf_exception_handler(exc, context)


def not_found(request, exception=None):
    """JSON 404 for URLs that match no route (a non-numeric id, an unknown path)."""
    return JsonResponse({'detail': 'Not found.'}, status=404)


def server_error(request):
    return JsonResponse({'detail': 'Internal server error.'}, status=500)
