"""Registering and editing job types (POST/PATCH /v6/job-types/, POST /v6/job-types/validation/):
a Seed manifest and a v6 configuration are validated, then the job type, its revisions, the
manifest's errors and the secret settings are written in one transaction."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from job.choices import ErrorCategory
from job.configuration import validate_configuration
from job.documents import error_list
from job.exceptions import InvalidDocument
from job.manifest import manifest_warnings, secret_setting_names, validate_manifest
from job.manifest.semver import sort_key
from job.models import Error, JobType, JobTypeRevision, SecretSetting

# Routed before job-types/{name}/, so a job type with this name could never be reached.
RESERVED_NAMES = frozenset({'validation'})
EDITABLE_FIELDS = frozenset(
    {
        'is_active',
        'is_paused',
        'max_scheduled',
        'icon_code',
        'is_published',
        'configuration',
        'manifest',
        'docker_image',
        'auto_update',
    }
)
SYSTEM_EDITABLE_FIELDS = frozenset({'is_paused', 'auto_update'})


@dataclass
class SaveResult:
    """What create_job_type did: `created` (a new name+version) or an edit of an existing one;
    `validation` is the v6 validation object `{is_valid, errors, warnings}`."""

    job_type: JobType
    created: bool
    validation: dict


def _validation(warnings=()):
    return {'is_valid': True, 'errors': [], 'warnings': list(warnings)}


def _check_reserved(manifest):
    if manifest['job']['name'] in RESERVED_NAMES:
        raise InvalidDocument.at(
            'manifest.job.name',
            f"'{manifest['job']['name']}' is reserved (job-types/{manifest['job']['name']}/ is an endpoint)",
            'INVALID_NAME',
        )


def _register_errors(name, manifest):
    """Upserts the manifest's error definitions, shared by every version of `name`."""
    for item in manifest['job']['errors']:
        Error.objects.update_or_create(
            job_type_name=name,
            name=item['name'],
            defaults={
                'title': item['title'],
                'description': item.get('description'),
                'category': ErrorCategory.DATA if item['category'] == 'data' else ErrorCategory.ALGORITHM,
                'is_builtin': False,
                'should_be_retried': False,
            },
        )


def _store_secrets(job_type, secrets):
    for name, value in secrets.items():
        SecretSetting.objects.update_or_create(
            job_type=job_type, job=None, name=name, defaults={'value': value}
        )


def validate_job_type(manifest, configuration=None):
    """Runs every check of a create on `manifest` and `configuration` and saves nothing.

    Returns `{is_valid, errors: [{name, description}], warnings: [{name, description}]}`: manifest
    errors (JSON_VALIDATION_ERROR, NAME_COLLISION_ERROR, ...; the configuration is then not
    examined), else configuration errors (INVALID_CONFIGURATION, INVALID_WORKSPACE, ...); warnings
    are NONSTANDARD_RESOURCE and the configuration's. Each description starts with the path of the
    bad value in the request body.
    """
    try:
        normalized = validate_manifest(manifest)
        _check_reserved(normalized)
    except InvalidDocument as exc:
        return {'is_valid': False, 'errors': error_list(exc), 'warnings': []}
    warnings = manifest_warnings(normalized)
    try:
        warnings += validate_configuration(configuration, normalized).warnings
    except InvalidDocument as exc:
        return {'is_valid': False, 'errors': error_list(exc), 'warnings': warnings}
    return _validation(warnings)


def create_job_type(docker_image, manifest, configuration=None, **fields):
    """Registers the Seed image `docker_image` described by `manifest`, or edits the job type of the
    manifest's name+version when it exists (as edit_job_type would, with every given field).

    `fields`: icon_code, is_published, max_scheduled, is_active, is_paused (optional). Raises
    InvalidDocument for an invalid manifest or configuration, or a reserved name. A new job type
    gets revision 1, its title and description from the manifest, the manifest's errors in the Error
    table and its secret settings in SecretSetting (never in its configuration).

    Returns a SaveResult.
    """
    normalized = validate_manifest(manifest)
    _check_reserved(normalized)
    name, version = normalized['job']['name'], normalized['job']['jobVersion']
    existing = JobType.objects.filter(name=name, version=version).first()
    changes = {'manifest': manifest, 'docker_image': docker_image, **fields}
    if configuration is not None:
        changes['configuration'] = configuration
    if existing is not None:
        return SaveResult(existing, False, edit_job_type(existing, changes))
    validated = validate_configuration(configuration, normalized)
    now = timezone.now()
    try:
        with transaction.atomic():
            job_type = JobType.objects.create(
                name=name,
                version=version,
                title=normalized['job']['title'],
                description=normalized['job']['description'],
                docker_image=docker_image,
                manifest=normalized,
                configuration=validated.configuration,
                icon_code=fields.get('icon_code'),
                is_published=bool(fields.get('is_published', False)),
                max_scheduled=fields.get('max_scheduled'),
                is_active=fields.get('is_active', True),
                deprecated=None if fields.get('is_active', True) else now,
                is_paused=fields.get('is_paused', False),
                paused=now if fields.get('is_paused') else None,
                created=now,
            )
            JobTypeRevision.objects.create(
                job_type=job_type, revision_num=1, manifest=normalized, docker_image=docker_image, created=now
            )
            _register_errors(name, normalized)
            _store_secrets(job_type, validated.secrets)
    except IntegrityError:
        # A concurrent request registered the same name+version first: this one edits it.
        existing = JobType.objects.filter(name=name, version=version).first()
        if existing is None:
            raise
        return SaveResult(existing, False, edit_job_type(existing, changes))
    warnings = manifest_warnings(normalized) + validated.warnings
    return SaveResult(job_type, True, _validation(warnings))


