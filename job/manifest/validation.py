"""Validation and normalization of a Seed manifest (shared/reference/scale-supporting-apis.md
section 2): the JSON schema of schema.py, then the checks a schema cannot express."""

import copy
import functools
import posixpath
import re

from jsonschema import Draft202012Validator, ValidationError, validators

from job.documents import DocumentErrors, check_values, child_path, short
from job.exceptions import InvalidDocument
from job.manifest.schema import MANIFEST_SCHEMA

JSON_VALIDATION_ERROR = 'JSON_VALIDATION_ERROR'
NAME_COLLISION_ERROR = 'NAME_COLLISION_ERROR'
DUPLICATE_MOUNT_NAMES = 'DUPLICATE_MOUNT_NAMES'
DUPLICATE_ERROR_NAMES = 'DUPLICATE_ERROR_NAMES'
DUPLICATE_ERROR_CODES = 'DUPLICATE_ERROR_CODES'
INVALID_MOUNT_PATH = 'INVALID_MOUNT_PATH'

STANDARD_RESOURCES = frozenset({'cpus', 'mem', 'disk', 'gpus', 'sharedmem'})
DEFAULT_OUTPUT_MEDIA_TYPE = 'application/octet-stream'


@functools.lru_cache(maxsize=64)
def _anchored(pattern):
    # JSON Schema patterns follow ECMA 262, where `$` is the end of the text; Python's `$` also
    # matches before a final newline, which would let 'name\n' through.
    if pattern.endswith('$') and not pattern.endswith(r'\$'):
        pattern = pattern[:-1] + r'\Z'
    return re.compile(pattern)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, 'string') and not _anchored(pattern).search(instance):
        yield ValidationError(f'{short(instance)} does not match {pattern}')


def _is_integer(checker, instance):
    # 600.0 is not an integer here, and booleans are never numbers.
    return isinstance(instance, int) and not isinstance(instance, bool)


