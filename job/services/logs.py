"""Storing execution log lines (DESIGN.md section 4: the agent stores stdout and stderr lines as they
are produced, in batches, numbered per execution by `scale_order_num`)."""

import datetime
from typing import NamedTuple

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Max

from job.choices import LogStream
from job.models import JobExecutionLog
from node.models import Node

# PostgreSQL text cannot hold NUL characters; a process may print them.
_NUL_TABLE = str.maketrans({'\x00': '\ufffd'})
STREAMS = frozenset(LogStream.values)
LOG_FIELDS = ('job_exe', 'scale_order_num', 'stream', 'message', 'timestamp')
# The PostgreSQL types of LOG_FIELDS' columns, which a binary COPY must name.
COPY_TYPES = ('bigint', 'integer', 'varchar', 'text', 'timestamptz')


class LogLine(NamedTuple):
    """One captured line: the stream it came from, its text (without the line break) and when it was
    read. (A tuple: the agent makes one for every line a process prints.)"""

    stream: str
    message: str
    timestamp: datetime.datetime


def next_order_num(execution_id):
    """The `scale_order_num` the next line of execution `execution_id` gets: one past the highest
    stored, 1 when none is."""
    highest = JobExecutionLog.objects.filter(job_exe_id=execution_id).aggregate(top=Max('scale_order_num'))
    return (highest['top'] or 0) + 1


def append_log_lines(execution_id, lines, *, start=None, node_id=None):
    """Stores `lines` (LogLine objects, in the order they were produced) of execution `execution_id`
    with one bulk insert, numbered from `start` (default: after the highest number stored), and adds
    their count to the `log_lines_ingested` of node `node_id` in the same transaction.

    Returns the number the next line gets. Should another writer have taken some of the numbers
    meanwhile (the unique constraint says so), the lines are numbered again after the highest stored
    and inserted once more: a log line is data, not a state change, so that retry is safe.
    """
    lines = list(lines)
    if not lines:
        return start if start is not None else next_order_num(execution_id)
    for line in lines:
        if line.stream not in STREAMS:
            raise ValueError(f'unknown log stream {line.stream!r}')
    for attempt in range(2):
        if start is None or attempt:
            start = next_order_num(execution_id)
        rows = [
            (execution_id, start + offset, line.stream, line.message.translate(_NUL_TABLE), line.timestamp)
            for offset, line in enumerate(lines)
        ]
        try:
            with transaction.atomic(using=_database()):
                _insert(rows)
                if node_id is not None:
                    Node.objects.filter(id=node_id).update(
                        log_lines_ingested=F('log_lines_ingested') + len(rows)
                    )
        except IntegrityError:
            if attempt:
                raise
            continue
        return start + len(rows)
    raise AssertionError('unreachable')


def _database():
    return router.db_for_write(JobExecutionLog)


def _insert(rows):
    """Inserts many rows (job_exe_id, scale_order_num, stream, message, timestamp) at once.

    Log lines are the one table written at thousands of rows a second, and the model layer (an
    instance per row, each value prepared field by field) costs more than the database's own work:
    the rows go straight to the database. PostgreSQL gets them by binary COPY (an INSERT a row, even
    pipelined, is several times slower; text COPY formats every value in Python, 2.5 times the CPU);
    elsewhere one prepared INSERT is executed for all of them, the timestamps adapted as the model
    field would."""
    connection = connections[_database()]
    meta = JobExecutionLog._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ', '.join(quote(meta.get_field(name).column) for name in LOG_FIELDS)
    with connection.cursor() as cursor:
        if connection.vendor == 'postgresql':
            # The raw psycopg cursor: its errors are turned into Django's (IntegrityError...) here.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f'COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)') as copy,
            ):
                copy.set_types(COPY_TYPES)
                for row in rows:
                    copy.write_row(row)
        else:
            adapt = connection.ops.adapt_datetimefield_value
            cursor.executemany(
                f'INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)',
                [(*row[:4], adapt(row[4])) for row in rows],
            )
