"""Synthetic, consistent, reproducible job data for development and benchmarks (`manage.py seed_jobs`).

    seed(jobs=1_000_000, seed=1, anchor=None, days=60)

builds (or reuses) the static world (world.py), then streams jobs in chunks (jobs.py), each chunk
written in its own transaction with COPY on PostgreSQL or executemany on SQLite (writer.py), so a
crash never leaves a job without its executions. The same seed and anchor on an empty database give
identical rows.
"""

import datetime
import queue
import random
import sys
import time

from django.db import connection, transaction
from django.db.models import Max
from tqdm import tqdm

from job.models import Error
from job.seeding.jobs import TABLE_ORDER, Generator
from job.seeding.recipes import add_batches, add_recipe_types, batch_count
from job.seeding.world import (
    UTC,
    WORLD_TABLES,
    World,
    add_job_types,
    add_nodes,
    add_workspaces,
    ensure_builtin_errors,
    reset_sequences,
)
from job.seeding.writer import MODELS, ThreadedWriter, make_writer
from scale.api.iso8601 import parse_datetime

DEFAULT_DAYS = 60
DEFAULT_CHUNK_SIZE = 5000
DEFAULT_LOG_LINES = (3, 8)
DEFAULT_WORKERS = 2


def default_anchor():
    return datetime.datetime.now(UTC).replace(microsecond=0)


def _anchor(value):
    if value is None:
        return default_anchor()
    if isinstance(value, str):
        value = parse_datetime(value.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def build_world(rng, anchor, days, jobs):
    """The static world (reused by natural key, else created), as plain objects for the generator."""
    ensure_builtin_errors()
    world = World(anchor, days)
    for error in Error.objects.filter(job_type_name__isnull=True):
        world.builtin[error.name] = (error.id, error.category, error.should_be_retried)
    add_workspaces(world)
    add_nodes(world, rng)
    add_job_types(world)
    add_recipe_types(world)
    add_batches(world, rng, batch_count(jobs))
    reset_sequences(WORLD_TABLES)
    return world


def _next_ids():
    return {table: (MODELS[table].objects.aggregate(top=Max('id'))['top'] or 0) + 1 for table in TABLE_ORDER}


def seed(
    jobs,
    seed=1,
    anchor=None,
    days=DEFAULT_DAYS,
    progress=True,
    chunk_size=DEFAULT_CHUNK_SIZE,
    log_lines_min=DEFAULT_LOG_LINES[0],
    log_lines_max=DEFAULT_LOG_LINES[1],
    workers=DEFAULT_WORKERS,
):
    """Creates `jobs` jobs spread over the `days` before `anchor` (default: now, to the second) and
    returns a summary: rows per table, jobs per status, elapsed seconds.

    On PostgreSQL, outside any transaction, chunks are written by `workers` threads with their own
    connections while the next chunks are generated; otherwise they are written one after the other
    on the current connection (inside a surrounding transaction, e.g. a test, as savepoints)."""
    if jobs < 0 or days <= 0 or chunk_size < 1 or log_lines_max < 0:
        raise ValueError('jobs >= 0, days > 0, chunk_size >= 1 and log_lines_max >= 0 are required')
    began = time.monotonic()
    anchor = _anchor(anchor)
    rng = random.Random(seed)
    with transaction.atomic():
        world = build_world(rng, anchor, days, jobs)
    generator = Generator(world, rng, jobs, _next_ids(), log_lines_min, log_lines_max)
    counts = dict.fromkeys(TABLE_ORDER, 0)
    threaded = connection.vendor == 'postgresql' and not connection.in_atomic_block and workers > 1
    writer = ThreadedWriter(workers) if threaded else make_writer(connection)
    with tqdm(
        total=jobs, unit='job', file=sys.stderr, disable=not progress, mininterval=0.5, smoothing=0.1
    ) as bar:
        try:
            while not generator.done:
                rows = generator.chunk(chunk_size)
                for table in TABLE_ORDER:
                    counts[table] += len(rows.tables[table])
                if threaded:
                    writer.write(rows)
                    _drain(writer.completed, bar)
                else:
                    with transaction.atomic():
                        writer.write(rows)
                    bar.update(rows.jobs)
                del rows
        finally:
            if threaded:
                writer.close()
                _drain(writer.completed, bar)
    reset_sequences(TABLE_ORDER)
    tables = dict(world.created)
    for table, count in counts.items():
        tables[table] = tables.get(table, 0) + count
    return {
        'seed': seed,
        'anchor': anchor.isoformat().replace('+00:00', 'Z'),
        'days': days,
        'jobs': jobs,
        'tables': tables,
        'source_files': generator.files.sources,
        'product_files': generator.files.products,
        'statuses': dict(generator.status_counts),
        'elapsed': round(time.monotonic() - began, 2),
    }


def _drain(completed, bar):
    while True:
        try:
            bar.update(completed.get_nowait())
        except queue.Empty:
            return


def format_summary(summary):
    lines = [
        f'Seeded {summary["jobs"]} jobs (seed {summary["seed"]}, anchor {summary["anchor"]}, '
        f'{summary["days"]} days) in {summary["elapsed"]:.1f} s',
        'Rows created per table:',
    ]
    width = max((len(table) for table in summary['tables']), default=10)
    for table, count in summary['tables'].items():
        lines.append(f'  {table:<{width}}  {count:>10,}')
    lines.append(f'  (scale_file: {summary["source_files"]:,} SOURCE, {summary["product_files"]:,} PRODUCT)')
    lines.append('Jobs per status:')
    for status, count in summary['statuses'].items():
        lines.append(f'  {status:<{width}}  {count:>10,}')
    return '\n'.join(lines)