_StrictValidator = validators.extend(
    Draft202012Validator,
    validators={'pattern': _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine('integer', _is_integer),
)
MANIFEST_VALIDATOR = _StrictValidator(MANIFEST_SCHEMA)


def _messages(error, path):
    """(path, message) pairs for one jsonschema error; unknown and missing keys are named by the
    path of the key itself."""
    where = functools.reduce(child_path, error.absolute_path, path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == 'additionalProperties':
        allowed = ', '.join(error.schema.get('properties', {})) or 'none'
        return [
            (child_path(where, key), f'is not an allowed key (allowed: {allowed})')
            for key in instance
            if key not in error.schema.get('properties', {})
        ]
    if kind == 'required':
        return [(child_path(where, key), 'is required') for key in value if key not in instance]
    messages = {
        'type': lambda: f'{short(instance)} is not of type {value!r}',
        'enum': lambda: f'{short(instance)} is not one of {", ".join(map(repr, value))}',
        'const': lambda: f'{short(instance)} is not {value!r}',
        'maxLength': lambda: f'is longer than {value} characters',
        'minLength': lambda: 'must not be empty',
        'minimum': lambda: f'{short(instance)} is less than the minimum of {value}',
        'maximum': lambda: f'{short(instance)} is greater than the maximum of {value}',
        'multipleOf': lambda: f'{short(instance)} is not a whole number',
    }
    message = messages[kind]() if kind in messages else error.message[:200]
    return [(where, message)]


def schema_errors(validator, document, path, errors, name):
    """Adds every error of `validator` on `document` to `errors` (a DocumentErrors)."""
    for error in validator.iter_errors(document):
        for where, message in _messages(error, path):
            errors.add(name, where, message)


def _normalized(manifest):
    """The manifest with Scale's defaults filled in and resource names lowercased."""
    manifest = copy.deepcopy(manifest)
    job = manifest['job']
    job.setdefault('tags', [])
    interface = job.setdefault('interface', {})
    interface.setdefault('command', '')
    inputs = interface.setdefault('inputs', {})
    for item in inputs.setdefault('files', []):
        item.setdefault('required', True)
        item.setdefault('mediaTypes', [])
        item.setdefault('multiple', False)
        item.setdefault('partial', False)
    for item in inputs.setdefault('json', []):
        item.setdefault('required', True)
    outputs = interface.setdefault('outputs', {})
    for item in outputs.setdefault('files', []):
        item.setdefault('mediaType', DEFAULT_OUTPUT_MEDIA_TYPE)
        item.setdefault('multiple', False)
        item.setdefault('required', True)
    for item in outputs.setdefault('json', []):
        item.setdefault('required', True)
    for item in interface.setdefault('mounts', []):
        item.setdefault('mode', 'ro')
    for item in interface.setdefault('settings', []):
        item.setdefault('secret', False)
    for item in job.setdefault('resources', {}).setdefault('scalar', []):
        item['name'] = item['name'].lower()
    for item in job.setdefault('errors', []):
        item.setdefault('category', 'job')
        item.setdefault('title', item['name'])
    return manifest


def environment_name(name):
    """The environment variable a setting, input or resource name becomes (`-` -> `_`, uppercase)."""
    return name.replace('-', '_').upper()


def _collisions(job, path, errors):
    interface = job['interface']
    base = child_path(path, 'job')
    at = functools.partial(child_path, child_path(base, 'interface'))
    claimed = {'OUTPUT_DIR': 'the output directory variable OUTPUT_DIR'}
    named = [
        *(
            (at('settings'), index, item['name'], 'setting')
            for index, item in enumerate(interface['settings'])
        ),
        *(
            (child_path(at('inputs'), 'files'), index, item['name'], 'file input')
            for index, item in enumerate(interface['inputs']['files'])
        ),
        *(
            (child_path(at('inputs'), 'json'), index, item['name'], 'json input')
            for index, item in enumerate(interface['inputs']['json'])
        ),
    ]
    for where, index, name, kind in named:
        variable = environment_name(name)
        if variable in claimed:
            errors.add(
                NAME_COLLISION_ERROR,
                child_path(child_path(where, index), 'name'),
                f'{kind} {name!r} collides with {claimed[variable]} (both become ${variable})',
            )
        else:
            claimed[variable] = f'{kind} {name!r}'
    scalars = child_path(child_path(base, 'resources'), 'scalar')
    for index, item in enumerate(job['resources']['scalar']):
        variable = f'ALLOCATED_{environment_name(item["name"])}'
        if variable in claimed:
            errors.add(
                NAME_COLLISION_ERROR,
                child_path(child_path(scalars, index), 'name'),
                f'resource {item["name"]!r} collides with {claimed[variable]} (both become ${variable})',
            )
        else:
            claimed[variable] = f'resource {item["name"]!r}'
    outputs = {}
    for kind in ('files', 'json'):
        for index, item in enumerate(interface['outputs'][kind]):
            where = child_path(child_path(child_path(at('outputs'), kind), index), 'name')
            if item['name'] in outputs:
                errors.add(
                    NAME_COLLISION_ERROR,
                    where,
                    f'output {item["name"]!r} is already the name of {outputs[item["name"]]}',
                )
            else:
                outputs[item['name']] = f'{kind} output {index}'


def _duplicates(items, key, where, errors, name, what):
    seen = set()
    for index, item in enumerate(items):
        if item[key] in seen:
            errors.add(name, child_path(child_path(where, index), key), f'duplicate {what} {item[key]!r}')
        seen.add(item[key])


def _semantic_errors(manifest, path, errors):
    job = manifest['job']
    base = child_path(path, 'job')
    mounts_path = child_path(child_path(base, 'interface'), 'mounts')
    mounts = job['interface']['mounts']
    _collisions(job, path, errors)
    _duplicates(mounts, 'name', mounts_path, errors, DUPLICATE_MOUNT_NAMES, 'mount name')
    _duplicates(
        job['errors'], 'name', child_path(base, 'errors'), errors, DUPLICATE_ERROR_NAMES, 'error name'
    )
    _duplicates(
        job['errors'], 'code', child_path(base, 'errors'), errors, DUPLICATE_ERROR_CODES, 'error code'
    )
    for index, mount in enumerate(mounts):
        if not posixpath.isabs(mount['path']):
            errors.add(
                INVALID_MOUNT_PATH,
                child_path(child_path(mounts_path, index), 'path'),
                f'{short(mount["path"])} is not an absolute path',
            )


def validate_manifest(manifest, path='manifest'):
    """The normalized copy of a Seed manifest (seedVersion 1.0.0); raises InvalidDocument.

    `path` is where the manifest sits in the request body; every error names the path of the bad
    value below it (`manifest.job.interface.inputs.files[1].name`). Schema errors (every one found,
    up to a bound) are JSON_VALIDATION_ERROR; when the schema passes, the checks beyond it are run:
    NAME_COLLISION_ERROR (settings, inputs, OUTPUT_DIR and ALLOCATED_<resource> must stay distinct
    as environment variables; output names must be distinct), DUPLICATE_MOUNT_NAMES,
    DUPLICATE_ERROR_NAMES, DUPLICATE_ERROR_CODES and INVALID_MOUNT_PATH. The exception's `name` is
    the first error's; its `names` maps each path to its error name.

    Normalization fills Scale's defaults (inputs.files required=true, mediaTypes=[], multiple=false,
    partial=false; inputs.json required=true; outputs.files mediaType application/octet-stream,
    multiple=false, required=true; outputs.json required=true; mounts mode ro; settings
    secret=false; errors category job and title = name; command ''; absent lists []) and lowercases
    resource names. The argument is not modified.
    """
    if not isinstance(manifest, dict):
        raise InvalidDocument.at(path, 'must be a JSON object (a Seed manifest)', JSON_VALIDATION_ERROR)
    errors = DocumentErrors()
    check_values(manifest, path, errors, JSON_VALIDATION_ERROR)
    errors.raise_if_any()
    schema_errors(MANIFEST_VALIDATOR, manifest, path, errors, JSON_VALIDATION_ERROR)
    errors.raise_if_any()
    normalized = _normalized(manifest)
    _semantic_errors(normalized, path, errors)
    errors.raise_if_any()
    return normalized


def manifest_warnings(manifest):
    """`[{name: 'NONSTANDARD_RESOURCE', description}]`, one per scalar resource of a (normalized)
    manifest that is not cpus, mem, disk, gpus or sharedmem: such a job type runs only on nodes that
    offer the resource."""
    warnings = []
    for scalar in ((manifest or {}).get('job') or {}).get('resources', {}).get('scalar') or []:
        name = str(scalar.get('name', '')).lower()
        if name not in STANDARD_RESOURCES:
            warnings.append(
                {
                    'name': 'NONSTANDARD_RESOURCE',
                    'description': f"'{name}' is not a standard resource; only nodes that offer it can run "
                    'this job type.',
                }
            )
    return warnings
