"""The static world of a seed: builtin errors, workspaces, nodes, job types with their revisions and
errors, recipe types with their revisions, and batches. Rows that exist (by natural key) are reused;
missing ones are created with explicit ids (max(id) + 1 ...) so that a run is reproducible.

What the job generator needs is returned as plain objects (no ORM instances in the hot loop).
"""

import bisect
import datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F, Max

from job.choices import ErrorCategory, ExecutionStatus
from job.models import Error, JobExecution, JobType, JobTypeRevision, Workspace
from job.resources import job_resources
from job.seeding import catalog, job_types
from node.models import Node

UTC = datetime.UTC
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
SECOND = 1_000_000
DAY = 86_400 * SECOND
BUILTIN_ERRORS = Path(settings.BASE_DIR) / 'fixtures' / 'builtin_errors.json'
WORLD_TABLES = (
    'error',
    'workspace',
    'node',
    'job_type',
    'job_type_revision',
    'recipe_type',
    'recipe_type_revision',
    'trigger_event',
    'batch',
)


def to_us(value):
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * SECOND + delta.microseconds


def to_dt(us):
    return EPOCH + datetime.timedelta(microseconds=us)


class Revision:
    __slots__ = ('created', 'id', 'manifest', 'num', 'timeout')

    def __init__(self, id_, num, created, manifest):
        self.id = id_
        self.num = num
        self.created = created
        self.manifest = manifest
        self.timeout = int(manifest['job'].get('timeout') or 3600)


class TypeInfo:
    """One job type (name + version) as the generator sees it."""

    def __init__(self, row, spec, overrides, revisions, errors, workspace_id):
        self.id = row.id
        self.name = row.name
        self.version = row.version
        self.title = row.title
        self.spec = spec
        self.is_system = row.is_system
        self.max_tries = row.max_tries
        self.priority = int((row.configuration or {}).get('priority') or 100)
        self.workspace_id = workspace_id  # of its products
        self.docker_image = row.docker_image
        self.created = to_us(row.created)
        self.deprecated = to_us(row.deprecated) if row.deprecated else None
        self.paused = to_us(row.paused) if row.is_paused and row.paused else None
        self.revisions = sorted(revisions, key=lambda rev: rev.num)
        self.rev_created = [rev.created for rev in self.revisions]
        self.errors = errors  # [(code, error_id, title, description)] from the manifest
        self.error_codes = frozenset(code for code, *_ in errors)
        self.inputs = spec['inputs']
        self.json_inputs = job_types.json_input_specs(spec, overrides)
        self.output = spec['output']
        self.json_outputs = spec['json_outputs']
        self.classes = spec['classes']
        self.runtime = spec['runtime'] * SECOND
        self.weight = spec['weight']
        self.pool = []  # node indexes that can host its jobs

    def revision_at(self, when):
        index = bisect.bisect_right(self.rev_created, when) - 1
        return self.revisions[max(index, 0)]


class NodeInfo:
    __slots__ = ('deprecated', 'free', 'hostname', 'id', 'is_active', 'is_paused', 'resources')

    def __init__(self, row):
        self.id = row.id
        self.hostname = row.hostname
        self.resources = {name: float(value) for name, value in (row.resources or {}).items()}
        self.is_active = row.is_active
        self.is_paused = row.is_paused
        self.deprecated = to_us(row.deprecated) if row.deprecated else None
        self.free = dict(self.resources)

    def fits(self, requirement, free=False):
        available = self.free if free else self.resources
        for name, value in requirement.items():
            if value > 0 and available.get(name, 0.0) < value:
                return False
        return True


class World:
    """Everything the job generator needs, as plain Python objects."""

    def __init__(self, anchor, days):
        self.anchor = to_us(anchor)
        self.start = self.anchor - int(days * DAY)
        self.span = self.anchor - self.start
        self.builtin = {}  # name -> (id, category, should_be_retried)
        self.workspaces = {}  # name -> id
        self.nodes = []
        self.types = []
        self.recipe_types = []
        self.created = {}  # table -> rows created by this run

    def at(self, fraction):
        return self.start + int(fraction * self.span)


def first_free_id(model):
    return (model.objects.aggregate(top=Max('id'))['top'] or 0) + 1


