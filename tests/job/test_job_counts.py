"""Exact list counts from job_count (PostgreSQL triggers; job.services.counts): every kind of write
keeps them equal to COUNT(*), compaction keeps the sums, and the list answers the same count either
way."""

import pytest
from django.db import connection

from job.choices import ErrorCategory, JobStatus
from job.models import BulkOperation, Job, JobCount
from job.services.bulk import run_operation
from job.services.counts import compact_job_counts, counted_jobs
from job.services.executions import Placement, cancel_job, fail_execution, place_jobs
from tests import factories
from tests.concurrency import needs_concurrent_writers, run_together

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != 'postgresql':
        pytest.skip('job_count is kept by PostgreSQL triggers; SQLite counts with COUNT(*)')


FILTERS = [
    {},
    {'status': ['QUEUED']},
    {'status': ['FAILED', 'CANCELED'], 'is_superseded': False},
    {'error_category': ['SYSTEM']},
    {'status': ['FAILED'], 'error_category': ['ALGORITHM', 'SYSTEM']},
    {'is_superseded': True},
]


def _expected(cleaned):
    jobs = Job.objects.all()
    if cleaned.get('status'):
        jobs = jobs.filter(status__in=cleaned['status'])
    if cleaned.get('error_category'):
        jobs = jobs.filter(error__category__in=cleaned['error_category'])
    if cleaned.get('is_superseded') is not None:
        jobs = jobs.filter(is_superseded=cleaned['is_superseded'])
    if cleaned.get('job_type_id'):
        jobs = jobs.filter(job_type_id__in=cleaned['job_type_id'])
    return jobs.count()


def _assert_counts_match(extra=()):
    for cleaned in [*FILTERS, *extra]:
        assert counted_jobs({'order': None, 'page_size': None, **cleaned}) == _expected(cleaned), cleaned


def test_every_kind_of_write_keeps_the_counts_exact():
    job_type = factories.job_type()
    node = factories.node()
    jobs = [factories.job(job_type, status) for status in JobStatus for _ in range(2)]
    _assert_counts_match([{'job_type_id': [job_type.id]}])

    queued = [job for job in jobs if job.status == JobStatus.QUEUED]
    place_jobs([Placement(job.id, job.num_exes, node.id, {}) for job in queued])
    _assert_counts_match()
    fail_execution(queued[0].id, queued[0].num_exes, 'node-lost')  # retried: QUEUED again
    cancel_job(queued[1].id)
    _assert_counts_match()
    Job.objects.filter(status=JobStatus.COMPLETED).update(is_superseded=True)
    Job.objects.filter(status=JobStatus.PENDING).update(last_modified=job_type.created)  # no group changes
    _assert_counts_match()
    operation = BulkOperation.objects.create(
        kind='REQUEUE', filter={'status': ['FAILED', 'CANCELED']}, max_job_id=jobs[-1].id
    )
    run_operation(operation.id)
    _assert_counts_match()
    Job.objects.filter(status=JobStatus.BLOCKED).delete()
    _assert_counts_match()


def test_compaction_folds_the_rows_and_keeps_every_sum():
    for status in (JobStatus.QUEUED, JobStatus.FAILED, JobStatus.COMPLETED):
        for _ in range(3):
            factories.job(status=status)
    Job.objects.filter(status=JobStatus.QUEUED).update(status=JobStatus.CANCELED)
    before = JobCount.objects.count()

    left = compact_job_counts()

    assert left == JobCount.objects.count() < before
    groups = JobCount.objects.values_list('status', 'job_type_id', 'error_id', 'is_superseded')
    assert len(set(groups)) == len(groups)  # one row a group
    assert not JobCount.objects.filter(count=0).exists()
    _assert_counts_match()


def test_the_list_count_is_the_same_from_job_count_and_from_count_star(client):
    categories = [factories.error('node-lost'), factories.error('algorithm-unknown')]
    job_type = factories.job_type(name='counted', version='2.0.0')
    for n in range(12):
        factories.job(
            job_type if n % 2 else None, JobStatus.FAILED, error=categories[n % 2], is_superseded=n % 5 == 0
        )
        factories.job(status=JobStatus.QUEUED)
    queries = [
        '',
        'status=FAILED',
        'status=FAILED&error_category=SYSTEM',
        f'error_category={ErrorCategory.ALGORITHM}&is_superseded=false',
        'job_type_name=counted&job_type_version=2.0.0',
        'job_type_name=counted&job_type_version=9.9.9',
        f'job_type_id={job_type.id}&status=QUEUED',
        'error_id=1&error_id=2',
        'started=P1D',  # not a job_count dimension: COUNT(*)
    ]
    for query in queries:
        listed = client.get(f'/v6/jobs/?{query}&page_size=1000').json()
        assert listed['count'] == len(listed['results']), query


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_compaction_never_lose_a_change():
    needs_concurrent_writers()
    job_type = factories.job_type()
    jobs = [factories.job(job_type, JobStatus.QUEUED) for _ in range(60)]

    def work(index):
        if index == 2:
            return [compact_job_counts() for _ in range(20)]
        mine = jobs[index::2]
        for job in mine:
            cancel_job(job.id)
        return len(mine)

    results = run_together(3, work)

    assert not [result for result in results if isinstance(result, Exception)], results
    _assert_counts_match()
    assert counted_jobs({'status': ['CANCELED']}) == 60
