"""Read-only accessors over a normalized Seed manifest (validate_manifest's result). They tolerate
absent members, so manifests stored before normalization read the same way."""


def _job(manifest):
    return (manifest or {}).get('job') or {}


def _interface(manifest):
    return _job(manifest).get('interface') or {}


def file_inputs(manifest):
    """The file inputs: `[{name, required, mediaTypes, multiple, partial}]`, in manifest order."""
    return list((_interface(manifest).get('inputs') or {}).get('files') or [])


def json_inputs(manifest):
    """The json inputs: `[{name, type, required}]`, in manifest order."""
    return list((_interface(manifest).get('inputs') or {}).get('json') or [])


def file_outputs(manifest):
    """The file outputs: `[{name, pattern, mediaType, multiple, required}]`, in manifest order."""
    return list((_interface(manifest).get('outputs') or {}).get('files') or [])


def json_outputs(manifest):
    """The json outputs: `[{name, type, key?, required}]`, in manifest order."""
    return list((_interface(manifest).get('outputs') or {}).get('json') or [])


def mounts(manifest):
    """The mounts: `[{name, path, mode}]`, in manifest order."""
    return list(_interface(manifest).get('mounts') or [])


def settings(manifest):
    """The settings: `[{name, secret}]`, in manifest order."""
    return list(_interface(manifest).get('settings') or [])


def secret_setting_names(manifest):
    """The names of the settings the manifest marks secret (their values are never stored in a
    configuration nor served)."""
    return {setting['name'] for setting in settings(manifest) if setting.get('secret')}


def timeout(manifest):
    """The job's timeout in seconds (an integer >= 1 in a valid manifest), or None if absent."""
    return _job(manifest).get('timeout')
