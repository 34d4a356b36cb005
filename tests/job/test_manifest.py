"""Seed manifest validation and normalization (job.manifest): the schema, the checks beyond it, the
paths every error names, and the accessors over a normalized manifest."""

import copy

import pytest

from job import manifest as seed
from job.configuration import secret_setting_names as configuration_secret_setting_names
from job.exceptions import InvalidDocument
from job.manifest.semver import is_semver, precedence_key, sort_key


def minimal():
    """The smallest manifest Scale accepts (its MINIMUM_MANIFEST)."""
    return {
        'seedVersion': '1.0.0',
        'job': {
            'name': 'my-job',
            'jobVersion': '1.0.0',
            'packageVersion': '1.0.0',
            'title': 'My Job',
            'description': 'Does things',
            'maintainer': {'name': 'Jane', 'email': 'jane@example.invalid'},
            'timeout': 3600,
        },
    }


def full():
    """A manifest using every member."""
    body = minimal()
    body['job'].update(
        {
            'tags': ['landsat', 'optical'],
            'interface': {
                'command': '${INPUT_FILE} ${OUTPUT_DIR}',
                'inputs': {
                    'files': [
                        {'name': 'INPUT_FILE'},
                        {'name': 'aux-files', 'multiple': True, 'required': False},
                    ],
                    'json': [{'name': 'THRESHOLD', 'type': 'number'}],
                },
                'outputs': {
                    'files': [{'name': 'OUT', 'pattern': '*.tif'}],
                    'json': [{'name': 'CLOUD', 'type': 'number', 'key': 'cloudCover'}],
                },
                'mounts': [{'name': 'REF', 'path': '/ref'}],
                'settings': [{'name': 'DB_HOST'}, {'name': 'DB_PASS', 'secret': True}],
            },
            'resources': {
                'scalar': [
                    {'name': 'CPUS', 'value': 2},
                    {'name': 'mem', 'value': 1024},
                    {'name': 'disk', 'value': 10, 'inputMultiplier': 4},
                    {'name': 'gpus', 'value': 1},
                    {'name': 'sharedMem', 'value': 64},
                ]
            },
            'errors': [
                {'code': 1, 'name': 'bad-input', 'category': 'data', 'title': 'Bad input'},
                {'code': 2, 'name': 'crash', 'description': 'It crashed'},
            ],
        }
    )
    return body


def errors_of(manifest, path='manifest'):
    with pytest.raises(InvalidDocument) as info:
        seed.validate_manifest(manifest, path=path)
    return info.value


def mutate(change):
    body = full()
    change(body['job'])
    return body


def set_in(path, value):
    """A change that sets job[...path] = value (path is a list of keys and indexes)."""

    def change(job):
        target = job
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def delete(*path):
    def change(job):
        target = job
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


