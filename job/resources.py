"""The resources a job needs, computed from its Seed manifest and its input size (DESIGN.md
section 4; shared/reference/scale-v6-behaviour.md section 13.1)."""

import math

STANDARD_RESOURCES = ('cpus', 'mem', 'disk', 'gpus')
# Floors applied to every requirement; the standard resources are always present.
RESOURCE_FLOORS = {'cpus': 0.25, 'mem': 128.0, 'disk': 0.0, 'gpus': 0.0}
# Requested from the container runtime, never scheduled.
UNSCHEDULED_RESOURCES = frozenset({'sharedmem'})


def job_resources(manifest, input_file_size=None):
    """The requirement of a job: `{"cpus", "mem" (MiB), "disk" (MiB), "gpus", <custom>...}` as floats.

    Each scalar of `manifest.job.resources.scalar` (any name: custom resources are matched against
    what nodes offer) is raised to its floor (cpus 0.25, mem 128, others 0); one with an
    inputMultiplier becomes ceil(value + multiplier * input size in MiB) before the floor; disk is at
    least the input size; sharedmem is left out (the container runtime gets it, the scheduler does
    not). Resource names are compared lowercased, as the manifest normalization stores them.
    """
    input_size = float(input_file_size or 0.0)
    resources = dict(RESOURCE_FLOORS)
    scalars = (((manifest or {}).get('job') or {}).get('resources') or {}).get('scalar') or []
    for scalar in scalars:
        name = str(scalar['name']).lower()
        if name in UNSCHEDULED_RESOURCES:
            continue
        value = float(scalar.get('value', 0.0))
        multiplier = scalar.get('inputMultiplier')
        if multiplier is not None:
            value = float(math.ceil(value + float(multiplier) * input_size))
        resources[name] = max(value, RESOURCE_FLOORS.get(name, 0.0))
    resources['disk'] = max(resources['disk'], input_size)
    return resources
