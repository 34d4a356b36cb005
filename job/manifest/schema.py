"""The JSON schema (draft 2020-12) of a Seed manifest, seedVersion 1.0.0, as this service accepts it.

Every object refuses unknown keys. String lengths are bounded by the columns the values end up in
(job type name/version 50, title 250, error name/title 50 and description 250). Patterns are
anchored at both ends (a trailing newline does not match `$`; see validation.py).
"""

from job.manifest.semver import SEMVER_PATTERN

MAX_INTEGER = 2**31 - 1
# Resource amounts (MiB for mem and disk): generous, but bounded so that arithmetic stays finite.
MAX_RESOURCE = 1e12

JOB_NAME_PATTERN = r'^[a-zA-Z0-9-]+$'
NAME_PATTERN = r'^[a-zA-Z0-9_-]+$'
JSON_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string']


def _object(properties, required=()):
    return {
        'type': 'object',
        'properties': properties,
        'required': list(required),
        'additionalProperties': False,
    }


def _array(items):
    return {'type': 'array', 'items': items}


def _name(max_length=250):
    return {'type': 'string', 'pattern': NAME_PATTERN, 'maxLength': max_length}


_STRING = {'type': 'string'}
_BOOLEAN = {'type': 'boolean'}
_VERSION = {'type': 'string', 'pattern': SEMVER_PATTERN, 'maxLength': 50}

MAINTAINER = _object(
    {
        'name': _STRING,
        'email': _STRING,
        'organization': _STRING,
        'url': _STRING,
        'phone': _STRING,
    },
    required=['name', 'email'],
)

INPUT_FILE = _object(
    {
        'name': _name(),
        'required': _BOOLEAN,
        'mediaTypes': _array(_STRING),
        'multiple': _BOOLEAN,
        'partial': _BOOLEAN,
    },
    required=['name'],
)
INPUT_JSON = _object(
    {'name': _name(), 'type': {'enum': JSON_TYPES}, 'required': _BOOLEAN}, required=['name', 'type']
)
OUTPUT_FILE = _object(
    {
        'name': _name(),
        'pattern': {'type': 'string', 'minLength': 1},
        'mediaType': _STRING,
        'multiple': _BOOLEAN,
        'required': _BOOLEAN,
    },
    required=['name', 'pattern'],
)
OUTPUT_JSON = _object(
    {'name': _name(), 'type': {'enum': JSON_TYPES}, 'key': _STRING, 'required': _BOOLEAN},
    required=['name', 'type'],
)
MOUNT = _object({'name': _name(), 'path': _STRING, 'mode': {'enum': ['ro', 'rw']}}, required=['name', 'path'])
SETTING = _object({'name': _name(), 'secret': _BOOLEAN}, required=['name'])

INTERFACE = _object(
    {
        'command': _STRING,
        'inputs': _object({'files': _array(INPUT_FILE), 'json': _array(INPUT_JSON)}),
        'outputs': _object({'files': _array(OUTPUT_FILE), 'json': _array(OUTPUT_JSON)}),
        'mounts': _array(MOUNT),
        'settings': _array(SETTING),
    }
)

_AMOUNT = {'type': 'number', 'minimum': 0, 'maximum': MAX_RESOURCE}
SCALAR = {
    **_object(
        {'name': _name(max_length=50), 'value': _AMOUNT, 'inputMultiplier': _AMOUNT},
        required=['name', 'value'],
    ),
    # GPUs are whole devices.
    'if': {'properties': {'name': {'pattern': '^[gG][pP][uU][sS]$'}}, 'required': ['name']},
    'then': {'properties': {'value': {'multipleOf': 1}}},
}

ERROR = _object(
    {
        'code': {'type': 'integer', 'minimum': -MAX_INTEGER - 1, 'maximum': MAX_INTEGER},
        'name': _name(max_length=50),
        'title': {'type': 'string', 'maxLength': 50},
        'description': {'type': 'string', 'maxLength': 250},
        'category': {'enum': ['job', 'data']},
    },
    required=['code', 'name'],
)

JOB = _object(
    {
        'name': {'type': 'string', 'pattern': JOB_NAME_PATTERN, 'maxLength': 50},
        'jobVersion': _VERSION,
        'packageVersion': _VERSION,
        'title': {'type': 'string', 'maxLength': 250},
        'description': _STRING,
        'tags': _array({'type': 'string', 'maxLength': 50}),
        'maintainer': MAINTAINER,
        'timeout': {'type': 'integer', 'minimum': 1, 'maximum': MAX_INTEGER},
        'interface': INTERFACE,
        'resources': _object({'scalar': _array(SCALAR)}),
        'errors': _array(ERROR),
    },
    required=['name', 'jobVersion', 'packageVersion', 'title', 'description', 'maintainer', 'timeout'],
)

MANIFEST_SCHEMA = {
    '$schema': 'https://json-schema.org/draft/2020-12/schema',
    'title': 'Seed manifest 1.0.0',
    **_object({'seedVersion': {'const': '1.0.0'}, 'job': JOB}, required=['seedVersion', 'job']),
}