def _check_edit(job_type, changes):
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise InvalidDocument({key: ['is not an editable field'] for key in unknown})
    if job_type.is_system:
        refused = sorted(set(changes) - SYSTEM_EDITABLE_FIELDS)
        if refused:
            raise InvalidDocument(
                {key: ['only is_paused can be changed on a system job type'] for key in refused},
                'SYSTEM_JOB_TYPE',
            )


def _edited_manifest(job_type, manifest):
    normalized = validate_manifest(manifest)
    errors = {}
    if normalized['job']['name'] != job_type.name:
        errors['manifest.job.name'] = [f"must stay '{job_type.name}', the job type's name"]
    if normalized['job']['jobVersion'] != job_type.version:
        errors['manifest.job.jobVersion'] = [f"must stay '{job_type.version}', the job type's version"]
    if errors:
        raise InvalidDocument(errors, 'INVALID_MANIFEST')
    return normalized


def edit_job_type(job_type, changes):
    """Applies `changes` to `job_type` (PATCH semantics) and returns `{is_valid: true, errors: [],
    warnings}`; raises InvalidDocument (nothing written) for any invalid change.

    `changes` may hold is_active, is_paused, max_scheduled, icon_code, is_published, configuration,
    manifest, docker_image (and auto_update, accepted for Scale clients; there is nothing to
    update). Explicit false and null values apply. is_active false stamps `deprecated` (true clears
    it); is_paused stamps or clears `paused`. A manifest must keep the job type's name and version; a
    manifest or a docker_image different from the current one makes a new JobTypeRevision
    (revision_num + 1) and resets unmet_resources. The configuration given (or the stored one, when
    only the manifest changes) is validated against the manifest; its secret settings go to
    SecretSetting. System job types accept only is_paused.

    The row is locked (select_for_update) for the whole edit, so concurrent edits serialize and no
    revision is lost.
    """
    _check_edit(job_type, changes)
    manifest = _edited_manifest(job_type, changes['manifest']) if 'manifest' in changes else None
    warnings = manifest_warnings(manifest) if manifest is not None else []
    with transaction.atomic():
        job_type = JobType.objects.select_for_update().get(pk=job_type.pk)
        _check_edit(job_type, changes)
        now = timezone.now()
        current_manifest = manifest if manifest is not None else job_type.manifest
        if 'configuration' in changes or manifest is not None:
            secret_names = secret_setting_names(current_manifest)
            # Stored values of settings the manifest no longer marks secret are dropped, never exposed.
            job_type.secret_settings.exclude(name__in=secret_names).delete()
            stored = set(job_type.secret_settings.values_list('name', flat=True))
            source = changes.get('configuration', job_type.configuration)
            validated = validate_configuration(source, current_manifest, stored_secrets=stored)
            job_type.configuration = validated.configuration
            _store_secrets(job_type, validated.secrets)
            warnings += validated.warnings
        if 'is_active' in changes and changes['is_active'] != job_type.is_active:
            job_type.is_active = changes['is_active']
            job_type.deprecated = None if job_type.is_active else now
        if 'is_paused' in changes and changes['is_paused'] != job_type.is_paused:
            job_type.is_paused = changes['is_paused']
            job_type.paused = now if job_type.is_paused else None
        for name in ('max_scheduled', 'icon_code', 'is_published'):
            if name in changes:
                setattr(job_type, name, changes[name])
        new_image = 'docker_image' in changes and changes['docker_image'] != job_type.docker_image
        if 'docker_image' in changes:
            job_type.docker_image = changes['docker_image']
        new_manifest = manifest is not None and manifest != job_type.manifest
        if manifest is not None:
            job_type.manifest = manifest
            job_type.title = manifest['job']['title']
            job_type.description = manifest['job']['description']
            _register_errors(job_type.name, manifest)
        if new_manifest or new_image:
            job_type.revision_num += 1
            job_type.unmet_resources = None
            JobTypeRevision.objects.create(
                job_type=job_type,
                revision_num=job_type.revision_num,
                manifest=job_type.manifest,
                docker_image=job_type.docker_image,
                created=now,
            )
        job_type.save()
    return _validation(warnings)


@dataclass
class JobTypeName:
    """A row of GET /v6/job-type-names/: the latest version's job type, with every version."""

    name: str
    latest_id: int
    versions: list


def job_type_names(queryset):
    """One JobTypeName per name among the job types of `queryset`, sorted by name; `versions` newest
    first by SemVer precedence, the latest being the first. One query (ids, names and versions)."""
    by_name = {}
    for pk, name, version in queryset.order_by().values_list('pk', 'name', 'version'):
        by_name.setdefault(name, []).append((sort_key(version), pk, version))
    rows = []
    for name in sorted(by_name):
        versions = sorted(by_name[name], reverse=True)
        rows.append(JobTypeName(name, versions[0][1], [version for _, _, version in versions]))
    return rows


def load_job_type_names(rows, queryset):
    """The latest job type of each JobTypeName in `rows` (one query through `queryset`), in order,
    with `versions` and `latest_version` set on it."""
    job_types = queryset.in_bulk([row.latest_id for row in rows])
    loaded = []
    for row in rows:
        job_type = job_types[row.latest_id]
        job_type.versions = row.versions
        job_type.latest_version = job_type.version
        loaded.append(job_type)
    return loaded
