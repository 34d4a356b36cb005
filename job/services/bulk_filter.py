"""The filter of a bulk cancel or requeue: checked, frozen, and turned into a query.

The request body (POST /v6/jobs/cancel/ and /v6/jobs/requeue/) is parsed strictly, because a
misspelt or misread filter widens a bulk operation: every value is checked, an unknown key is a 400
(except `url`, which the shipped Scale web UI adds to every body), and a body that filters nothing is
refused. What the shipped UI sends is accepted (DESIGN.md section 6): `status` as one string or a
list, `error_categories` nested in another list.

The frozen filter is what the operation runs with and shows: durations resolved into datetimes
(`started: "P1D"` means one day before the request, not before each batch) and job types given by
name/version resolved into ids. `started`/`ended` bound `last_modified`, inclusive, as on the jobs
list. Different keys AND, the values of one key OR.
"""

from django.db.models import Q

from job.choices import ErrorCategory, JobStatus
from job.exceptions import InvalidDocument
from job.models import Error, JobType
from scale.api.iso8601 import format_datetime, parse_datetime, parse_time_value

IGNORED_KEYS = frozenset({'url'})
ID_LISTS = ('job_ids', 'job_type_ids', 'batch_ids', 'recipe_ids', 'error_ids')
FILTER_KEYS = frozenset(
    {
        'started',
        'ended',
        'status',
        *ID_LISTS,
        'job_types',
        'job_type_names',
        'error_categories',
        'is_superseded',
    }
)
REQUEUE_KEYS = frozenset({'priority'})
MAX_VALUES = 100_000
MAX_PRIORITY = 2**31 - 1


class _Errors:
    def __init__(self):
        self.errors = {}

    def add(self, path, message):
        self.errors.setdefault(path, []).append(message)


def _absent(value):
    return value is None or value == '' or value == []


