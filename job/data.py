"""v6 data JSON (`{"files": {name: [file ids]}, "json": {name: value}}`) validated against the input
interface of a Seed manifest (shared/reference/scale-supporting-apis.md section 3), stricter than
Scale: unknown input names are refused, not dropped, and booleans are not integers or numbers."""

import math

from job.exceptions import InvalidDocument

DATA_VERSIONS = ('6', '7')
DATA_KEYS = frozenset({'version', 'files', 'json'})
MAX_FILES_PER_INPUT = 10_000


def is_json_type(value, json_type):
    """Whether a parsed JSON value is of a Seed json type (booleans are not numbers)."""
    if json_type == 'boolean':
        return isinstance(value, bool)
    if json_type == 'integer':
        return isinstance(value, int) and not isinstance(value, bool)
    if json_type == 'number':
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if json_type == 'string':
        return isinstance(value, str)
    if json_type == 'array':
        return isinstance(value, list)
    if json_type == 'object':
        return isinstance(value, dict)
    return False


def _interface(manifest):
    inputs = ((manifest.get('job') or {}).get('interface') or {}).get('inputs') or {}
    return (
        {item['name']: item for item in inputs.get('files') or []},
        {item['name']: item for item in inputs.get('json') or []},
    )


def _check_file_ids(ids, spec, path, errors):
    if not isinstance(ids, list):
        errors[path] = ['must be a list of file ids']
        return
    if not ids:
        errors[path] = ['must name at least one file']
        return
    if len(ids) > MAX_FILES_PER_INPUT:
        errors[path] = [f'takes at most {MAX_FILES_PER_INPUT} files']
        return
    for index, file_id in enumerate(ids):
        if not isinstance(file_id, int) or isinstance(file_id, bool) or not 1 <= file_id < 2**63:
            errors[f'{path}[{index}]'] = [f'{file_id!r} is not a file id (a positive integer)']
    if len(set(map(repr, ids))) != len(ids):
        errors.setdefault(path, []).append('names a file more than once')
    if len(ids) > 1 and not spec.get('multiple'):
        errors.setdefault(path, []).append(f'takes one file (the input is not "multiple"); {len(ids)} given')


def validate_data(data, manifest, path='input'):
    """The normalized data `{"files": {...}, "json": {...}}` (without `version`) of `data` checked
    against the manifest's inputs: every required input present, file inputs as non-empty lists of
    file ids (one unless `multiple`), json inputs of their declared type, no unknown names.
    Raises InvalidDocument naming each bad path (`input.files.NAME`, `input.json.NAME`).
    Whether the files exist is checked by the caller, which has the database."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidDocument.at(path, 'must be an object {"files": {...}, "json": {...}}', 'INVALID_DATA')
    errors = {}
    for key in sorted(set(data) - DATA_KEYS):
        errors[f'{path}.{key}'] = ['is not a data key; use files and json']
    version = data.get('version')
    if version is not None and version not in DATA_VERSIONS:
        errors[f'{path}.version'] = [
            f'{version!r} is not a supported data version ({", ".join(DATA_VERSIONS)})'
        ]
    files = data.get('files') if data.get('files') is not None else {}
    values = data.get('json') if data.get('json') is not None else {}
    for key, value in (('files', files), ('json', values)):
        if not isinstance(value, dict):
            errors[f'{path}.{key}'] = ['must be an object']
    if errors:
        raise InvalidDocument(errors, 'INVALID_DATA')

    file_specs, json_specs = _interface(manifest)
    for name, ids in files.items():
        input_path = f'{path}.files.{name}'
        if name in file_specs:
            _check_file_ids(ids, file_specs[name], input_path, errors)
        elif name in json_specs:
            errors[input_path] = [f'is a json input; give it under {path}.json']
        else:
            errors[input_path] = ['is not an input of this job type']
    for name, value in values.items():
        input_path = f'{path}.json.{name}'
        if name in json_specs:
            json_type = json_specs[name]['type']
            if not is_json_type(value, json_type):
                errors[input_path] = [f'must be of type {json_type}']
        elif name in file_specs:
            errors[input_path] = [f'is a file input; give it under {path}.files']
        else:
            errors[input_path] = ['is not an input of this job type']
    for name, spec in file_specs.items():
        if spec.get('required', True) and name not in files and name not in values:
            errors[f'{path}.files.{name}'] = ['is required']
    for name, spec in json_specs.items():
        if spec.get('required', True) and name not in values and name not in files:
            errors[f'{path}.json.{name}'] = ['is required']
    if errors:
        raise InvalidDocument(errors, 'INVALID_DATA')
    return {'files': {name: list(ids) for name, ids in files.items()}, 'json': dict(values)}
