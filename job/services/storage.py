"""Workspaces and files: creating and editing workspaces, registering existing files (POST /v6/files/).

Every function takes the raw JSON body of the request, validates all of it (types, lengths, paths) and
raises job.exceptions.InvalidDocument naming the path of every bad value; the API answers 400.
Client file paths are relative to a workspace and never escape it (DESIGN.md section 4).
"""

import datetime
import hashlib
import mimetypes
import os
import posixpath
import re
import secrets
import stat

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import slugify

from job.choices import FileType
from job.documents import MAX_ERRORS, text_problem, value_problems
from job.exceptions import InvalidDocument
from job.models import ScaleFile, Workspace
from scale.api.fields import MAX_BIGINT
from scale.api.iso8601 import format_datetime, parse_datetime

BROKER_TYPES = ('host',)
WORKSPACE_NAME = re.compile(r'^[a-z0-9][a-z0-9_-]*$')
WORKSPACE_CREATE_KEYS = ('name', 'title', 'description', 'base_url', 'is_active', 'configuration')
WORKSPACE_EDIT_KEYS = ('title', 'description', 'base_url', 'is_active', 'configuration')
FILE_KEYS = (
    *('workspace', 'file_path', 'file_size', 'file_name', 'media_type', 'data_type_tags'),
    *('data_started', 'data_ended', 'source_started', 'source_ended'),
    *('source_sensor_class', 'source_sensor', 'source_collection', 'source_task', 'meta_data', 'countries'),
)
SOURCE_STRINGS = ('source_sensor_class', 'source_sensor', 'source_collection', 'source_task')
TIME_PAIRS = (('data_started', 'data_ended'), ('source_started', 'source_ended'))
MAX_FILE_PATH = 1000
MAX_HOST_PATH = 1000
MAX_STRING = 250
MASK = '************'
# Scale's additions to Python's table (storage/media_type.py); Python's own table decides the rest.
EXTRA_MEDIA_TYPES = {
    '.h5': 'image/x-hdf5-image',
    '.ntf': 'image/x-nitf-image',
    '.nitf': 'image/x-nitf-image',
    '.geojson': 'application/vnd.geo+json',
    '.json': 'application/json',
    '.xml': 'application/xml',
}
DEFAULT_MEDIA_TYPE = 'application/octet-stream'
# Python's built-in table only, not /etc/mime.types: the same answer on every machine.
_MIME_TYPES = mimetypes.MimeTypes()
_URL = URLValidator(schemes=['http', 'https'])
_MISSING = object()


# --- Reading a JSON body ------------------------------------------------------------------------------


def _json_type(value):
    names = {bool: 'a boolean', int: 'a number', float: 'a number', str: 'a string', list: 'a list'}
    return 'null' if value is None else names.get(type(value), 'an object')


def _text(max_length, *, blank=False):
    """A check: a string without NUL characters, at most `max_length` long, non-blank unless `blank`."""

    def check(value):
        if not isinstance(value, str):
            raise ValueError(f'must be a string, not {_json_type(value)}')
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
        if not blank and not value.strip():
            raise ValueError('must not be empty')
        if len(value) > max_length:
            raise ValueError(f'must be at most {max_length} characters long (it has {len(value)})')
        return value

    return check


def _boolean(value):
    if not isinstance(value, bool):
        raise ValueError(f'must be a JSON boolean (true or false), not {_json_type(value)}')
    return value


def _size(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f'must be an integer number of bytes, not {_json_type(value)}')
    if not 0 <= value <= MAX_BIGINT:
        raise ValueError(f'{value} is out of range (0..{MAX_BIGINT})')
    return value


def _datetime(value):
    text = _text(100)(value)
    try:
        return parse_datetime(text.strip())
    except ValueError:
        raise ValueError(f'"{text}" is not an ISO-8601 datetime such as 2015-01-01T00:00:00Z') from None


def _country(value):
    code = _text(3)(value)
    if not re.fullmatch(r'[A-Za-z]{3}', code):
        raise ValueError(f'"{code}" is not an ISO 3166-1 alpha-3 country code (three letters)')
    return code.upper()


