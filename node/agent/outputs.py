"""Capturing a finished execution's outputs (shared/reference/scale-supporting-apis.md section 2.8):
the manifest's file outputs globbed in the output directory and copied into their workspaces, and
its json outputs read from `seed.outputs.json`.

Everything here is file work, no database: it runs in a worker thread while the agent loop goes on;
the agent then registers the copies (job.services.products) and completes the execution. Where
Scale was lax we are strict: required json outputs are enforced, and a results file that is not
valid JSON or holds a value of the wrong type is `invalid-results-manifest` (not `unknown`).
"""

import contextlib
import glob
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field

from job.data import is_json_type
from job.manifest import file_outputs, json_outputs
from job.services.products import ProductFile, product_path

RESULTS_FILE = 'seed.outputs.json'
MAX_RESULTS_BYTES = 16 * 1024 * 1024
# Side files that are never outputs themselves (Scale discards them too).
IGNORED_MARKERS = ('.metadata.json', RESULTS_FILE, 'results_manifest.json')


class OutputError(Exception):
    """The outputs break the manifest: `error` is the builtin error the execution fails with."""

    def __init__(self, error, message):
        super().__init__(message)
        self.error = error


@dataclass
class CollectedOutputs:
    """What collect_outputs found and copied: the products to register, the json outputs by output
    name, and the absolute paths written (removed again if the completion is refused)."""

    products: list = field(default_factory=list)
    json: dict = field(default_factory=dict)
    written: list = field(default_factory=list)


def _matches(output_dir, pattern):
    """The regular files the pattern matches inside `output_dir`, as paths relative to it; a match
    that is a symlink or resolves outside the directory is refused."""
    real_dir = os.path.realpath(output_dir)
    found = []
    for path in sorted(glob.glob(os.path.join(glob.escape(output_dir), pattern), recursive=True)):
        relative = os.path.relpath(path, output_dir)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            continue  # a pattern such as ../* reaches out of the output directory
        if any(marker in relative for marker in IGNORED_MARKERS):
            continue
        info = os.lstat(path)
        if stat.S_ISDIR(info.st_mode):
            continue
        real = os.path.realpath(path)
        if not stat.S_ISREG(info.st_mode) or os.path.commonpath([real_dir, real]) != real_dir:
            raise OutputError(
                'invalid-results-manifest',
                f'output file {relative} is not a regular file of the output directory',
            )
        found.append(relative)
    return found


def _copy(source, root, relative_target):
    """Copies `source` to `root/relative_target` through a temporary file (never a half-written
    product); returns (absolute target, size)."""
    target = os.path.join(root, relative_target)
    real_root = os.path.realpath(root)
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    if os.path.commonpath([real_root, os.path.realpath(directory)]) != real_root:
        raise OutputError('filesystem-io', f'{relative_target} would leave its workspace')
    handle, temporary = tempfile.mkstemp(prefix='.partial-', dir=directory)
    try:
        with open(source, 'rb') as reader, os.fdopen(handle, 'wb') as writer:
            shutil.copyfileobj(reader, writer, 1024 * 1024)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target, os.path.getsize(target)


def _read_results(output_dir):
    """The parsed results file, or None when there is none."""
    path = os.path.join(output_dir, RESULTS_FILE)
    if not os.path.lexists(path):
        return None
    try:
        if not os.path.isfile(path) or os.path.islink(path):
            raise OutputError('invalid-results-manifest', f'{RESULTS_FILE} is not a regular file')
        if os.path.getsize(path) > MAX_RESULTS_BYTES:
            raise OutputError(
                'invalid-results-manifest', f'{RESULTS_FILE} is larger than {MAX_RESULTS_BYTES} bytes'
            )
        with open(path, 'rb') as results:
            document = json.loads(results.read())
    except (OSError, ValueError, RecursionError) as exc:
        raise OutputError(
            'invalid-results-manifest', f'{RESULTS_FILE} cannot be read as JSON: {exc}'
        ) from None
    if not isinstance(document, dict):
        raise OutputError('invalid-results-manifest', f'{RESULTS_FILE} is not a JSON object')
    return document


def collect_json(manifest, output_dir):
    """The json outputs by name, read from the results file under their `key` (default: the name) and
    checked against their declared type. Raises OutputError: invalid-results-manifest (unreadable,
    not an object, a value of the wrong type), missing-required-output (a required one absent)."""
    specs = json_outputs(manifest)
    document = _read_results(output_dir) if specs else None
    values = {}
    for spec in specs:
        key = spec.get('key') or spec['name']
        if document is None or key not in document:
            if spec.get('required', True):
                raise OutputError(
                    'missing-required-output', f'required json output {spec["name"]} is missing'
                )
            continue
        value = document[key]
        if not is_json_type(value, spec['type']):
            raise OutputError(
                'invalid-results-manifest',
                f'json output {spec["name"]} ({key} in {RESULTS_FILE}) is not of type {spec["type"]}',
            )
        values[spec['name']] = value
    return values


def collect_outputs(plan):
    """Checks and captures the outputs of `plan` (an ExecutionPlan whose process exited 0): file
    outputs (zero matches of a required one: missing-required-output; several of a non-multiple one:
    unexpected-multiple-outputs) copied into their workspaces under product_path, and json outputs
    (collect_json). Raises OutputError; copies already made are removed when it does."""
    collected = CollectedOutputs()
    try:
        matched = []
        for spec in file_outputs(plan.manifest):
            files = _matches(plan.output_dir, spec['pattern'])
            if not files and spec.get('required', True):
                raise OutputError(
                    'missing-required-output',
                    f'required output {spec["name"]} matched no file ({spec["pattern"]})',
                )
            if len(files) > 1 and not spec.get('multiple'):
                raise OutputError(
                    'unexpected-multiple-outputs',
                    f'output {spec["name"]} matched {len(files)} files ({spec["pattern"]}) but is not multiple',
                )
            matched.extend((spec, relative) for relative in files)
        collected.json = collect_json(plan.manifest, plan.output_dir)
        for spec, relative in matched:
            target = plan.output_targets.get(spec['name'])
            if not isinstance(target, tuple):
                raise OutputError('filesystem-io', target or f'output {spec["name"]} has no workspace')
            workspace_id, root = target
            file_path = product_path(
                plan.job_type_name, plan.job_type_version, plan.job_id, plan.exe_num, relative
            )
            try:
                written, size = _copy(os.path.join(plan.output_dir, relative), root, file_path)
            except OSError as exc:
                raise OutputError(
                    'filesystem-io', f'output {relative} cannot be copied: {exc.strerror}'
                ) from None
            collected.written.append(written)
            collected.products.append(
                ProductFile(
                    output_name=spec['name'],
                    workspace_id=workspace_id,
                    file_path=file_path,
                    file_size=size,
                    media_type=spec.get('mediaType') or '',
                )
            )
    except OutputError:
        remove_files(collected.written)
        raise
    return collected


def remove_files(paths):
    """Removes copies already written (best effort)."""
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)
