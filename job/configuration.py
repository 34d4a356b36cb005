"""The v6 job configuration `{mounts, output_workspaces: {default, outputs}, priority, settings}`
(shared/reference/scale-supporting-apis.md section 4): how it is served, merged and validated
against a Seed manifest."""

import copy
import posixpath
from dataclasses import dataclass, field

from job.documents import DocumentErrors, check_values, child_path, short
from job.manifest import file_outputs, mounts, secret_setting_names, settings
from job.models import Workspace

DEFAULT_PRIORITY = 100
MAX_PRIORITY = 2**31 - 1
VERSIONS = ('6', '7', '2.0')
KEYS = ('version', 'mounts', 'output_workspaces', 'priority', 'settings')
MOUNT_KEYS = {'host': ('type', 'host_path'), 'volume': ('type', 'driver', 'driver_opts')}

INVALID_CONFIGURATION = 'INVALID_CONFIGURATION'
INVALID_VERSION = 'INVALID_VERSION'
INVALID_PRIORITY = 'INVALID_PRIORITY'
HOST_ABSOLUTE_PATH = 'HOST_ABSOLUTE_PATH'
INVALID_WORKSPACE = 'INVALID_WORKSPACE'
MISSING_WORKSPACE = 'MISSING_WORKSPACE'

__all__ = [
    'ValidatedConfiguration',
    'merged_configuration',
    'normalized_configuration',
    'public_configuration',
    'secret_setting_names',
    'validate_configuration',
]


def normalized_configuration(configuration):
    """The configuration with every key present (defaults filled) and `version` dropped."""
    configuration = copy.deepcopy(configuration or {})
    configuration.pop('version', None)
    output_workspaces = configuration.get('output_workspaces') or {}
    return {
        'mounts': configuration.get('mounts') or {},
        'output_workspaces': {
            'default': output_workspaces.get('default') or '',
            'outputs': output_workspaces.get('outputs') or {},
        },
        'priority': DEFAULT_PRIORITY if configuration.get('priority') is None else configuration['priority'],
        'settings': configuration.get('settings') or {},
    }


def merged_configuration(job_type_configuration, override):
    """A job's effective configuration: its override over its job type's configuration, key by key
    (a job that overrides one setting, mount or output workspace keeps the others)."""
    base = normalized_configuration(job_type_configuration)
    if not override:
        return base
    over = normalized_configuration(override)
    return {
        'mounts': {**base['mounts'], **over['mounts']},
        'output_workspaces': {
            'default': over['output_workspaces']['default'] or base['output_workspaces']['default'],
            'outputs': {**base['output_workspaces']['outputs'], **over['output_workspaces']['outputs']},
        },
        'priority': base['priority'] if override.get('priority') is None else over['priority'],
        'settings': {**base['settings'], **over['settings']},
    }


def public_configuration(job_type_configuration, override, manifest, priority=None):
    """The effective configuration with the manifest's secret settings removed: safe to serve.

    `priority`, when given, is the job's actual priority (fixed when it was queued, changed by a
    requeue with a new priority), which wins over the configured one.
    """
    configuration = merged_configuration(job_type_configuration, override)
    if priority is not None:
        configuration['priority'] = priority
    secrets = secret_setting_names(manifest)
    configuration['settings'] = {
        name: value for name, value in configuration['settings'].items() if name not in secrets
    }
    return configuration


@dataclass
class ValidatedConfiguration:
    """The result of validate_configuration.

    `configuration`: normalized (all four keys, no `version`), merged over the base when one was
    given, WITHOUT the values of secret settings: the form to store and serve.
    `secrets`: name -> value of the given settings that the manifest marks secret.
    `warnings`: `[{name, description}]` (UNKNOWN_SETTING, MISSING_SETTING, UNKNOWN_MOUNT,
    MISSING_MOUNT, DEPRECATED_WORKSPACE, UNKNOWN_OUTPUT).
    """

    configuration: dict
    secrets: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)


def _is_object(value):
    return isinstance(value, dict)


def _string_map(value, where, errors, what):
    """Checks `{name: string}`; returns the valid pairs."""
    if not _is_object(value):
        errors.add(INVALID_CONFIGURATION, where, f'must be a JSON object of {what}')
        return {}
    valid = {}
    for key, item in value.items():
        if isinstance(item, str):
            valid[key] = item
        else:
            # Never echo the value: it may be a secret.
            errors.add(INVALID_CONFIGURATION, child_path(where, key), 'must be a string')
    return valid


