"""The benchmark harness's own logic (bench/): which captured SQL makes a list figure's floor, and the
statistics every figure reports. The benchmarks themselves run in `make test` as the smoke run."""

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / 'bench'


def _load(name):
    spec = importlib.util.spec_from_file_location(f'bench_{name}_under_test', BENCH / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_floor = _load('bench_floor')
bench_http = _load('bench_http')


@pytest.mark.parametrize(
    ('sql', 'table'),
    [
        ('SELECT COUNT(*) AS "__count" FROM "job" WHERE "job"."status" IN (\'RUNNING\')', 'job'),
        (
            'SELECT "job"."id" AS "id" FROM "job" ORDER BY "job"."last_modified" ASC LIMIT 100 OFFSET 400',
            'job',
        ),
        (
            'SELECT "job"."id", "trigger_event"."id" FROM "job" LEFT OUTER JOIN "trigger_event" '
            'ON ("job"."event_id" = "trigger_event"."id") WHERE "job"."id" IN (1, 2)',
            'job',
        ),
        # Django's count of an annotated or distinct queryset counts a derived table.
        ('SELECT COUNT(*) FROM (SELECT DISTINCT "job"."id" AS "col1" FROM "job") subquery', 'job'),
        ('SELECT "job_type"."id" FROM "job_type" WHERE "job_type"."id" IN (3, 4)', 'job_type'),
        # A subquery on the job table inside another table's query is not a query on the job table.
        (
            'SELECT "job_input_file"."job_id" FROM "job_input_file" WHERE "job_input_file"."job_id" '
            'IN (SELECT U0."id" FROM "job" U0)',
            'job_input_file',
        ),
        # Literals and column names that spell FROM do not count.
        ('SELECT \'x FROM "node"\' AS "from_x", "job"."id" FROM "job"', 'job'),
        ('SELECT "error"."fromage" FROM error', 'error'),
        ('SELECT 1', None),
    ],
)
def test_main_table(sql, table):
    assert bench_floor.main_table(sql) == table


@pytest.mark.parametrize(
    ('sql', 'kind'),
    [
        ('SELECT COUNT(*) AS "__count" FROM "job"', 'count'),
        (
            'SELECT SUM("job_count"."count") AS "total" FROM "job_count" WHERE "job_count"."status" = \'RUNNING\'',
            'count',
        ),
        ('SELECT SUM("job"."input_file_size"), MAX("job"."id") FROM "job"', 'other'),
        ('select count(*) from (select 1 from job) t', 'count'),
        ('SELECT "job"."id" FROM "job" ORDER BY "job"."id" ASC LIMIT 1000 OFFSET 499000', 'page'),
        ('SELECT "job"."id" FROM "job" WHERE "job"."id" IN (1, 2, 3)', 'other'),
    ],
)
def test_query_kind(sql, kind):
    assert bench_floor.query_kind(sql) == kind


def test_only_reads_are_timed():
    assert bench_floor.is_read('  SELECT 1')
    assert bench_floor.is_read('WITH t AS (SELECT 1) SELECT * FROM t')
    assert not bench_floor.is_read('SAVEPOINT "s1"')
    assert not bench_floor.is_read('UPDATE "job" SET "status" = \'QUEUED\'')


def test_percentiles_are_nearest_rank():
    values = list(range(1, 51))  # 50 requests
    assert bench_http.percentile(values, 0.95) == 48
    assert bench_http.percentile(values, 1.0) == 50
    assert bench_http.percentile([7.0], 0.95) == 7.0
    assert bench_http.summary([3.0, 1.0, 2.0]) == {
        'median_ms': 2.0,
        'p95_ms': 3.0,
        'max_ms': 3.0,
        'requests': 3,
    }


def test_measure_warms_up_then_times_every_request():
    calls = []
    figure = bench_http.measure(lambda: calls.append(1), requests=50, warmup=5)
    assert len(calls) == 55
    assert figure['requests'] == 50
    assert figure['warmup'] == 5
    assert figure['budget_cut'] is False


def test_measure_stops_at_its_budget_but_not_below_the_minimum():
    calls = []
    figure = bench_http.measure(
        lambda: calls.append(1), requests=50, warmup=1, budget_seconds=0, min_requests=10
    )
    assert figure['requests'] == 10
    assert figure['budget_cut'] is True
