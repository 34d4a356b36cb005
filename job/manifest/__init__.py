"""Seed manifests (seedVersion 1.0.0): validation, normalization and the accessors the rest of the
service reads a stored manifest with."""

from job.manifest.interface import (
    file_inputs,
    file_outputs,
    json_inputs,
    json_outputs,
    mounts,
    secret_setting_names,
    settings,
    timeout,
)
from job.manifest.validation import environment_name, manifest_warnings, validate_manifest

__all__ = [
    'environment_name',
    'file_inputs',
    'file_outputs',
    'json_inputs',
    'json_outputs',
    'manifest_warnings',
    'mounts',
    'secret_setting_names',
    'settings',
    'timeout',
    'validate_manifest',
]