def _check_mount(mount, where, errors):
    """A host mount {type, host_path} or a volume mount {type, driver, driver_opts}; returns it
    normalized (volume driver '' and driver_opts {} by default)."""
    if not _is_object(mount):
        errors.add(
            INVALID_CONFIGURATION,
            where,
            'must be a JSON object: {"type": "host", "host_path": ...} '
            'or {"type": "volume", "driver": ..., "driver_opts": {...}}',
        )
        return None
    kind = mount.get('type')
    allowed = MOUNT_KEYS.get(kind) if isinstance(kind, str) else None
    if allowed is None:
        errors.add(
            INVALID_CONFIGURATION, child_path(where, 'type'), f'{short(kind)} is not one of host, volume'
        )
        return None
    for key in mount:
        if key not in allowed:
            errors.add(
                INVALID_CONFIGURATION,
                child_path(where, key),
                f'is not a key of a {kind} mount ({", ".join(allowed)})',
            )
    if kind == 'host':
        host_path = mount.get('host_path')
        if not isinstance(host_path, str):
            errors.add(INVALID_CONFIGURATION, child_path(where, 'host_path'), 'is required: an absolute path')
        elif not posixpath.isabs(host_path):
            errors.add(
                HOST_ABSOLUTE_PATH, child_path(where, 'host_path'), f'{short(host_path)} is not absolute'
            )
        return {'type': 'host', 'host_path': host_path}
    driver = mount.get('driver', '')
    if not isinstance(driver, str):
        errors.add(INVALID_CONFIGURATION, child_path(where, 'driver'), 'must be a string')
    options = _string_map(mount.get('driver_opts', {}), child_path(where, 'driver_opts'), errors, 'strings')
    return {'type': 'volume', 'driver': driver, 'driver_opts': options}


def _check_output_workspaces(value, where, errors):
    if not _is_object(value):
        errors.add(INVALID_CONFIGURATION, where, 'must be a JSON object {"default": ..., "outputs": {...}}')
        return {}
    for key in value:
        if key not in ('default', 'outputs'):
            errors.add(INVALID_CONFIGURATION, child_path(where, key), 'is not a key (default, outputs)')
    default = value.get('default')
    if default is not None and not isinstance(default, str):
        errors.add(INVALID_CONFIGURATION, child_path(where, 'default'), 'must be a workspace name (a string)')
    outputs = value.get('outputs')
    outputs = (
        {}
        if outputs is None
        else _string_map(outputs, child_path(where, 'outputs'), errors, 'workspace names')
    )
    return {'default': default if isinstance(default, str) else '', 'outputs': outputs}


def _cleaned(configuration, path, errors):
    """The configuration's values, shape-checked; errors for everything else."""
    check_values(configuration, path, errors, INVALID_CONFIGURATION)
    # Paths below name the document's keys: they must be text before they appear in an answer.
    errors.raise_if_any()
    cleaned = {}
    for key in configuration:
        if key not in KEYS:
            errors.add(INVALID_CONFIGURATION, child_path(path, key), f'is not a key ({", ".join(KEYS)})')
    if 'version' in configuration and configuration['version'] not in VERSIONS:
        errors.add(
            INVALID_VERSION,
            child_path(path, 'version'),
            f'{short(configuration["version"])} is not one of {", ".join(map(repr, VERSIONS))}',
        )
    priority = configuration.get('priority')
    if priority is not None:
        if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= MAX_PRIORITY:
            errors.add(
                INVALID_PRIORITY,
                child_path(path, 'priority'),
                f'{short(priority)} is not an integer from 1 to {MAX_PRIORITY}',
            )
        else:
            cleaned['priority'] = priority
    if configuration.get('settings') is not None:
        cleaned['settings'] = _string_map(
            configuration['settings'], child_path(path, 'settings'), errors, 'strings'
        )
    if configuration.get('mounts') is not None:
        where = child_path(path, 'mounts')
        if _is_object(configuration['mounts']):
            cleaned['mounts'] = {
                name: _check_mount(mount, child_path(where, name), errors)
                for name, mount in configuration['mounts'].items()
            }
        else:
            errors.add(INVALID_CONFIGURATION, where, 'must be a JSON object of mounts')
    if configuration.get('output_workspaces') is not None:
        cleaned['output_workspaces'] = _check_output_workspaces(
            configuration['output_workspaces'], child_path(path, 'output_workspaces'), errors
        )
    return cleaned