def create(world, model, objects):
    """bulk_create with the explicit ids already set, then stamp last_modified = created."""
    if not objects:
        return
    model.objects.bulk_create(objects, batch_size=500)
    fields = {field.name for field in model._meta.concrete_fields}
    if 'last_modified' in fields:
        model.objects.filter(id__in=[obj.id for obj in objects]).update(last_modified=F('created'))
    table = model._meta.db_table
    world.created[table] = world.created.get(table, 0) + len(objects)


def ensure_builtin_errors():
    import json

    names = [item['fields']['name'] for item in json.loads(BUILTIN_ERRORS.read_text())]
    present = Error.objects.filter(job_type_name__isnull=True, name__in=names).count()
    if present < len(names):
        call_command('loaddata', str(BUILTIN_ERRORS), verbosity=0)


def add_workspaces(world):
    existing = {ws.name: ws.id for ws in Workspace.objects.filter(name__in=list(catalog.WORKSPACES))}
    next_id = first_free_id(Workspace)
    created = []
    for name, (title, description, host_path, base_url) in catalog.WORKSPACES.items():
        if name not in existing:
            created.append(
                Workspace(
                    id=next_id,
                    name=name,
                    title=title,
                    description=description,
                    base_url=base_url,
                    json_config={'broker': {'type': 'host', 'host_path': host_path}},
                    created=to_dt(world.start - 120 * DAY),
                )
            )
            existing[name] = next_id
            next_id += 1
    create(world, Workspace, created)
    world.workspaces = existing


def add_nodes(world, rng):
    specs = []
    number = 0
    for count, cpus, mem, disk, gpus, custom in catalog.NODE_TIERS:
        for _ in range(count):
            number += 1
            specs.append((number, {'cpus': cpus, 'mem': mem, 'disk': disk, 'gpus': gpus, **custom}))
    hostnames = [catalog.NODE_HOSTNAME.format(number) for number, _ in specs]
    existing = {node.hostname: node for node in Node.objects.filter(hostname__in=hostnames)}
    next_id = first_free_id(Node)
    created, refreshed = [], []
    for (number, resources), hostname in zip(specs, hostnames, strict=True):
        heartbeat = world.anchor - int(rng.uniform(0.5, 15.0) * SECOND)
        deprecated = world.anchor - int(rng.uniform(2.0, 10.0) * DAY)
        node = existing.get(hostname)
        if node is None:
            inactive = number in catalog.INACTIVE_NODES
            node = Node(
                id=next_id,
                hostname=hostname,
                resources=resources,
                is_active=not inactive,
                is_paused=number in catalog.PAUSED_NODES,
                pause_reason=catalog.PAUSED_NODES.get(number),
                deprecated=to_dt(deprecated) if inactive else None,
                last_heartbeat=to_dt(deprecated if inactive else heartbeat),
                created=to_dt(world.start - 90 * DAY),
            )
            next_id += 1
            created.append(node)
        elif node.is_active and (node.last_heartbeat is None or to_us(node.last_heartbeat) < heartbeat):
            node.last_heartbeat = to_dt(heartbeat)
            refreshed.append(node)
        world.nodes.append(NodeInfo(node))
    create(world, Node, created)
    if refreshed:
        Node.objects.bulk_update(refreshed, ['last_heartbeat'])
    # Capacity already taken by executions that are running now (e.g. from an earlier seed).
    by_id = {node.id: node for node in world.nodes}
    running = JobExecution.objects.filter(status=ExecutionStatus.RUNNING, node_id__in=list(by_id))
    for node_id, resources in running.values_list('node_id', 'resources').order_by('id').iterator():
        for name, value in (resources or {}).items():
            free = by_id[node_id].free
            if name in free:
                free[name] -= float(value or 0.0)


def _job_type_errors(world, specs):
    wanted = {}
    for spec in specs:
        for code, name, title, description, category in spec['errors']:
            wanted[(spec['name'], name)] = (code, title, description, category)
    existing = {
        (error.job_type_name, error.name): error.id
        for error in Error.objects.filter(job_type_name__in=sorted({name for name, _ in wanted}))
    }
    next_id = first_free_id(Error)
    created = []
    for (type_name, name), (_code, title, description, category) in wanted.items():
        if (type_name, name) not in existing:
            created.append(
                Error(
                    id=next_id,
                    name=name,
                    job_type_name=type_name,
                    title=title[:50],
                    description=description[:250],
                    category=ErrorCategory.DATA if category == 'data' else ErrorCategory.ALGORITHM,
                    is_builtin=False,
                    should_be_retried=False,
                    created=to_dt(world.start - 60 * DAY),
                )
            )
            existing[(type_name, name)] = next_id
            next_id += 1
    create(world, Error, created)
    return existing