def _base_url(value):
    url = _text(200)(value)
    try:
        _URL(url)
    except ValidationError:
        raise ValueError(f'"{url}" is not an http or https URL') from None
    return url


class _Body:
    """Reads typed values out of a JSON object, recording each problem under its path in `errors`
    (shared with nested readers). Keys other than `keys` are errors."""

    def __init__(self, body, keys, *, path='', errors=None):
        self.path = path
        self.errors = {} if errors is None else errors
        self.body = body if isinstance(body, dict) else {}
        if not isinstance(body, dict):
            self.fail_at(
                path or '__all__',
                f'must be a JSON object with the keys {", ".join(keys)}, not {_json_type(body)}',
            )
        for key in sorted(set(self.body) - set(keys)):
            self.fail(key, f'is not a field; use {", ".join(keys)}')

    def where(self, key):
        return f'{self.path}.{key}' if self.path else key

    def fail(self, key, message):
        self.fail_at(self.where(key), message)

    def fail_at(self, where, message):
        """Records a problem; at most MAX_ERRORS paths are named, so an answer stays small."""
        if len(self.errors) < MAX_ERRORS or where in self.errors:
            # Messages and paths echo the client's text, which may hold lone surrogates: escape them.
            where, message = (text.encode(errors='backslashreplace').decode() for text in (where, message))
            self.errors.setdefault(where, []).append(message)

    def __contains__(self, key):
        return key in self.body

    def get(self, key, check, *, required=False, nullable=True):
        """The checked value; None for an explicit null (when `nullable`); _MISSING when absent or bad."""
        value = self.body.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.fail(key, 'is required')
            return _MISSING
        if value is None:
            if nullable:
                return None
            self.fail(key, 'is required and must not be null' if required else 'must not be null')
            return _MISSING
        try:
            return check(value)
        except ValueError as exc:
            self.fail(key, str(exc))
            return _MISSING

    def items(self, key, check):
        """A list whose every item passes `check` (problems named `key[i]`); None/_MISSING as get()."""
        values = self.get(key, _list)
        if values is _MISSING or values is None:
            return values
        checked = []
        for index, item in enumerate(values):
            try:
                checked.append(check(item))
            except ValueError as exc:
                self.fail(f'{key}[{index}]', str(exc))
        return checked if len(checked) == len(values) else _MISSING

    def json_object(self, key, **kwargs):
        def check(value):
            if not isinstance(value, dict):
                raise ValueError(f'must be a JSON object, not {_json_type(value)}')
            problems = list(value_problems(value, self.where(key)))
            for where, message in problems:
                self.fail_at(where, message)
            return _MISSING if problems else value

        return self.get(key, check, **kwargs)

    def raise_errors(self):
        if self.errors:
            raise InvalidDocument(self.errors)


def _list(value):
    if not isinstance(value, list):
        raise ValueError(f'must be a list, not {_json_type(value)}')
    return value


# --- Workspaces ---------------------------------------------------------------------------------------


def _host_path(value):
    path = _text(MAX_HOST_PATH)(value)
    if not path.startswith('/'):
        raise ValueError(f'"{path}" is not an absolute path (it must start with /)')
    if '..' in path.split('/'):
        raise ValueError(f'"{path}" must not contain ".." segments')
    # One leading slash: normpath keeps a POSIX "//" prefix.
    return '/' + posixpath.normpath(path).lstrip('/')