J = 'manifest.job'
IFACE = f'{J}.interface'
BAD_MANIFESTS = [
    # (id, change to job, path named, error name, part of the message)
    (
        'input file name with a space',
        set_in(['interface', 'inputs', 'files', 1, 'name'], 'a b'),
        f'{IFACE}.inputs.files[1].name',
        'JSON_VALIDATION_ERROR',
        "'a b' does not match ^[a-zA-Z0-9_-]+$",
    ),
    (
        'job name with underscore',
        set_in(['name'], 'my_job'),
        f'{J}.name',
        'JSON_VALIDATION_ERROR',
        'does not match',
    ),
    ('job name too long', set_in(['name'], 'a' * 51), f'{J}.name', 'JSON_VALIDATION_ERROR', 'longer than 50'),
    (
        'name ending with a newline',
        set_in(['name'], 'my-job\n'),
        f'{J}.name',
        'JSON_VALIDATION_ERROR',
        'does not match',
    ),
    (
        'jobVersion not semver',
        set_in(['jobVersion'], '1.0'),
        f'{J}.jobVersion',
        'JSON_VALIDATION_ERROR',
        'does not match',
    ),
    (
        'jobVersion leading zero',
        set_in(['jobVersion'], '01.0.0'),
        f'{J}.jobVersion',
        'JSON_VALIDATION_ERROR',
        '',
    ),
    (
        'packageVersion bad pre-release',
        set_in(['packageVersion'], '1.0.0-'),
        f'{J}.packageVersion',
        'JSON_VALIDATION_ERROR',
        '',
    ),
    (
        'version too long',
        set_in(['jobVersion'], '1.0.0-' + 'a' * 50),
        f'{J}.jobVersion',
        'JSON_VALIDATION_ERROR',
        'longer than 50',
    ),
    ('timeout zero', set_in(['timeout'], 0), f'{J}.timeout', 'JSON_VALIDATION_ERROR', 'minimum'),
    (
        'timeout float',
        set_in(['timeout'], 60.0),
        f'{J}.timeout',
        'JSON_VALIDATION_ERROR',
        "not of type 'integer'",
    ),
    (
        'timeout boolean',
        set_in(['timeout'], True),
        f'{J}.timeout',
        'JSON_VALIDATION_ERROR',
        "not of type 'integer'",
    ),
    (
        'timeout string',
        set_in(['timeout'], '60'),
        f'{J}.timeout',
        'JSON_VALIDATION_ERROR',
        "not of type 'integer'",
    ),
    ('timeout huge', set_in(['timeout'], 10**30), f'{J}.timeout', 'JSON_VALIDATION_ERROR', 'maximum'),
    ('missing title', delete('title'), f'{J}.title', 'JSON_VALIDATION_ERROR', 'is required'),
    (
        'missing maintainer email',
        delete('maintainer', 'email'),
        f'{J}.maintainer.email',
        'JSON_VALIDATION_ERROR',
        'is required',
    ),
    (
        'unknown job key',
        set_in(['surprise'], 1),
        f'{J}.surprise',
        'JSON_VALIDATION_ERROR',
        'not an allowed key',
    ),
    (
        'unknown maintainer key',
        set_in(['maintainer', 'age'], 3),
        f'{J}.maintainer.age',
        'JSON_VALIDATION_ERROR',
        'not an allowed key',
    ),
    (
        'unknown key in an output',
        set_in(['interface', 'outputs', 'files', 0, 'glob'], '*'),
        f'{IFACE}.outputs.files[0].glob',
        'JSON_VALIDATION_ERROR',
        'not an allowed key',
    ),
    (
        'json input type unknown',
        set_in(['interface', 'inputs', 'json', 0, 'type'], 'float'),
        f'{IFACE}.inputs.json[0].type',
        'JSON_VALIDATION_ERROR',
        'is not one of',
    ),
    (
        'output file without pattern',
        delete('interface', 'outputs', 'files', 0, 'pattern'),
        f'{IFACE}.outputs.files[0].pattern',
        'JSON_VALIDATION_ERROR',
        'is required',
    ),
    (
        'mount mode',
        set_in(['interface', 'mounts', 0, 'mode'], 'rwx'),
        f'{IFACE}.mounts[0].mode',
        'JSON_VALIDATION_ERROR',
        'is not one of',
    ),
    (
        'setting secret as string',
        set_in(['interface', 'settings', 1, 'secret'], 'yes'),
        f'{IFACE}.settings[1].secret',
        'JSON_VALIDATION_ERROR',
        "not of type 'boolean'",
    ),
    (
        'tags not a list',
        set_in(['tags'], 'landsat'),
        f'{J}.tags',
        'JSON_VALIDATION_ERROR',
        "not of type 'array'",
    ),
    (
        'fractional gpus',
        set_in(['resources', 'scalar', 3, 'value'], 1.5),
        f'{J}.resources.scalar[3].value',
        'JSON_VALIDATION_ERROR',
        'not a whole number',
    ),
    (
        'negative resource',
        set_in(['resources', 'scalar', 1, 'value'], -1),
        f'{J}.resources.scalar[1].value',
        'JSON_VALIDATION_ERROR',
        'minimum',
    ),
    (
        'infinite resource',
        set_in(['resources', 'scalar', 1, 'value'], float('inf')),
        f'{J}.resources.scalar[1].value',
        'JSON_VALIDATION_ERROR',
        'finite',
    ),
    (
        'resource value boolean',
        set_in(['resources', 'scalar', 1, 'value'], True),
        f'{J}.resources.scalar[1].value',
        'JSON_VALIDATION_ERROR',
        "not of type 'number'",
    ),
    (
        'error code string',
        set_in(['errors', 0, 'code'], '1'),
        f'{J}.errors[0].code',
        'JSON_VALIDATION_ERROR',
        "not of type 'integer'",
    ),
    (
        'error category',
        set_in(['errors', 0, 'category'], 'system'),
        f'{J}.errors[0].category',
        'JSON_VALIDATION_ERROR',
        'is not one of',
    ),
    (
        'error title too long',
        set_in(['errors', 0, 'title'], 't' * 51),
        f'{J}.errors[0].title',
        'JSON_VALIDATION_ERROR',
        'longer than 50',
    ),
    (
        'NUL in a description',
        set_in(['description'], 'a\x00b'),
        f'{J}.description',
        'JSON_VALIDATION_ERROR',
        'NUL',
    ),
    (
        'lone surrogate in a tag',
        set_in(['tags'], ['\ud800']),
        f'{J}.tags[0]',
        'JSON_VALIDATION_ERROR',
        'surrogate',
    ),
    (
        'setting named like an input',
        set_in(['interface', 'settings', 0, 'name'], 'input-file'),
        f'{IFACE}.inputs.files[0].name',
        'NAME_COLLISION_ERROR',
        "collides with setting 'input-file'",
    ),
    (
        'json input named OUTPUT_DIR',
        set_in(['interface', 'inputs', 'json', 0, 'name'], 'output_dir'),
        f'{IFACE}.inputs.json[0].name',
        'NAME_COLLISION_ERROR',
        'OUTPUT_DIR',
    ),
    (
        'input named like a resource variable',
        set_in(['interface', 'inputs', 'json', 0, 'name'], 'ALLOCATED_MEM'),
        f'{J}.resources.scalar[1].name',
        'NAME_COLLISION_ERROR',
        'ALLOCATED_MEM',
    ),
    (
        'resource listed twice',
        set_in(['resources', 'scalar', 1, 'name'], 'cpus'),
        f'{J}.resources.scalar[1].name',
        'NAME_COLLISION_ERROR',
        'ALLOCATED_CPUS',
    ),
    (
        'two outputs with one name',
        set_in(['interface', 'outputs', 'json', 0, 'name'], 'OUT'),
        f'{IFACE}.outputs.json[0].name',
        'NAME_COLLISION_ERROR',
        'OUT',
    ),
    (
        'duplicate mount names',
        set_in(['interface', 'mounts'], [{'name': 'A', 'path': '/a'}, {'name': 'A', 'path': '/b'}]),
        f'{IFACE}.mounts[1].name',
        'DUPLICATE_MOUNT_NAMES',
        "'A'",
    ),
    (
        'duplicate error names',
        set_in(['errors', 1, 'name'], 'bad-input'),
        f'{J}.errors[1].name',
        'DUPLICATE_ERROR_NAMES',
        "'bad-input'",
    ),
    (
        'duplicate error codes',
        set_in(['errors', 1, 'code'], 1),
        f'{J}.errors[1].code',
        'DUPLICATE_ERROR_CODES',
        '1',
    ),
    (
        'relative mount path',
        set_in(['interface', 'mounts', 0, 'path'], 'ref/data'),
        f'{IFACE}.mounts[0].path',
        'INVALID_MOUNT_PATH',
        'not an absolute path',
    ),
]


