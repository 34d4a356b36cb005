"""Job configuration validation against a Seed manifest (job.configuration.validate_configuration):
every error with its path and name, every warning, secrets kept apart, and the merge over a job
type's configuration."""

import pytest

from job.configuration import (
    ValidatedConfiguration,
    merged_configuration,
    normalized_configuration,
    public_configuration,
    validate_configuration,
)
from job.exceptions import InvalidDocument
from job.manifest import validate_manifest
from tests import factories

pytestmark = pytest.mark.django_db


def manifest(outputs=('OUT',), mounts=('REF',), settings=(('DB_HOST', False), ('DB_PASS', True))):
    body = factories.seed_manifest('configured')
    interface = body['job']['interface']
    interface['outputs']['files'] = [{'name': name, 'pattern': '*.out'} for name in outputs]
    interface['mounts'] = [{'name': name, 'path': f'/{name.lower()}'} for name in mounts]
    interface['settings'] = [{'name': name, 'secret': secret} for name, secret in settings]
    return validate_manifest(body)


@pytest.fixture
def workspaces():
    return factories.workspace('products'), factories.workspace('old', is_active=False)


def good():
    return {
        'version': '6',
        'priority': 10,
        'output_workspaces': {'default': 'products', 'outputs': {}},
        'mounts': {'REF': {'type': 'host', 'host_path': '/data/ref'}},
        'settings': {'DB_HOST': 'db.example', 'DB_PASS': 's3cr3t-value'},
    }


def errors_of(configuration, manifest_=None, **kwargs):
    with pytest.raises(InvalidDocument) as info:
        validate_configuration(configuration, manifest_ or manifest(), **kwargs)
    return info.value


def test_a_complete_configuration(workspaces):
    result = validate_configuration(good(), manifest())

    assert isinstance(result, ValidatedConfiguration)
    assert result.configuration == {
        'mounts': {'REF': {'type': 'host', 'host_path': '/data/ref'}},
        'output_workspaces': {'default': 'products', 'outputs': {}},
        'priority': 10,
        'settings': {'DB_HOST': 'db.example'},
    }
    assert result.secrets == {'DB_PASS': 's3cr3t-value'}
    assert result.warnings == []


def test_defaults_fill_an_empty_configuration():
    result = validate_configuration(None, manifest(outputs=(), mounts=(), settings=()))

    assert result.configuration == {
        'mounts': {},
        'output_workspaces': {'default': '', 'outputs': {}},
        'priority': 100,
        'settings': {},
    }
    assert result.secrets == {} and result.warnings == []


@pytest.mark.parametrize('version', ['6', '7', '2.0'])
def test_accepted_versions(workspaces, version):
    assert validate_configuration({**good(), 'version': version}, manifest()).configuration['priority'] == 10