def _read_configuration(body, *, required):
    """The workspace configuration `{"broker": {"type": "host", "host_path": "/abs"}}` as stored
    (normalized host_path, `version` dropped), or _MISSING (absent or invalid)."""
    value = body.get('configuration', lambda value: value, required=required, nullable=False)
    if value is _MISSING:
        return _MISSING
    errors_before = len(body.errors)
    configuration = _Body(value, ('version', 'broker'), path=body.where('configuration'), errors=body.errors)
    configuration.get('version', _text(50))
    broker_value = configuration.get('broker', lambda value: value, required=True, nullable=False)
    if broker_value is _MISSING:
        return _MISSING
    broker_type = broker_value.get('type') if isinstance(broker_value, dict) else None
    if isinstance(broker_value, dict) and broker_type not in BROKER_TYPES:
        shown = f'"{broker_type}"' if isinstance(broker_type, str) else _json_type(broker_type)
        message = 'is required' if 'type' not in broker_value else f'{shown} is not supported'
        configuration.fail(
            'broker.type', f'{message}; the accepted broker types are: {", ".join(BROKER_TYPES)}'
        )
        return _MISSING
    broker = _Body(
        broker_value, ('type', 'host_path'), path=configuration.where('broker'), errors=body.errors
    )
    host_path = broker.get('host_path', _host_path, required=True, nullable=False)
    if len(body.errors) > errors_before:
        return _MISSING
    return {'broker': {'type': broker_type, 'host_path': host_path}}


def public_configuration(json_config):
    """A workspace's stored configuration as served: `version` dropped and any broker credentials
    masked (only host brokers are created here, but older rows may hold others)."""
    configuration = {key: value for key, value in (json_config or {}).items() if key != 'version'}
    broker = configuration.get('broker')
    if isinstance(broker, dict) and isinstance(broker.get('credentials'), dict):
        configuration['broker'] = {**broker, 'credentials': dict.fromkeys(broker['credentials'], MASK)}
    return configuration


def _read_workspace_fields(body):
    """The editable fields present in `body`, checked: {field: value}."""
    fields = {
        'title': body.get('title', _text(50), nullable=False),
        'description': body.get('description', _text(500, blank=True)),
        'base_url': body.get('base_url', _base_url),
        'is_active': body.get('is_active', _boolean, nullable=False),
    }
    if fields['description'] is None:
        fields['description'] = ''
    return {name: value for name, value in fields.items() if value is not _MISSING}


def _name_from_title(title):
    """Scale's rule: the title slugified, `_` as `-`, at most 30 characters."""
    return slugify(title).replace('_', '-')[:30] or 'workspace'


def create_workspace(body):
    """Creates a workspace from a POST /v6/workspaces/ body and returns it.

    Body: `title` (required, <= 50), `configuration` (required; a host broker with an absolute
    `host_path`, stored normalized), optional `name` (`^[a-z0-9][a-z0-9_-]*$`, <= 50, unique; derived
    from the title when absent, with a random suffix on a clash), `description` (<= 500),
    `base_url` (http(s) URL or null), `is_active` (JSON boolean, default true; false stamps
    `deprecated`). InvalidDocument for any bad or unknown key, or an explicit name already taken.
    """
    body = _Body(body, WORKSPACE_CREATE_KEYS)
    name = body.get('name', _text(50))
    if isinstance(name, str) and not WORKSPACE_NAME.match(name):
        body.fail('name', f'"{name}" must match ^[a-z0-9][a-z0-9_-]*$ (lower-case letters, digits, _ and -)')
    if 'title' not in body:
        body.fail('title', 'is required')
    fields = _read_workspace_fields(body)
    configuration = _read_configuration(body, required=True)
    body.raise_errors()
    is_active = fields.pop('is_active', True)
    now = timezone.now()
    explicit = isinstance(name, str)
    base = name if explicit else _name_from_title(fields['title'])
    # The name is unique: a clash is an IntegrityError (also between concurrent requests).
    for attempt in range(1 if explicit else 5):
        workspace = Workspace(
            name=base if attempt == 0 else _suffixed(base),
            json_config=configuration,
            is_active=is_active,
            deprecated=None if is_active else now,
            created=now,
            **fields,
        )
        try:
            with transaction.atomic():
                workspace.save()
        except IntegrityError:
            continue
        return workspace
    if explicit:
        raise InvalidDocument.at(
            'name', f'a workspace named "{name}" already exists', name='NAME_COLLISION_ERROR'
        )
    raise InvalidDocument.at('name', 'no free name could be derived from the title; give a name')


def _suffixed(name):
    return f'{name}-{secrets.token_hex(10)[:19]}'