def _workspace_checks(configuration, manifest, path, errors, warnings):
    where = child_path(path, 'output_workspaces')
    default = configuration['output_workspaces']['default']
    outputs = configuration['output_workspaces']['outputs']
    named = ([(child_path(where, 'default'), default)] if default else []) + [
        (child_path(child_path(where, 'outputs'), output), name) for output, name in outputs.items()
    ]
    active = dict(
        Workspace.objects.filter(name__in={name for _, name in named}).values_list('name', 'is_active')
    )
    for at, name in named:
        if name not in active:
            errors.add(INVALID_WORKSPACE, at, f'no workspace named {short(name)}')
    for name in sorted({name for _, name in named if active.get(name) is False}):
        warnings.append({'name': 'DEPRECATED_WORKSPACE', 'description': f"Workspace '{name}' is deprecated."})
    declared = {output['name'] for output in file_outputs(manifest)}
    for output in file_outputs(manifest):
        if not default and output['name'] not in outputs:
            errors.add(
                MISSING_WORKSPACE,
                child_path(child_path(where, 'outputs'), output['name']),
                f"no workspace for the file output '{output['name']}' and no default workspace",
            )
    for output in outputs:
        if output not in declared:
            warnings.append(
                {
                    'name': 'UNKNOWN_OUTPUT',
                    'description': f"Output '{output}' is not a file output of the manifest.",
                }
            )


def _name_warnings(configured, declared, kind, warnings, ignored=()):
    for name in configured:
        if name not in declared:
            warnings.append(
                {
                    'name': f'UNKNOWN_{kind.upper()}',
                    'description': f"{kind.capitalize()} '{name}' is not in the manifest.",
                }
            )
    for name in declared:
        if name not in configured and name not in ignored:
            warnings.append(
                {
                    'name': f'MISSING_{kind.upper()}',
                    'description': f"{kind.capitalize()} '{name}' has no value.",
                }
            )


def validate_configuration(configuration, manifest, *, base=None, path='configuration', stored_secrets=()):
    """Validates a v6 job configuration against a (normalized) Seed manifest; raises InvalidDocument.

    `configuration` None means an empty one. With `base` (the job type's stored configuration, for a
    job's override) the result is merged over it key by key; without it the configuration stands
    alone, defaults filled. `path` is where the configuration sits in the request body; every error
    names the path of the bad value: not an object, an unknown key, `version` not "6", "7" or "2.0"
    (INVALID_VERSION), `priority` not an integer from 1 (INVALID_PRIORITY), a setting value that is
    not a string, a mount that is not {type: host, host_path (absolute: HOST_ABSOLUTE_PATH)} or
    {type: volume, driver, driver_opts}, output_workspaces not {default, outputs}
    (INVALID_CONFIGURATION), a workspace name that does not exist (INVALID_WORKSPACE), or a file
    output of the manifest with no workspace and no default (MISSING_WORKSPACE). `stored_secrets`
    names secret settings that already have a stored value (no MISSING_SETTING for them).

    Returns a ValidatedConfiguration; its `configuration` never holds a secret setting's value.
    """
    if configuration is None:
        configuration = {}
    errors = DocumentErrors()
    if not _is_object(configuration):
        errors.add(INVALID_CONFIGURATION, path, 'must be a JSON object (a v6 job configuration)')
        errors.raise_if_any()
    cleaned = _cleaned(configuration, path, errors)
    errors.raise_if_any()
    merged = normalized_configuration(cleaned) if base is None else merged_configuration(base, cleaned)
    secret_names = secret_setting_names(manifest)
    secrets = {name: value for name, value in merged['settings'].items() if name in secret_names}
    merged['settings'] = {
        name: value for name, value in merged['settings'].items() if name not in secret_names
    }
    warnings = []
    _name_warnings(
        [*merged['settings'], *secrets],
        [setting['name'] for setting in settings(manifest)],
        'setting',
        warnings,
        ignored=set(stored_secrets),
    )
    _name_warnings(list(merged['mounts']), [mount['name'] for mount in mounts(manifest)], 'mount', warnings)
    _workspace_checks(merged, manifest, path, errors, warnings)
    errors.raise_if_any()
    return ValidatedConfiguration(configuration=merged, secrets=secrets, warnings=warnings)