BAD = [
    # (configuration, path, error name)
    ([], 'configuration', 'INVALID_CONFIGURATION'),
    ('text', 'configuration', 'INVALID_CONFIGURATION'),
    ({'priorty': 5}, 'configuration.priorty', 'INVALID_CONFIGURATION'),
    ({'version': '1.0'}, 'configuration.version', 'INVALID_VERSION'),
    ({'version': 6}, 'configuration.version', 'INVALID_VERSION'),
    ({'priority': 0}, 'configuration.priority', 'INVALID_PRIORITY'),
    ({'priority': -3}, 'configuration.priority', 'INVALID_PRIORITY'),
    ({'priority': True}, 'configuration.priority', 'INVALID_PRIORITY'),
    ({'priority': 1.5}, 'configuration.priority', 'INVALID_PRIORITY'),
    ({'priority': '5'}, 'configuration.priority', 'INVALID_PRIORITY'),
    ({'priority': 2**31}, 'configuration.priority', 'INVALID_PRIORITY'),
    ({'settings': []}, 'configuration.settings', 'INVALID_CONFIGURATION'),
    ({'settings': {'DB_HOST': None}}, 'configuration.settings.DB_HOST', 'INVALID_CONFIGURATION'),
    ({'settings': {'DB_HOST': 5}}, 'configuration.settings.DB_HOST', 'INVALID_CONFIGURATION'),
    ({'settings': {'DB_HOST': 'a\x00b'}}, 'configuration.settings.DB_HOST', 'INVALID_CONFIGURATION'),
    ({'mounts': []}, 'configuration.mounts', 'INVALID_CONFIGURATION'),
    ({'mounts': {'REF': '/data'}}, 'configuration.mounts.REF', 'INVALID_CONFIGURATION'),
    ({'mounts': {'REF': {'type': 'nfs'}}}, 'configuration.mounts.REF.type', 'INVALID_CONFIGURATION'),
    ({'mounts': {'REF': {'type': ['host']}}}, 'configuration.mounts.REF.type', 'INVALID_CONFIGURATION'),
    ({'mounts': {'REF': {'type': 'host'}}}, 'configuration.mounts.REF.host_path', 'INVALID_CONFIGURATION'),
    (
        {'mounts': {'REF': {'type': 'host', 'host_path': 'rel'}}},
        'configuration.mounts.REF.host_path',
        'HOST_ABSOLUTE_PATH',
    ),
    (
        {'mounts': {'REF': {'type': 'host', 'host_path': '/a', 'driver': 'x'}}},
        'configuration.mounts.REF.driver',
        'INVALID_CONFIGURATION',
    ),
    (
        {'mounts': {'REF': {'type': 'volume', 'driver': 3}}},
        'configuration.mounts.REF.driver',
        'INVALID_CONFIGURATION',
    ),
    (
        {'mounts': {'REF': {'type': 'volume', 'driver_opts': {'size': 10}}}},
        'configuration.mounts.REF.driver_opts.size',
        'INVALID_CONFIGURATION',
    ),
    (
        {'mounts': {'REF': {'type': 'volume', 'driver_opts': []}}},
        'configuration.mounts.REF.driver_opts',
        'INVALID_CONFIGURATION',
    ),
    ({'output_workspaces': 'products'}, 'configuration.output_workspaces', 'INVALID_CONFIGURATION'),
    (
        {'output_workspaces': {'default': 'products', 'extra': 1}},
        'configuration.output_workspaces.extra',
        'INVALID_CONFIGURATION',
    ),
    (
        {'output_workspaces': {'default': 3}},
        'configuration.output_workspaces.default',
        'INVALID_CONFIGURATION',
    ),
    (
        {'output_workspaces': {'default': 'products', 'outputs': []}},
        'configuration.output_workspaces.outputs',
        'INVALID_CONFIGURATION',
    ),
    (
        {'output_workspaces': {'default': 'products', 'outputs': {'OUT': 1}}},
        'configuration.output_workspaces.outputs.OUT',
        'INVALID_CONFIGURATION',
    ),
    (
        {'output_workspaces': {'default': 'nowhere'}},
        'configuration.output_workspaces.default',
        'INVALID_WORKSPACE',
    ),
    (
        {'output_workspaces': {'default': 'products', 'outputs': {'OUT': 'nowhere'}}},
        'configuration.output_workspaces.outputs.OUT',
        'INVALID_WORKSPACE',
    ),
    ({}, 'configuration.output_workspaces.outputs.OUT', 'MISSING_WORKSPACE'),
    (
        {'output_workspaces': {'outputs': {'OTHER': 'products'}}},
        'configuration.output_workspaces.outputs.OUT',
        'MISSING_WORKSPACE',
    ),
]


@pytest.mark.parametrize(('configuration', 'path', 'name'), BAD)
def test_bad_configurations_name_the_path(workspaces, configuration, path, name):
    error = errors_of(configuration)

    assert path in error.errors, error.errors
    assert error.names[path] == name


def test_every_shape_error_is_reported_at_once(workspaces):
    error = errors_of({'priority': 0, 'version': 'x', 'settings': {'A': 1}, 'junk': 1})

    assert error.names == {
        'configuration.junk': 'INVALID_CONFIGURATION',
        'configuration.version': 'INVALID_VERSION',
        'configuration.priority': 'INVALID_PRIORITY',
        'configuration.settings.A': 'INVALID_CONFIGURATION',
    }


def test_the_path_prefix_is_the_callers(workspaces):
    error = errors_of({'priority': 0}, path='body.configuration')

    assert list(error.errors) == ['body.configuration.priority']


def test_a_bad_secret_value_is_never_echoed(workspaces):
    error = errors_of({'settings': {'DB_PASS': ['hunter2-secret']}})

    assert 'hunter2' not in str(error.errors)


