"""The v6 job configuration as served: `{mounts, output_workspaces: {default, outputs}, priority,
settings}` (shared/reference/scale-supporting-apis.md section 4)."""

import copy

DEFAULT_PRIORITY = 100


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
        'priority': configuration.get('priority') or DEFAULT_PRIORITY,
        'settings': configuration.get('settings') or {},
    }


def secret_setting_names(manifest):
    settings = ((manifest or {}).get('job') or {}).get('interface', {}).get('settings', [])
    return {setting['name'] for setting in settings if setting.get('secret')}


def merged_configuration(job_type_configuration, override):
    """A job's effective configuration: its override's keys over its job type's configuration."""
    configuration = normalized_configuration(job_type_configuration)
    if override:
        override = copy.deepcopy(override)
        override.pop('version', None)
        configuration.update({key: value for key, value in override.items() if value is not None})
        configuration = normalized_configuration(configuration)
    return configuration


def public_configuration(job_type_configuration, override, manifest):
    """The effective configuration with the manifest's secret settings removed: safe to serve."""
    configuration = merged_configuration(job_type_configuration, override)
    secrets = secret_setting_names(manifest)
    configuration['settings'] = {
        name: value for name, value in configuration['settings'].items() if name not in secrets
    }
    return configuration
