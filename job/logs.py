"""Serving an execution's log lines: streamed in keyset batches, in four formats.

The JSON format is the envelope the original server returned (an Elasticsearch search response)
and the Scale web UI parses: `{"took", "timed_out", "hits": {"total", "hits": [{"_id", "_source":
{...}, "sort": [epoch ms, scale_order_num]}]}}`.
"""

import datetime
import json
import time
from html import escape

from django.db import connections
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


FULL_ROW = ('scale_order_num', 'id', 'stream', 'message', 'timestamp')


def iter_batches(lines, limit, fields=FULL_ROW, fetch=list):
    """Yields lists of rows of `fields` (scale_order_num first): at most `limit` lines of the
    filtered queryset `lines` in scale_order_num order, fetched in keyset batches of BATCH_SIZE. A
    format fetches only the columns it shows (decoding 100,000 timestamps that text never prints
    took a third of its time). `fetch` turns a batch's queryset into its rows."""
    last = None
    remaining = limit
    while remaining > 0:
        batch = lines if last is None else lines.filter(scale_order_num__gt=last)
        rows = fetch(batch.order_by('scale_order_num').values_list(*fields)[: min(BATCH_SIZE, remaining)])
        if not rows:
            return
        yield rows
        remaining -= len(rows)
        last = rows[-1][0]


# Each batch of lines is rendered into one string and written as one chunk: a chunk a line made the
# server write (a system call) 100,000 times for a 100,000-line log.
#
# The JSON and JSON-lines formats need, per line, its timestamp as format_datetime writes it and in
# epoch milliseconds: decoding 100,000 timestamps into datetimes and formatting them again was half of
# a 100,000-line JSON log's time. On PostgreSQL the database writes both (to_char and extract are
# several times cheaper than the Python); elsewhere Python does. The `_source` text is assembled
# around the quoted message (the only free text), keys in the envelope's order.
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MILLISECOND = datetime.timedelta(milliseconds=1)
# Computed over the batch (a subquery), not before its ORDER BY ... LIMIT: with a plan that sorts
# the matching lines, the formatting would otherwise run for every line past the cursor.
_PG_TIMED_BATCH = (
    'SELECT scale_order_num, id, stream, message, '
    'to_char("timestamp" AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US\'), '
    'floor(extract(epoch FROM "timestamp") * 1000)::bigint '
    'FROM ({batch}) AS batch ORDER BY scale_order_num'
)
_quote = json.encoder.encode_basestring_ascii


def _pg_timed_fetch(batch):
    sql, params = batch.query.sql_with_params()
    with connections[batch.db].cursor() as cursor:
        cursor.execute(_PG_TIMED_BATCH.format(batch=sql), params)
        return cursor.fetchall()


def _timed_rows(lines, limit):
    """Yields lists of (scale_order_num, id, stream, message, ISO timestamp, epoch ms) of the lines,
    in keyset batches as iter_batches."""
    if connections[lines.db].vendor == 'postgresql':
        for rows in iter_batches(lines, limit, fetch=_pg_timed_fetch):
            # format_datetime leaves out a zero fraction of a second.
            yield [(*row[:4], f'{row[4].removesuffix(".000000")}Z', row[5]) for row in rows]
        return
    for rows in iter_batches(lines, limit):
        yield [(*row[:4], format_datetime(row[4]), (row[4] - EPOCH) // MILLISECOND) for row in rows]


def _source_json(execution):
    """A function of a timed row returning the JSON text of its `_source` object."""
    node = execution.node.hostname if execution.node else None
    tail = f', "scale_task": "main", "scale_job_exe": {json.dumps(execution.cluster_id)}, "scale_node": {json.dumps(node)}}}'

    def source(row):
        order_num, _id, stream, message, timestamp, _ms = row
        return (
            f'{{"@timestamp": "{timestamp}", "scale_order_num": {order_num}, '
            f'"message": {_quote(message)}, "stream": "{stream}"{tail}'
        )

    return source


def _json_body(execution, lines, limit, total, took_ms):
    yield f'{{"took": {took_ms}, "timed_out": false, "hits": {{"total": {total}, "hits": ['
    source = _source_json(execution)
    separator = ''
    for rows in _timed_rows(lines, limit):
        yield separator + ', '.join(
            f'{{"_id": "{row[1]}", "_source": {source(row)}, "sort": [{row[5]}, {row[0]}]}}' for row in rows
        )
        separator = ', '
    yield ']}}\n'


def _jsonl_body(execution, lines, limit):
    source = _source_json(execution)
    for rows in _timed_rows(lines, limit):
        yield ''.join(f'{source(row)}\n' for row in rows)


def _text_body(lines, limit):
    for rows in iter_batches(lines, limit, ('scale_order_num', 'message')):
        yield ''.join(f'{row[1]}\n' for row in rows)


def _html_body(lines, limit):
    yield HTML_HEAD
    for rows in iter_batches(lines, limit, ('scale_order_num', 'stream', 'message')):
        yield ''.join(f'<div class="{row[1]}">{escape(row[2])}</div>\n' for row in rows)
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
