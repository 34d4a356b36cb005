"""Request body parsing with bounds: one request cannot exhaust memory or recursion."""

import json
import math

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = 'The request body is larger than SCALE_MAX_REQUEST_BYTES allows.'
    default_code = 'request_too_large'


def _depth_exceeds(value, limit):
    """Whether `value` nests lists/objects deeper than `limit` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    """JSON bodies of at most SCALE_MAX_REQUEST_BYTES (413 beyond), nested at most 64 deep, without
    NaN, Infinity or numbers too large for a float (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b''
        if len(raw) > limit:
            raise RequestTooLarge(f'The request body is larger than {limit} bytes.')
        encoding = (parser_context or {}).get('encoding', settings.DEFAULT_CHARSET)
        try:
            data = json.loads(
                raw.decode(encoding), parse_constant=self._refuse_constant, parse_float=self._finite_float
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f'JSON parse error - {exc}') from None
        except RecursionError:
            raise ParseError(f'JSON parse error - nested deeper than {MAX_DEPTH} levels') from None
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(f'JSON parse error - nested deeper than {MAX_DEPTH} levels')
        return data

    @staticmethod
    def _refuse_constant(name):
        raise ValueError(f'{name} is not valid JSON')

    @staticmethod
    def _finite_float(text):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f'{text} is out of range for a number')
        return value