@pytest.mark.parametrize(
    ('change', 'path', 'name', 'message'),
    [case[1:] for case in BAD_MANIFESTS],
    ids=[case[0] for case in BAD_MANIFESTS],
)
def test_bad_manifests_name_the_path(change, path, name, message):
    error = errors_of(mutate(change))

    assert error.name == name
    assert path in error.errors, error.errors
    assert any(message in text for text in error.errors[path]), error.errors[path]


@pytest.mark.parametrize(
    ('manifest', 'path'),
    [
        ({**minimal(), 'seedVersion': '1.0.1'}, 'manifest.seedVersion'),
        ({'job': minimal()['job']}, 'manifest.seedVersion'),
        ({'seedVersion': '1.0.0'}, 'manifest.job'),
        ({**minimal(), 'extra': True}, 'manifest.extra'),
        ({**minimal(), 'job': []}, 'manifest.job'),
    ],
)
def test_top_level_errors(manifest, path):
    error = errors_of(manifest)

    assert error.name == 'JSON_VALIDATION_ERROR'
    assert path in error.errors


@pytest.mark.parametrize('value', [[], 'text', None, 3])
def test_a_manifest_must_be_an_object(value):
    assert errors_of(value).errors == {'manifest': ['must be a JSON object (a Seed manifest)']}