def edit_workspace(workspace_id, body):
    """Applies a PATCH /v6/workspaces/{id}/ body and returns the saved workspace.

    Accepts `title`, `description`, `base_url`, `is_active` and `configuration`, checked as for
    create_workspace; explicit false and null apply (null description is '', null base_url clears
    it; title, is_active and configuration cannot be null). `is_active` false stamps `deprecated`
    when the workspace was active; true clears it. The row is locked while it changes.
    Http404 for an unknown id, InvalidDocument for a bad body.
    """
    body = _Body(body, WORKSPACE_EDIT_KEYS)
    fields = _read_workspace_fields(body)
    configuration = _read_configuration(body, required=False)
    body.raise_errors()
    if configuration is not _MISSING:
        fields['json_config'] = configuration
    with transaction.atomic():
        workspace = get_object_or_404(Workspace.objects.select_for_update(), pk=workspace_id)
        if 'is_active' in fields:
            if not fields['is_active']:
                fields['deprecated'] = workspace.deprecated if not workspace.is_active else timezone.now()
            else:
                fields['deprecated'] = None
        for field, value in fields.items():
            setattr(workspace, field, value)
        workspace.save()
    return workspace


# --- Files --------------------------------------------------------------------------------------------


def guess_media_type(file_name):
    """The media type of a file name's extension: Scale's additions, then Python's built-in table,
    else application/octet-stream."""
    extension = posixpath.splitext(file_name)[1].lower()
    if extension in EXTRA_MEDIA_TYPES:
        return EXTRA_MEDIA_TYPES[extension]
    return _MIME_TYPES.guess_type(file_name, strict=False)[0] or DEFAULT_MEDIA_TYPE


def _file_path(value):
    path = _text(MAX_FILE_PATH)(value)
    if '\\' in path:
        raise ValueError('must not contain backslashes; separate directories with /')
    if path.startswith('/'):
        raise ValueError(f'"{path}" is absolute; give a path relative to the workspace')
    if '..' in path.split('/'):
        raise ValueError(f'"{path}" must not contain ".." segments')
    if path.endswith('/'):
        raise ValueError(f'"{path}" names a directory; give the path of a file')
    normalized = posixpath.normpath(path)
    if normalized == '.':
        raise ValueError(f'"{path}" names the workspace itself; give the path of a file')
    return normalized


def _file_name(value):
    name = _text(MAX_STRING)(value)
    if '/' in name:
        raise ValueError(f'"{name}" must not contain /')
    return name


def _workspace(value):
    """The workspace an id or a name designates; ValueError when there is none or it is inactive."""
    if isinstance(value, int) and not isinstance(value, bool):
        workspace = Workspace.objects.filter(pk=value).first() if 0 <= value <= MAX_BIGINT else None
        label = f'with id {value}'
    elif isinstance(value, str):
        name = _text(50)(value)
        workspace = Workspace.objects.filter(name=name).first()
        label = f'named "{name}"'
    else:
        raise ValueError(f'must be a workspace id (integer) or name (string), not {_json_type(value)}')
    if workspace is None:
        raise ValueError(f'there is no workspace {label}')
    if not workspace.is_active:
        raise ValueError(f'workspace "{workspace.name}" is not active')
    return workspace


def _host_root(workspace):
    """The workspace's host_path when it exists on this machine, else None (the API may run elsewhere
    than the nodes that mount it)."""
    broker = (workspace.json_config or {}).get('broker') or {}
    host_path = broker.get('host_path') if broker.get('type') == 'host' else None
    if not isinstance(host_path, str) or not host_path.startswith('/') or '\x00' in host_path:
        return None
    return host_path if os.path.exists(host_path) else None