def _id(value):
    """A positive id from an integer or a string of digits (the v6 description calls error ids
    strings); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= 2**63 - 1:
        return value
    return None


def _list(body, key, errors):
    value = body[key]
    if not isinstance(value, list):
        errors.add(key, 'Must be a list.')
        return None
    if len(value) > MAX_VALUES:
        errors.add(key, f'At most {MAX_VALUES} values.')
        return None
    return value


def _ids(body, key, errors):
    values = _list(body, key, errors)
    if values is None:
        return None
    ids = []
    for index, value in enumerate(values):
        parsed = _id(value)
        if parsed is None:
            errors.add(f'{key}[{index}]', f'{value!r} is not an id (a positive integer).')
        else:
            ids.append(parsed)
    return sorted(set(ids))


def _choices(values, key, choices, errors):
    accepted = ', '.join(choices)
    result = []
    for index, value in enumerate(values):
        if not isinstance(value, str) or value not in choices:
            errors.add(f'{key}[{index}]', f'{value!r} is not one of {accepted}.')
        else:
            result.append(value)
    return sorted(set(result))


def _statuses(body, errors):
    value = body['status']
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        errors.add('status', 'Must be a status or a list of statuses.')
        return None
    return _choices(value, 'status', JobStatus.values, errors)


def _categories(body, errors):
    values = _list(body, 'error_categories', errors)
    if values is None:
        return None
    # The shipped web UI's "Cancel all" wraps its list of categories in another list.
    flat = []
    for value in values:
        flat.extend(value if isinstance(value, list) else [value])
    return _choices(flat, 'error_categories', ErrorCategory.values, errors)


def _names(body, errors):
    values = _list(body, 'job_type_names', errors)
    if values is None:
        return None
    names = []
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            errors.add(f'job_type_names[{index}]', f'{value!r} is not a job type name.')
        else:
            names.append(value.strip())
    known = set(JobType.objects.filter(name__in=names).values_list('name', flat=True))
    for index, name in enumerate(names):
        if name not in known:
            errors.add(f'job_type_names[{index}]', f'No job type is named {name!r}.')
    return sorted(set(names))


def _job_types(body, errors):
    values = _list(body, 'job_types', errors)
    if values is None:
        return None
    wanted = []
    for index, value in enumerate(values):
        path = f'job_types[{index}]'
        if not isinstance(value, dict) or set(value) != {'name', 'version'}:
            errors.add(path, 'Must be an object {"name": ..., "version": ...}.')
        elif not all(isinstance(value[key], str) and value[key] for key in ('name', 'version')):
            errors.add(path, '"name" and "version" must be non-empty strings.')
        else:
            wanted.append((index, value['name'], value['version']))
    found = {}
    names = {name for _, name, _ in wanted}
    for type_id, name, version in JobType.objects.filter(name__in=names).values_list('id', 'name', 'version'):
        found[(name, version)] = type_id
    resolved = []
    for index, name, version in wanted:
        type_id = found.get((name, version))
        if type_id is None:
            errors.add(f'job_types[{index}]', f'Job type {name} {version} does not exist.')
        else:
            resolved.append({'name': name, 'version': version, 'id': type_id})
    return resolved


def _time(body, key, now, errors):
    try:
        return parse_time_value(body[key], now)
    except ValueError:
        errors.add(
            key, f'{body[key]!r} is not an ISO-8601 datetime or duration (e.g. 2024-01-01T00:00:00Z, P1D).'
        )
        return None


def _priority(body, errors):
    value = body['priority']
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PRIORITY:
        errors.add('priority', f'{value!r} is not an integer from 1 to {MAX_PRIORITY}.')
        return None
    return value


def parse_bulk_filter(body, *, requeue, now):
    """Checks a cancel (`requeue` False) or requeue body and returns (frozen filter, priority).
    Raises InvalidDocument naming every bad field: an unknown key, a value of the wrong type, an
    unknown status, error category or job type, `started` after `ended`, a `priority` below 1, or
    no filter at all."""
    errors = _Errors()
    if not isinstance(body, dict):
        raise InvalidDocument({'__all__': ['The body must be a JSON object of filters.']})
    allowed = FILTER_KEYS | IGNORED_KEYS | (REQUEUE_KEYS if requeue else frozenset())
    for key in sorted(set(body) - allowed):
        listed = ', '.join(sorted(FILTER_KEYS | (REQUEUE_KEYS if requeue else frozenset())))
        errors.add(key, f'Unknown field; the fields are {listed}.')
    present = {key for key, value in body.items() if key in allowed - IGNORED_KEYS and not _absent(value)}
    frozen = {}
    for key in ('started', 'ended'):
        if key in present:
            frozen[key] = _time(body, key, now, errors)
    if 'status' in present:
        frozen['status'] = _statuses(body, errors)
    for key in ID_LISTS:
        if key in present:
            frozen[key] = _ids(body, key, errors)
    if 'job_types' in present:
        frozen['job_types'] = _job_types(body, errors)
    if 'job_type_names' in present:
        frozen['job_type_names'] = _names(body, errors)
    if 'error_categories' in present:
        frozen['error_categories'] = _categories(body, errors)
    if 'is_superseded' in present:
        if isinstance(body['is_superseded'], bool):
            frozen['is_superseded'] = body['is_superseded']
        else:
            errors.add('is_superseded', 'Must be true or false.')
    priority = _priority(body, errors) if 'priority' in present else None
    if frozen.get('started') and frozen.get('ended') and frozen['started'] > frozen['ended']:
        errors.add('started', 'Must not be after "ended".')
    if not errors.errors and not present - REQUEUE_KEYS:
        errors.add(
            '__all__',
            'Give at least one filter (started, ended, status, job_ids, job_type_ids, job_types, '
            'job_type_names, batch_ids, recipe_ids, error_categories, error_ids, is_superseded): '
            'an empty filter would reach every job.',
        )
    if errors.errors:
        raise InvalidDocument(errors.errors)
    for key in ('started', 'ended'):
        if key in frozen:
            frozen[key] = format_datetime(frozen[key])
    return frozen, priority


def filter_q(frozen):
    """The Q of a frozen filter (from parse_bulk_filter). Job type names and error categories are
    looked up now and given as literal ids: the error and job type tables are too small for
    autovacuum to ever analyze them, and without statistics PostgreSQL plans a subquery on them
    badly (a bulk requeue by error category ran three times slower)."""
    q = Q()
    if 'started' in frozen:
        q &= Q(last_modified__gte=parse_datetime(frozen['started']))
    if 'ended' in frozen:
        q &= Q(last_modified__lte=parse_datetime(frozen['ended']))
    if 'status' in frozen:
        q &= Q(status__in=frozen['status'])
    if 'job_ids' in frozen:
        q &= Q(id__in=frozen['job_ids'])
    type_ids = set(frozen.get('job_type_ids', ())) | {item['id'] for item in frozen.get('job_types', ())}
    if 'job_type_ids' in frozen or 'job_types' in frozen:
        q &= Q(job_type_id__in=sorted(type_ids))
    if 'job_type_names' in frozen:
        names = frozen['job_type_names']
        q &= Q(job_type_id__in=list(JobType.objects.filter(name__in=names).values_list('id', flat=True)))
    if 'batch_ids' in frozen:
        q &= Q(batch_id__in=frozen['batch_ids'])
    if 'recipe_ids' in frozen:
        q &= Q(recipe_id__in=frozen['recipe_ids'])
    if 'error_categories' in frozen:
        categories = frozen['error_categories']
        q &= Q(error_id__in=list(Error.objects.filter(category__in=categories).values_list('id', flat=True)))
    if 'error_ids' in frozen:
        q &= Q(error_id__in=frozen['error_ids'])
    if 'is_superseded' in frozen:
        q &= Q(is_superseded=frozen['is_superseded'])
    return q