def test_every_schema_error_is_reported_at_once():
    body = full()
    body['job']['name'] = 'bad name'
    body['job']['timeout'] = -1
    del body['job']['title']
    body['job']['interface']['inputs']['files'][0]['name'] = 'a b'
    body['job']['interface']['settings'][0]['extra'] = 1

    error = errors_of(body)

    assert set(error.errors) == {
        'manifest.job.name',
        'manifest.job.timeout',
        'manifest.job.title',
        'manifest.job.interface.inputs.files[0].name',
        'manifest.job.interface.settings[0].extra',
    }
    assert set(error.names.values()) == {'JSON_VALIDATION_ERROR'}


def test_several_semantic_errors_are_reported_with_their_names():
    body = full()
    body['job']['interface']['mounts'] = [{'name': 'A', 'path': 'rel'}, {'name': 'A', 'path': '/b'}]
    body['job']['errors'][1]['name'] = 'bad-input'

    error = errors_of(body)

    assert error.names == {
        'manifest.job.interface.mounts[1].name': 'DUPLICATE_MOUNT_NAMES',
        'manifest.job.errors[1].name': 'DUPLICATE_ERROR_NAMES',
        'manifest.job.interface.mounts[0].path': 'INVALID_MOUNT_PATH',
    }


def test_the_path_prefix_is_the_callers():
    error = errors_of({**minimal(), 'extra': 1}, path='body.manifest')

    assert list(error.errors) == ['body.manifest.extra']


def test_error_messages_are_bounded():
    body = minimal()
    body['job']['timeout'] = 'x' * 100_000

    (message,) = errors_of(body).errors['manifest.job.timeout']

    assert len(message) < 200


def test_the_number_of_errors_is_bounded():
    body = minimal()
    body['job']['tags'] = [1] * 5000

    assert len(errors_of(body).errors) == 100


@pytest.mark.parametrize(
    'version',
    ['1.0.0', '0.0.1', '10.20.30', '1.0.0-rc.1', '1.0.0-alpha-a.b-c', '1.0.0+build.5', '1.0.0-0.3.7+b.1'],
)
def test_semver_versions_are_accepted(version):
    body = minimal()
    body['job']['jobVersion'] = body['job']['packageVersion'] = version

    assert seed.validate_manifest(body)['job']['jobVersion'] == version


def test_minimal_manifest_is_normalized():
    body = minimal()
    original = copy.deepcopy(body)

    normalized = seed.validate_manifest(body)

    assert body == original  # the argument is left alone
    assert normalized['job']['interface'] == {
        'command': '',
        'inputs': {'files': [], 'json': []},
        'outputs': {'files': [], 'json': []},
        'mounts': [],
        'settings': [],
    }
    assert normalized['job']['resources'] == {'scalar': []}
    assert normalized['job']['errors'] == []
    assert normalized['job']['tags'] == []