def _size_on_disk(workspace, root, file_path):
    """The size of the regular file `file_path` inside `root`; ValueError when it is missing, not a
    regular file, or resolves (through symlinks) outside the workspace."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(root, file_path))
    if os.path.commonpath([real_root, real]) != real_root:
        raise ValueError(f'"{file_path}" resolves outside workspace "{workspace.name}"')
    try:
        info = os.stat(real)
    except FileNotFoundError:
        raise ValueError(f'"{file_path}" does not exist in workspace "{workspace.name}"') from None
    except OSError as exc:
        raise ValueError(
            f'"{file_path}" cannot be read in workspace "{workspace.name}": {exc.strerror}'
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f'"{file_path}" is not a regular file in workspace "{workspace.name}"')
    return info.st_size


def _read_file(body):
    """The ScaleFile fields of a POST /v6/files/ body, checked (the workspace looked up)."""
    fields = {
        'workspace': body.get('workspace', _workspace, required=True, nullable=False),
        'file_path': body.get('file_path', _file_path, required=True, nullable=False),
        'file_size': body.get('file_size', _size),
        'file_name': body.get('file_name', _file_name),
        'media_type': body.get('media_type', _text(MAX_STRING)),
        'data_type_tags': body.items('data_type_tags', _text(MAX_STRING)),
        'meta_data': body.json_object('meta_data'),
        'countries': body.items('countries', _country),
    }
    for name in SOURCE_STRINGS:
        fields[name] = body.get(name, _text(MAX_STRING, blank=True))
    for start, end in TIME_PAIRS:
        fields[start], fields[end] = body.get(start, _datetime), body.get(end, _datetime)
        started, ended = fields[start], fields[end]
        if (
            isinstance(started, datetime.datetime)
            and isinstance(ended, datetime.datetime)
            and started > ended
        ):
            body.fail(start, f'{format_datetime(started)} must not be after {end} ({format_datetime(ended)})')
    return {name: value for name, value in fields.items() if value is not _MISSING and value is not None}


def register_file(body):
    """Registers an existing file of a workspace as a SOURCE ScaleFile (POST /v6/files/); returns it.

    Body: `workspace` (id or name of an active workspace), `file_path` (relative, normalized; no
    absolute path, `..`, backslash or NUL; <= 1000), `file_size` (bytes >= 0), optional `file_name`
    (default: the path's basename), `media_type` (default: guessed from the extension),
    `data_type_tags`, `data_started`/`data_ended`, `source_started`/`source_ended` (ISO-8601; start
    not after end), the four `source_*` strings, `meta_data` (object) and `countries` (ISO3 codes).

    When the workspace's host_path exists here, the file must be a regular file there whose real
    path stays inside the workspace; `file_size` then defaults to, and must equal, its size on disk.
    Elsewhere `file_size` is required. `uuid` is the md5 of the file name. InvalidDocument for a bad
    body, a missing or escaping file, or a (workspace, file_path) already registered.
    """
    body = _Body(body, FILE_KEYS)
    fields = _read_file(body)
    body.raise_errors()
    workspace, file_path = fields['workspace'], fields['file_path']
    duplicate = _duplicate(workspace, file_path)
    if _registered(workspace, file_path):
        raise duplicate
    root = _host_root(workspace)
    if root is not None:
        try:
            size = _size_on_disk(workspace, root, file_path)
        except ValueError as exc:
            raise InvalidDocument.at('file_path', str(exc)) from None
        if fields.setdefault('file_size', size) != size:
            raise InvalidDocument.at(
                'file_size', f'{fields["file_size"]} differs from the size on disk ({size})'
            )
    elif 'file_size' not in fields:
        raise InvalidDocument.at(
            'file_size',
            f'is required: the host_path of workspace "{workspace.name}" is not present on this server',
        )
    fields.setdefault('file_name', posixpath.basename(file_path))
    fields.setdefault('media_type', guess_media_type(fields['file_name']))
    scale_file = ScaleFile(
        file_type=FileType.SOURCE,
        uuid=hashlib.md5(fields['file_name'].encode(), usedforsecurity=False).hexdigest(),
        **fields,
    )
    try:
        with transaction.atomic():
            scale_file.save()
    except IntegrityError:
        raise duplicate from None
    return scale_file


def _registered(workspace, file_path):
    return ScaleFile.objects.filter(workspace=workspace, file_path=file_path).exists()


def _duplicate(workspace, file_path):
    return InvalidDocument.at(
        'file_path',
        f'"{file_path}" is already registered in workspace "{workspace.name}"',
        name='DUPLICATE_FILE',
    )
