"""Queueing new jobs (POST /v6/jobs/): validate the request against the job type, then create the job
QUEUED with its input processed, in one transaction."""

import math

from django.db import transaction
from django.utils import timezone

from job import configuration as job_configuration
from job.choices import JobStatus
from job.data import validate_data
from job.exceptions import InvalidDocument
from job.models import Job, JobInputFile, JobType, ScaleFile, SecretSetting, TriggerEvent
from job.resources import job_resources
from node.scheduling import JOB_TYPE_PAUSED
from scale import idempotency

MIB = 1024 * 1024
REQUEST_KEYS = frozenset({'job_type_id', 'input', 'configuration'})
SOURCE_STRINGS = ('source_sensor_class', 'source_sensor', 'source_collection', 'source_task')
SCOPE = 'POST /v6/jobs/'
# What the detail says of a job the scheduler has not looked at yet.
NOT_SEEN_YET = 'waiting for the scheduler to look at it'


class UnknownJobType(LookupError):
    """The request names a job type that does not exist (the API answers 404)."""


def _request_fields(body):
    if not isinstance(body, dict):
        raise InvalidDocument.at(
            '__all__', 'The body must be a JSON object {"job_type_id", "input", "configuration"}.'
        )
    errors = {
        key: ['is not a field; use job_type_id, input, configuration']
        for key in sorted(set(body) - REQUEST_KEYS)
    }
    job_type_id = body.get('job_type_id')
    if job_type_id is None:
        errors['job_type_id'] = ['is required']
    elif not isinstance(job_type_id, int) or isinstance(job_type_id, bool) or not 1 <= job_type_id < 2**63:
        errors['job_type_id'] = [f'{job_type_id!r} is not a job type id (a positive integer)']
    for key in ('input', 'configuration'):
        if body.get(key) is not None and not isinstance(body[key], dict):
            errors[key] = ['must be a JSON object']
    if errors:
        raise InvalidDocument(errors)
    return job_type_id, body.get('input'), body.get('configuration')


def _input_files(data):
    """The ScaleFiles the data names, by id; InvalidDocument for missing or deleted ones."""
    wanted = {file_id for ids in data['files'].values() for file_id in ids}
    files = {file.id: file for file in ScaleFile.objects.filter(id__in=wanted)}
    errors = {}
    for name, ids in data['files'].items():
        for index, file_id in enumerate(ids):
            file = files.get(file_id)
            if file is None:
                errors[f'input.files.{name}[{index}]'] = [f'file {file_id} does not exist']
            elif file.is_deleted:
                errors[f'input.files.{name}[{index}]'] = [f'file {file_id} ({file.file_name}) is deleted']
    if errors:
        raise InvalidDocument(errors, 'INVALID_DATA')
    return files


def _source_fields(files):
    """Source times and metadata of a job, aggregated from its input files (Scale's rule: earliest
    start, latest end, greatest value of each string)."""

    def pick(values, choose):
        values = [value for value in values if value is not None]
        return choose(values) if values else None

    fields = {
        'source_started': pick((file.source_started for file in files), min),
        'source_ended': pick((file.source_ended for file in files), max),
    }
    for name in SOURCE_STRINGS:
        fields[name] = pick((getattr(file, name) for file in files), max)
    return fields


def queue_new_job(job_type, data, configuration=None, user=None):
    """Creates one job of `job_type` on `data` (v6 data JSON) with an optional configuration override,
    QUEUED with num_exes 1, and returns it.

    The input is validated against the job type's current revision (unknown, missing or mistyped
    inputs, files that do not exist or are deleted: InvalidDocument) and processed at once: input-file
    links, input_file_size (MiB, rounded up), source times and metadata. The configuration override is
    validated and merged over the job type's; its secret settings are kept apart (SecretSetting),
    never in the job. Everything is written in one transaction, with a USER trigger event naming `user`.
    """
    if not job_type.is_active:
        raise InvalidDocument.at(
            'job_type_id',
            f'job type {job_type.name} {job_type.version} is deprecated (inactive); activate it first',
        )
    revision = job_type.revisions.get(revision_num=job_type.revision_num)
    revision.job_type = job_type
    manifest = revision.manifest
    data = validate_data(data, manifest)
    files = _input_files(data)
    secrets = {}
    if configuration is None:
        effective = job_configuration.merged_configuration(job_type.configuration, None)
    else:
        validated = job_configuration.validate_configuration(
            configuration, manifest, base=job_type.configuration
        )
        effective, secrets = validated.configuration, validated.secrets
    total_bytes = sum(file.file_size for file in files.values())
    input_file_size = float(math.ceil(total_bytes / MIB))
    now = timezone.now()
    # savepoint=False: inside queue_job_request's transaction a savepoint would only add two round
    # trips; an error still rolls back the whole transaction.
    with transaction.atomic(savepoint=False):
        event = TriggerEvent.objects.create(
            type='USER', description={'user': getattr(user, 'username', None) or 'anonymous'}, occurred=now
        )
        job = Job.objects.create(
            job_type=job_type,
            job_type_rev=revision,
            event=event,
            status=JobStatus.QUEUED,
            priority=effective['priority'],
            max_tries=job_type.max_tries,
            num_exes=1,
            input=data,
            input_file_size=input_file_size,
            configuration=effective,
            resources=job_resources(manifest, input_file_size),
            created=now,
            queued=now,
            last_status_change=now,
            **_source_fields(files.values()),
        )
        links = JobInputFile.objects.bulk_create(
            JobInputFile(job=job, input_file=files[file_id], job_input=name, created=now)
            for name, ids in data['files'].items()
            for file_id in ids
        )
        SecretSetting.objects.bulk_create(
            SecretSetting(job=job, name=name, value=value) for name, value in secrets.items()
        )
    _cache_new_job_relations(job, links)
    return job


def _cache_new_job_relations(job, links):
    """Primes `job` with the relations its detail shows, all known without a query: a new job has
    no execution, no superseding job, and the input-file links just written (the cache
    prefetch_related('input_file_links') would have filled)."""
    job.latest_execution = None
    Job.superseded_by_job.related.set_cached_value(job, None)
    job._prefetched_objects_cache = {'input_file_links': links}


def queue_job_request(user, body, idempotency_key=None):
    """POST /v6/jobs/: checks the body's fields, then queues the job (queue_new_job) at most once per
    Idempotency-Key. Returns (job id, new job): the new Job with every relation its detail shows
    already loaded, or None when the key was seen before (the id is then the first request's job).
    Raises UnknownJobType for a job type that does not exist, InvalidDocument for a bad body,
    Conflict for a key reused with another body."""
    job_type_id, data, configuration = _request_fields(body)
    new_jobs = []

    def create():
        job_type = JobType.objects.filter(pk=job_type_id).first()
        if job_type is None:
            raise UnknownJobType(job_type_id)
        new_jobs.append(queue_new_job(job_type, data, configuration, user))
        return new_jobs[-1].id

    job_id, created = idempotency.run_once(user, SCOPE, idempotency_key, body, create)
    return job_id, new_jobs[-1] if created else None


def queue_reason(job):
    """Why the QUEUED `job` is not running yet; None in any other status. The text the scheduler
    wrote on its last look, except that a pause of the job type (job.job_type, loaded with the job) is
    told at once: the scheduler leaves paused job types out of its window and rewrites their jobs'
    reasons only now and then."""
    if job.status != JobStatus.QUEUED:
        return None
    if job.job_type.is_paused:
        return JOB_TYPE_PAUSED
    if not job.queue_reason or job.queue_reason == JOB_TYPE_PAUSED:
        return NOT_SEEN_YET
    return job.queue_reason