def test_output_workspace_per_output_is_enough(workspaces):
    result = validate_configuration(
        {'output_workspaces': {'outputs': {'OUT': 'products'}}}, manifest(mounts=())
    )

    assert result.configuration['output_workspaces'] == {'default': '', 'outputs': {'OUT': 'products'}}


def test_volume_mounts_are_normalized(workspaces):
    configuration = {**good(), 'mounts': {'REF': {'type': 'volume'}}}

    result = validate_configuration(configuration, manifest())

    assert result.configuration['mounts'] == {'REF': {'type': 'volume', 'driver': '', 'driver_opts': {}}}


def names(warnings):
    return sorted((warning['name'], warning['description']) for warning in warnings)


def test_warnings(workspaces):
    configuration = {
        'output_workspaces': {'default': 'old', 'outputs': {'OUT': 'products', 'GHOST': 'products'}},
        'mounts': {'OTHER': {'type': 'host', 'host_path': '/x'}},
        'settings': {'DB_HOST': 'h', 'UNDECLARED': 'v'},
    }

    warnings = validate_configuration(configuration, manifest()).warnings

    assert sorted(warning['name'] for warning in warnings) == [
        'DEPRECATED_WORKSPACE',
        'MISSING_MOUNT',
        'MISSING_SETTING',
        'UNKNOWN_MOUNT',
        'UNKNOWN_OUTPUT',
        'UNKNOWN_SETTING',
    ]
    text = ' '.join(warning['description'] for warning in warnings)
    for name in ("'old'", "'REF'", "'DB_PASS'", "'OTHER'", "'GHOST'", "'UNDECLARED'"):
        assert name in text


def test_stored_secrets_are_not_missing(workspaces):
    configuration = {**good(), 'settings': {'DB_HOST': 'h'}}

    assert [w['name'] for w in validate_configuration(configuration, manifest()).warnings] == [
        'MISSING_SETTING'
    ]
    assert validate_configuration(configuration, manifest(), stored_secrets={'DB_PASS'}).warnings == []


def test_override_is_merged_over_the_base_key_by_key(workspaces):
    base = {
        'mounts': {'REF': {'type': 'host', 'host_path': '/data/ref'}},
        'output_workspaces': {'default': 'products', 'outputs': {}},
        'priority': 50,
        'settings': {'DB_HOST': 'db.example'},
    }
    override = {'settings': {'DB_PASS': 'job-secret'}, 'output_workspaces': {'outputs': {'OUT': 'old'}}}

    result = validate_configuration(override, manifest(), base=base)

    assert result.configuration == {
        'mounts': {'REF': {'type': 'host', 'host_path': '/data/ref'}},
        'output_workspaces': {'default': 'products', 'outputs': {'OUT': 'old'}},
        'priority': 50,
        'settings': {'DB_HOST': 'db.example'},
    }
    assert result.secrets == {'DB_PASS': 'job-secret'}
    assert [warning['name'] for warning in result.warnings] == ['DEPRECATED_WORKSPACE']


def test_override_priority_wins_and_base_workspaces_are_checked(workspaces):
    base = {'output_workspaces': {'default': 'products'}, 'priority': 50}

    assert validate_configuration({'priority': 7}, manifest(), base=base).configuration['priority'] == 7
    assert validate_configuration(None, manifest(), base=base).configuration['priority'] == 50
    error = errors_of({'priority': 7}, base={'priority': 50})
    assert error.names == {'configuration.output_workspaces.outputs.OUT': 'MISSING_WORKSPACE'}


def test_existing_helpers_keep_their_behaviour():
    assert normalized_configuration({'version': '6', 'priority': None}) == {
        'mounts': {},
        'output_workspaces': {'default': '', 'outputs': {}},
        'priority': 100,
        'settings': {},
    }
    merged = merged_configuration({'priority': 5, 'settings': {'A': '1'}}, {'settings': {'B': '2'}})
    assert merged['priority'] == 5 and merged['settings'] == {'A': '1', 'B': '2'}
    public = public_configuration(
        {'settings': {'DB_PASS': 'x', 'DB_HOST': 'h'}}, None, manifest(), priority=3
    )
    assert public['settings'] == {'DB_HOST': 'h'} and public['priority'] == 3
