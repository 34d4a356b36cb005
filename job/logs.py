"""Serving an execution's log lines: streamed in keyset batches, in four formats.

The JSON format is the envelope the original server returned (an Elasticsearch search response)
and the Scale web UI parses: `{"took", "timed_out", "hits": {"total", "hits": [{"_id", "_source":
{...}, "sort": [epoch ms, scale_order_num]}]}}`.
"""

import json
import time
from html import escape

from django.http import HttpResponse, StreamingHttpResponse
from rest_framework import renderers

from job.choices import LogStream
from scale.api.iso8601 import format_datetime

STREAMS = {
    'stdout': (LogStream.STDOUT,),
    'stderr': (LogStream.STDERR,),
    'combined': (LogStream.STDOUT, LogStream.STDERR),
}
BATCH_SIZE = 5000
HTML_HEAD = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><style>.stdout {} .stderr {color: red;}</style>'
    '</head><body>\n'
)
HTML_TAIL = '</body></html>\n'


def _detail_text(data):
    if isinstance(data, dict) and 'detail' in data:
        return str(data['detail'])
    return json.dumps(data)


class PlainTextRenderer(renderers.BaseRenderer):
    media_type = 'text/plain'
    format = 'txt'
    charset = 'utf-8'

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return _detail_text(data) + '\n'


class JSONLinesRenderer(renderers.JSONRenderer):
    media_type = 'application/x-ndjson'
    format = 'jsonl'


class LogHTMLRenderer(renderers.BaseRenderer):
    media_type = 'text/html'
    format = 'html'
    charset = 'utf-8'

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return f'{HTML_HEAD}<p>{escape(_detail_text(data))}</p>\n{HTML_TAIL}'


# JSON first: the Scale web UI sends `Accept: application/json, text/plain, */*` and parses JSON.
RENDERERS = (renderers.JSONRenderer, JSONLinesRenderer, PlainTextRenderer, LogHTMLRenderer)


def iter_lines(lines, limit):
    """Yields (id, scale_order_num, stream, message, timestamp) of at most `limit` lines of the
    filtered queryset `lines`, in scale_order_num order, fetched in keyset batches."""
    last = None
    remaining = limit
    fields = ('id', 'scale_order_num', 'stream', 'message', 'timestamp')
    while remaining > 0:
        batch = lines if last is None else lines.filter(scale_order_num__gt=last)
        rows = list(batch.order_by('scale_order_num').values_list(*fields)[: min(BATCH_SIZE, remaining)])
        if not rows:
            return
        yield from rows
        remaining -= len(rows)
        last = rows[-1][1]


def _source(execution, row):
    _id, order_num, stream, message, timestamp = row
    return {
        '@timestamp': format_datetime(timestamp),
        'scale_order_num': order_num,
        'message': message,
        'stream': stream,
        'scale_task': 'main',
        'scale_job_exe': execution.cluster_id,
        'scale_node': execution.node.hostname if execution.node else None,
    }


def _json_body(execution, lines, limit, total, took_ms):
    yield f'{{"took": {took_ms}, "timed_out": false, "hits": {{"total": {total}, "hits": ['
    separator = ''
    for row in iter_lines(lines, limit):
        hit = {
            '_id': str(row[0]),
            '_source': _source(execution, row),
            'sort': [int(row[4].timestamp() * 1000), row[1]],
        }
        yield separator + json.dumps(hit)
        separator = ', '
    yield ']}}\n'


def _jsonl_body(execution, lines, limit):
    for row in iter_lines(lines, limit):
        yield json.dumps(_source(execution, row)) + '\n'


def _text_body(lines, limit):
    for row in iter_lines(lines, limit):
        yield row[3] + '\n'


def _html_body(lines, limit):
    yield HTML_HEAD
    for row in iter_lines(lines, limit):
        yield f'<div class="{row[2]}">{escape(row[3])}</div>\n'
    yield HTML_TAIL


def log_response(format_, execution, lines, limit):
    """The streaming response for `lines` (a filtered JobExecutionLog queryset) of `execution`.

    204 with an empty body when no line matches.
    """
    started = time.monotonic()
    total = lines.count()
    if total == 0:
        return HttpResponse(status=204)
    if format_ == 'json':
        took_ms = int((time.monotonic() - started) * 1000)
        body, content_type = _json_body(execution, lines, limit, total, took_ms), 'application/json'
    elif format_ == 'jsonl':
        body, content_type = _jsonl_body(execution, lines, limit), 'application/x-ndjson'
    elif format_ == 'txt':
        body, content_type = _text_body(lines, limit), 'text/plain; charset=utf-8'
    else:
        body, content_type = _html_body(lines, limit), 'text/html; charset=utf-8'
    response = StreamingHttpResponse(body, content_type=content_type)
    response['X-Total-Count'] = str(total)
    return response
