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
        'priority': DEFAULT_PRIORITY if configuration.get('priority') is None else configuration['priority'],
        'settings': configuration.get('settings') or {},
    }


def secret_setting_names(manifest):
    settings = ((manifest or {}).get('job') or {}).get('interface', {}).get('settings', [])
    return {setting['name'] for setting in settings if setting.get('secret')}


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
