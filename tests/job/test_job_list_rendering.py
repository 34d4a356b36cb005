"""The jobs list renders its items from plain rows (job.serializers.job_rows) and reads pages in the
back half from the other end (scale.api.pagination.ScalePaginator): both must give exactly what the
DRF serializer and a front-to-back OFFSET give."""

import datetime

import pytest

from job.choices import JobStatus
from job.models import Job
from job.serializers.job_rows import job_list_items
from job.serializers.jobs import JobSerializer
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied_jobs():
    """Jobs with and without each related row, superseded ones, source metadata, input files, and
    times (some null) spread so that every order has ties and nulls."""
    job_types = [factories.job_type(), factories.job_type(name='zeta', version='2.0.0')]
    workspace = factories.workspace()
    recipe = factories.recipe()
    batch = factories.batch()
    node = factories.node()
    error = factories.error('node-lost')
    base = factories.dt('2024-03-01T00:00:00Z')
    jobs = []
    for n in range(23):
        fields = {}
        if n % 2:
            fields.update(recipe=recipe, batch=batch)
        if n % 3 == 0:
            fields.update(node=node, error=error)
        if n % 4 == 1:
            fields.update(
                source_started=base,
                source_ended=base + datetime.timedelta(hours=n),
                source_sensor_class='class-a',
                source_task='task',
            )
        files = [('INPUT_FILE', factories.scale_file(workspace))] if n % 5 else []
        status = [JobStatus.FAILED, JobStatus.QUEUED, JobStatus.COMPLETED, JobStatus.CANCELED][n % 4]
        job = factories.job(
            job_types[n % 2],
            status,
            input_files=files,
            superseded_job=jobs[-1] if n % 6 == 5 else None,
            is_superseded=n % 7 == 0,
            **fields,
        )
        started = base + datetime.timedelta(minutes=n % 5) if n % 4 != 1 else None
        ended = started + datetime.timedelta(seconds=(n * 7) % 11) if started and n % 3 else None
        factories.set_fields(
            job, started=started, ended=ended, last_modified=base + datetime.timedelta(seconds=n % 4)
        )
        jobs.append(job)
    return jobs


def test_items_are_what_the_serializer_renders(varied_jobs):
    ids = [job.id for job in reversed(varied_jobs)]
    expected = JobSerializer(Job.objects.filter(id__in=ids).order_by('-id'), many=True).data
    assert job_list_items(ids) == [dict(item) for item in expected]


def test_ids_of_deleted_jobs_are_left_out(varied_jobs):
    assert [item['id'] for item in job_list_items([varied_jobs[0].id, 10**9])] == [varied_jobs[0].id]
    assert job_list_items([]) == []


@pytest.mark.parametrize(
    'order',
    [
        '',
        'order=-last_modified',
        'order=duration',
        'order=-duration',
        'order=started&order=-id',
        'order=-ended',
        'order=job_type__name&order=-job_type__version',
        'order=error.category&order=-node',
        'order=source_started',
    ],
)
def test_every_page_read_from_either_end_is_the_page_of_the_whole_list(client, varied_jobs, order):
    everything = [item['id'] for item in client.get(f'/v6/jobs/?{order}&page_size=1000').json()['results']]
    assert sorted(everything) == sorted(job.id for job in varied_jobs)
    paged = []
    for page in range(1, 6):
        body = client.get(f'/v6/jobs/?{order}&page_size=5&page={page}').json()
        paged.extend(item['id'] for item in body['results'])
    assert paged == everything
    last = client.get(f'/v6/jobs/?{order}&page_size=5&page=last').json()['results']
    assert [item['id'] for item in last] == everything[20:]