def add_job_types(world):
    specs = job_types.JOB_TYPES
    error_ids = _job_type_errors(world, specs)
    pairs = [
        (spec, version, overrides) for spec in specs for version, overrides in job_types.versions_of(spec)
    ]
    existing = {
        (row.name, row.version): row
        for row in JobType.objects.filter(name__in=[spec['name'] for spec in specs]).order_by('id')
    }
    next_type_id = first_free_id(JobType)
    next_rev_id = first_free_id(JobTypeRevision)
    new_types, new_revisions = [], []
    for spec, version, overrides in pairs:
        if (spec['name'], version) in existing:
            continue
        created = world.at(overrides.get('created', -1.0)) - 7 * DAY
        revisions = [(1, created, {})]
        for num, (fraction, changes) in sorted(overrides.get('revisions', {}).items()):
            revisions.append((num, world.at(fraction), changes))
        manifests = [
            job_types.manifest_for(spec, version, overrides, changes, num)
            for num, _when, changes in revisions
        ]
        latest = manifests[-1]
        image = f'registry.example.com/imagery/{spec["name"]}:{latest["job"]["packageVersion"]}'
        row = JobType(
            id=next_type_id,
            name=spec['name'],
            version=version,
            title=spec['title'],
            description=spec['description'],
            icon_code=f'f{0x100 + next_type_id % 0x300:03x}',
            is_system=spec['system'],
            is_active=spec['deprecated'] is None,
            is_paused=spec['paused'] is not None,
            is_published=True,
            max_tries=spec['max_tries'],
            revision_num=revisions[-1][0],
            docker_image=image,
            manifest=latest,
            configuration=job_types.configuration_for(spec),
            created=to_dt(created),
            deprecated=to_dt(world.at(spec['deprecated'])) if spec['deprecated'] is not None else None,
            paused=to_dt(world.at(spec['paused'])) if spec['paused'] is not None else None,
        )
        next_type_id += 1
        new_types.append(row)
        for (num, when, _changes), manifest in zip(revisions, manifests, strict=True):
            package = manifest['job']['packageVersion']
            new_revisions.append(
                JobTypeRevision(
                    id=next_rev_id,
                    job_type_id=row.id,
                    revision_num=num,
                    docker_image=f'registry.example.com/imagery/{spec["name"]}:{package}',
                    manifest=manifest,
                    created=to_dt(when),
                )
            )
            next_rev_id += 1
        existing[(spec['name'], version)] = row
    create(world, JobType, new_types)
    create(world, JobTypeRevision, new_revisions)

    rows = [existing[(spec['name'], version)] for spec, version, _ in pairs]
    revisions = {}
    for rev in JobTypeRevision.objects.filter(job_type_id__in=[row.id for row in rows]).order_by('id'):
        revisions.setdefault(rev.job_type_id, []).append(
            Revision(rev.id, rev.revision_num, to_us(rev.created), rev.manifest)
        )
    for (spec, _version, overrides), row in zip(pairs, rows, strict=True):
        manifest_errors = (row.manifest.get('job') or {}).get('errors') or []
        errors = [
            (
                int(item['code']),
                error_ids[(row.name, item['name'])],
                item.get('title') or item['name'],
                item.get('description') or '',
            )
            for item in manifest_errors
            if (row.name, item['name']) in error_ids
        ]
        default = ((row.configuration or {}).get('output_workspaces') or {}).get('default')
        workspace_id = world.workspaces.get(default, world.workspaces[catalog.PRODUCT_WORKSPACE])
        world.types.append(TypeInfo(row, spec, overrides, revisions[row.id], errors, workspace_id))
    for info in world.types:
        base = job_resources(info.revisions[-1].manifest, 0.0)
        info.pool = [index for index, node in enumerate(world.nodes) if node.fits(base)]


def reset_sequences(tables):
    """Moves PostgreSQL identity sequences past the explicit ids written to `tables`."""
    if connection.vendor != 'postgresql':
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f'(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)'
            )
