"""Writers of generated rows: binary COPY on PostgreSQL (psycopg 3 `cursor.copy` + `write_row`),
executemany on SQLite. In rows, datetimes are integers (microseconds since the Unix epoch, UTC) and
JSON values are JSON text; each writer adapts them to its database.
"""

import datetime
import queue
import struct
import threading

from django.db import connection as default_connection
from django.db import transaction

from job.models import Job, JobExecution, JobExecutionLog, JobInputFile, ScaleFile, TriggerEvent
from job.seeding.jobs import TABLE_ORDER
from recipe.models import Recipe

MODELS = {
    'trigger_event': TriggerEvent,
    'recipe': Recipe,
    'scale_file': ScaleFile,
    'job': Job,
    'job_input_file': JobInputFile,
    'job_exe': JobExecution,
    'job_exe_log': JobExecutionLog,
}

COLUMNS = {
    'trigger_event': ('id', 'type', 'description', 'occurred'),
    'recipe': (
        'id', 'recipe_type_id', 'recipe_type_rev_id', 'event_id', 'batch_id', 'recipe_id', 'is_superseded',
        'superseded_recipe_id', 'superseded', 'input', 'input_file_size', 'source_started', 'source_ended',
        'source_sensor_class', 'source_sensor', 'source_collection', 'source_task', 'created', 'completed',
        'last_modified',
    ),
    'scale_file': (
        'id', 'workspace_id', 'file_name', 'file_path', 'file_type', 'file_size', 'media_type', 'data_type_tags',
        'uuid', 'is_deleted', 'deleted', 'data_started', 'data_ended', 'source_started', 'source_ended',
        'source_sensor_class', 'source_sensor', 'source_collection', 'source_task', 'geometry', 'center_point',
        'countries', 'meta_data', 'job_type_id', 'job_id', 'job_exe_id', 'job_output', 'recipe_type_id',
        'recipe_id', 'recipe_node', 'batch_id', 'is_superseded', 'superseded', 'created', 'last_modified',
    ),
    'job': (
        'id', 'job_type_id', 'job_type_rev_id', 'event_id', 'recipe_id', 'batch_id', 'is_superseded',
        'superseded_job_id', 'superseded', 'status', 'node_id', 'error_id', 'priority', 'max_tries', 'num_exes',
        'input', 'input_file_size', 'output', 'configuration', 'resources', 'queue_reason', 'source_started', 'source_ended',
        'source_sensor_class', 'source_sensor', 'source_collection', 'source_task', 'created', 'queued',
        'started', 'ended', 'last_status_change', 'last_modified',
    ),
    'job_input_file': ('id', 'job_id', 'input_file_id', 'job_input', 'created'),
    'job_exe': (
        'id', 'job_id', 'job_type_id', 'exe_num', 'status', 'cluster_id', 'node_id', 'error_id', 'exit_code', 'launched', 'pid',
        'timeout', 'input_file_size', 'resources', 'configuration', 'output', 'task_results', 'created',
        'queued', 'started', 'ended', 'last_modified',
    ),
    'job_exe_log': ('id', 'job_exe_id', 'scale_order_num', 'stream', 'message', 'timestamp'),
}  # fmt: skip


def fields_by_column(table):
    return {field.column: field for field in MODELS[table]._meta.concrete_fields}


def check_columns():
    """Fails loudly when a model's columns and the generated rows disagree (e.g. after a model change)."""
    for table, columns in COLUMNS.items():
        actual = set(fields_by_column(table))
        if actual != set(columns):
            missing, unknown = sorted(actual - set(columns)), sorted(set(columns) - actual)
            raise RuntimeError(f'seed_jobs: columns of {table} changed: missing {missing}, unknown {unknown}')


# Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
PG_EPOCH_US = 946_684_800 * 1_000_000


def _pg_dumpers():
    from psycopg import adapters
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    pack = struct.Struct('>q').pack

    class MicrosecondsTimestamptzDumper(Dumper):
        """int (microseconds since the Unix epoch, UTC) -> binary timestamptz."""

        format = Format.BINARY
        oid = adapters.types['timestamptz'].oid

        def dump(self, obj):
            return pack(obj - PG_EPOCH_US)

    class JsonTextJsonbDumper(Dumper):
        """str (JSON text) -> binary jsonb (format version 1 + the text)."""

        format = Format.BINARY
        oid = adapters.types['jsonb'].oid

        def dump(self, obj):
            return b'\x01' + obj.encode()

    return MicrosecondsTimestamptzDumper, JsonTextJsonbDumper