def test_defaults_are_filled_and_resource_names_lowercased():
    normalized = seed.validate_manifest(full())
    job = normalized['job']
    interface = job['interface']

    assert interface['inputs']['files'][0] == {
        'name': 'INPUT_FILE',
        'required': True,
        'mediaTypes': [],
        'multiple': False,
        'partial': False,
    }
    assert interface['inputs']['files'][1]['required'] is False
    assert interface['inputs']['json'][0] == {'name': 'THRESHOLD', 'type': 'number', 'required': True}
    assert interface['outputs']['files'][0] == {
        'name': 'OUT',
        'pattern': '*.tif',
        'mediaType': 'application/octet-stream',
        'multiple': False,
        'required': True,
    }
    assert interface['outputs']['json'][0] == {
        'name': 'CLOUD',
        'type': 'number',
        'key': 'cloudCover',
        'required': True,
    }
    assert interface['mounts'] == [{'name': 'REF', 'path': '/ref', 'mode': 'ro'}]
    assert interface['settings'] == [
        {'name': 'DB_HOST', 'secret': False},
        {'name': 'DB_PASS', 'secret': True},
    ]
    assert [scalar['name'] for scalar in job['resources']['scalar']] == [
        'cpus',
        'mem',
        'disk',
        'gpus',
        'sharedmem',
    ]
    assert job['errors'] == [
        {'code': 1, 'name': 'bad-input', 'category': 'data', 'title': 'Bad input'},
        {'code': 2, 'name': 'crash', 'description': 'It crashed', 'category': 'job', 'title': 'crash'},
    ]
    # Normalizing twice changes nothing.
    assert seed.validate_manifest(normalized) == normalized


def test_nonstandard_resources_are_warned_about():
    body = full()
    body['job']['resources']['scalar'].append({'name': 'FPGA', 'value': 1})

    warnings = seed.manifest_warnings(seed.validate_manifest(body))

    assert [warning['name'] for warning in warnings] == ['NONSTANDARD_RESOURCE']
    assert "'fpga'" in warnings[0]['description']
    assert seed.manifest_warnings(seed.validate_manifest(full())) == []


def test_accessors_over_a_normalized_manifest():
    normalized = seed.validate_manifest(full())

    assert [item['name'] for item in seed.file_inputs(normalized)] == ['INPUT_FILE', 'aux-files']
    assert [item['name'] for item in seed.json_inputs(normalized)] == ['THRESHOLD']
    assert [item['name'] for item in seed.file_outputs(normalized)] == ['OUT']
    assert [item['name'] for item in seed.json_outputs(normalized)] == ['CLOUD']
    assert [item['name'] for item in seed.mounts(normalized)] == ['REF']
    assert [item['name'] for item in seed.settings(normalized)] == ['DB_HOST', 'DB_PASS']
    assert seed.secret_setting_names(normalized) == {'DB_PASS'}
    assert seed.timeout(normalized) == 3600
    # One implementation, also reachable where the configuration code always had it.
    assert configuration_secret_setting_names is seed.secret_setting_names


def test_accessors_tolerate_sparse_manifests():
    for manifest in (None, {}, {'job': {}}, minimal()):
        assert seed.file_inputs(manifest) == []
        assert seed.settings(manifest) == []
        assert seed.secret_setting_names(manifest) == set()
    assert seed.timeout(None) is None


def test_environment_names():
    assert seed.environment_name('aux-files') == 'AUX_FILES'


def test_semver_precedence():
    ordered = [
        '0.9.0',
        '1.0.0-alpha',
        '1.0.0-alpha.1',
        '1.0.0-alpha.beta',
        '1.0.0-beta',
        '1.0.0-beta.2',
        '1.0.0-beta.11',
        '1.0.0-rc.1',
        '1.0.0',
        '1.2.0',
        '1.10.0',
        '2.0.0',
    ]

    shuffled = ordered[::2] + ordered[1::2][::-1]

    assert sorted(shuffled, key=sort_key) == ordered
    assert precedence_key('1.0.0+build.1') == precedence_key('1.0.0+build.2') == precedence_key('1.0.0')
    assert sort_key('not-semver') < sort_key('0.0.0')
    assert is_semver('1.0.0+b.5') and not is_semver('1.0') and not is_semver('1.0.0\n')