class PostgresWriter:
    """Binary COPY of each table of a chunk, then the identity sequences moved past the new ids."""

    def __init__(self, connection):
        self.connection = connection
        self.types = {}
        for table, columns in COLUMNS.items():
            fields = fields_by_column(table)
            self.types[table] = [fields[column].db_type(connection).split('(')[0] for column in columns]
        self.dumpers = _pg_dumpers()
        self.sequences = {}
        with connection.cursor() as cursor:
            for table in COLUMNS:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                self.sequences[table] = cursor.fetchone()[0]

    def write(self, rows):
        written = []
        with self.connection.cursor() as wrapper:
            cursor = wrapper.cursor
            for dumper in self.dumpers:
                cursor.adapters.register_dumper(None, dumper)
            cursor.execute('SET LOCAL synchronous_commit TO OFF')
            for table in TABLE_ORDER:
                data = rows.tables[table]
                if not data:
                    continue
                statement = f'COPY {table} ({", ".join(COLUMNS[table])}) FROM STDIN (FORMAT BINARY)'
                with cursor.copy(statement) as copy:
                    copy.set_types(self.types[table])
                    write_row = copy.write_row
                    for row in data:
                        write_row(row)
                written.append(table)
            # Keep each identity sequence past the ids written (never moving it back), so that ORM
            # inserts after this chunk cannot collide with it.
            for table in written:
                sequence = self.sequences[table]
                top = max(row[0] for row in rows.tables[table])
                cursor.execute(
                    f'SELECT setval(%s, GREATEST(last_value, %s)) FROM {sequence}', [sequence, top]
                )


_UNIX_EPOCH = datetime.datetime(1970, 1, 1)


def _sqlite_datetime(value):
    """Microseconds since the epoch -> the text Django stores for an aware datetime (naive UTC)."""
    return str(_UNIX_EPOCH + datetime.timedelta(microseconds=value))


class SQLiteWriter:
    """executemany per table; datetimes as Django stores them (naive UTC text), JSON as text."""

    def __init__(self, connection):
        self.connection = connection
        self.statements = {}
        self.converters = {}
        for table, columns in COLUMNS.items():
            fields = fields_by_column(table)
            placeholders = ', '.join(['%s'] * len(columns))
            self.statements[table] = f'INSERT INTO {table} ({", ".join(columns)}) VALUES ({placeholders})'
            converters = []
            for index, column in enumerate(columns):
                kind = fields[column].get_internal_type()
                if kind == 'DateTimeField':
                    converters.append((index, _sqlite_datetime))
            self.converters[table] = converters

    def write(self, rows):
        with self.connection.cursor() as cursor:
            for table in TABLE_ORDER:
                data = rows.tables[table]
                if not data:
                    continue
                converters = self.converters[table]
                params = []
                for row in data:
                    row = list(row)
                    for index, convert in converters:
                        value = row[index]
                        if value is not None:
                            row[index] = convert(value)
                    params.append(row)
                cursor.executemany(self.statements[table], params)


class ThreadedWriter:
    """Writes chunks from `workers` threads, each with its own database connection and one transaction
    per chunk, so the database works on one chunk while the next is generated. At most `backlog`
    chunks wait in the queue (bounded memory). `completed` yields the job counts of written chunks."""

    def __init__(self, workers=2, backlog=2):
        self.queue = queue.Queue(maxsize=backlog)
        self.completed = queue.Queue()
        self.errors = []
        self.threads = [
            threading.Thread(target=self._work, name=f'seed-writer-{n}', daemon=True) for n in range(workers)
        ]
        for thread in self.threads:
            thread.start()

    def _work(self):
        try:
            writer = make_writer(default_connection)
            while True:
                rows = self.queue.get()
                if rows is None:
                    return
                if self.errors:
                    continue
                try:
                    with transaction.atomic():
                        writer.write(rows)
                    self.completed.put(rows.jobs)
                except BaseException as error:
                    self.errors.append(error)
        except BaseException as error:
            self.errors.append(error)
            while self.queue.get() is not None:
                pass
        finally:
            default_connection.close()

    def write(self, rows):
        if self.errors:
            self.close()
        self.queue.put(rows)

    def close(self):
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        self.threads = []
        if self.errors:
            raise self.errors[0]


def make_writer(connection):
    check_columns()
    if connection.vendor == 'postgresql':
        return PostgresWriter(connection)
    if connection.vendor == 'sqlite':
        return SQLiteWriter(connection)
    raise RuntimeError(f'seed_jobs supports PostgreSQL and SQLite, not {connection.vendor}')
