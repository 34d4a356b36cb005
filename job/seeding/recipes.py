"""Recipe types (with their revisions) and batches of the synthetic world."""

import bisect
import math

from batch.models import Batch
from job.models import TriggerEvent
from job.seeding import catalog
from job.seeding.world import DAY, create, first_free_id, to_dt, to_us
from recipe.models import RecipeType, RecipeTypeRevision


class RecipeTypeInfo:
    def __init__(self, row, spec, revisions):
        self.id = row.id
        self.name = row.name
        self.weight = spec['weight']
        self.classes = spec['classes']
        self.revisions = revisions  # [(id, num, created_us, [(node name, TypeInfo)])]
        self.rev_created = [rev[2] for rev in revisions]
        self.batches = []  # [(created_us, batch_id, event_id)], sorted by created
        self.batch_times = []  # their created times, for bisect

    def revision_at(self, when):
        index = bisect.bisect_right(self.rev_created, when) - 1
        return self.revisions[max(index, 0)]


def add_recipe_types(world):
    types = {(info.name, info.version): info for info in world.types}
    existing = {
        row.name: row for row in RecipeType.objects.filter(name__in=[s['name'] for s in catalog.RECIPE_TYPES])
    }
    next_id = first_free_id(RecipeType)
    next_rev_id = first_free_id(RecipeTypeRevision)
    new_types, new_revisions = [], []
    for spec in catalog.RECIPE_TYPES:
        if spec['name'] in existing:
            continue
        created = world.start - 20 * DAY
        revisions = [(1, created, spec['nodes'])]
        for num, (fraction, changes) in sorted(spec['revisions'].items()):
            nodes = tuple(
                (name, *changes.get(name, (type_name, version))) for name, type_name, version in spec['nodes']
            )
            revisions.append((num, world.at(fraction), nodes))
        definitions = [_recipe_definition(types, nodes) for _num, _when, nodes in revisions]
        row = RecipeType(
            id=next_id,
            name=spec['name'],
            title=spec['title'],
            description=spec['description'],
            revision_num=revisions[-1][0],
            definition=definitions[-1],
            created=to_dt(created),
        )
        next_id += 1
        new_types.append(row)
        for (num, when, _nodes), definition in zip(revisions, definitions, strict=True):
            new_revisions.append(
                RecipeTypeRevision(
                    id=next_rev_id,
                    recipe_type_id=row.id,
                    revision_num=num,
                    definition=definition,
                    created=to_dt(when),
                )
            )
            next_rev_id += 1
        existing[spec['name']] = row
    create(world, RecipeType, new_types)
    create(world, RecipeTypeRevision, new_revisions)
    for spec in catalog.RECIPE_TYPES:
        row = existing[spec['name']]
        revisions = []
        for rev in RecipeTypeRevision.objects.filter(recipe_type_id=row.id).order_by('revision_num'):
            nodes = []
            for node_name, node in (rev.definition.get('nodes') or {}).items():
                node_type = node.get('node_type') or {}
                info = types.get((node_type.get('job_type_name'), node_type.get('job_type_version')))
                if info is not None:
                    nodes.append((node_name, info))
            revisions.append((rev.id, rev.revision_num, to_us(rev.created), nodes))
        if revisions and all(nodes for *_, nodes in revisions):
            world.recipe_types.append(RecipeTypeInfo(row, spec, revisions))


def _recipe_definition(types, nodes):
    kinds = []
    for _name, type_name, version in nodes:
        for _input, kind, _multiple in types[(type_name, version)].inputs:
            if kind not in kinds:
                kinds.append(kind)
    recipe_inputs = {kind: 'INPUT_IMAGE' if kind == 'scene' else kind.upper() for kind in kinds}
    return {
        'input': {
            'files': [
                {'name': name, 'mediaTypes': [], 'required': True, 'multiple': False}
                for name in recipe_inputs.values()
            ],
            'json': [],
        },
        'nodes': {
            name: {
                'dependencies': [],
                'input': {
                    input_name: {'type': 'recipe', 'input': recipe_inputs[kind]}
                    for input_name, kind, _multiple in types[(type_name, version)].inputs
                },
                'node_type': {
                    'node_type': 'job',
                    'job_type_name': type_name,
                    'job_type_version': version,
                    'job_type_revision': types[(type_name, version)].revisions[-1].num,
                },
            }
            for name, type_name, version in nodes
        },
    }


def add_batches(world, rng, count):
    """`count` new batches over the window, each with its BATCH trigger event; some supersede an earlier
    batch of the same recipe type."""
    if not world.recipe_types or count <= 0:
        return
    weights = [rt.weight for rt in world.recipe_types]
    plans = []
    for _ in range(count):
        rt = rng.choices(world.recipe_types, weights)[0]
        created = world.start + int(rng.random() * world.span * 0.97)
        plans.append((created, rt, rng.random(), rng.choice(catalog.USERS)))
    plans.sort(key=lambda plan: plan[0])
    next_event = first_free_id(TriggerEvent)
    next_batch = first_free_id(Batch)
    events, batches, latest = [], [], {}
    for number, (created, rt, roll, user) in enumerate(plans, start=1):
        rev_id, rev_num, _when, _nodes = rt.revision_at(created)
        previous = latest.get(rt.id)
        supersedes = previous is not None and roll < 0.12
        title = f'{rt.name} reprocess {number}'[:50]
        events.append(
            TriggerEvent(
                id=next_event,
                type='BATCH',
                description={'batch_id': next_batch, 'user': user, 'title': title},
                occurred=to_dt(created),
            )
        )
        batch = Batch(
            id=next_batch,
            title=title,
            description=f'Reprocessing of {rt.name} revision {rev_num} requested by {user}',
            recipe_type_id=rt.id,
            recipe_type_rev_id=rev_id,
            event_id=next_event,
            is_creation_done=True,
            definition={'previous_batch': {'root_batch_id': previous.id} if supersedes else None},
            configuration={'priority': rng.choice((50, 100, 150))},
            created=to_dt(created),
        )
        if supersedes:
            batch.superseded_batch_id = previous.id
            batch.root_batch_id = previous.root_batch_id or previous.id
            previous.is_superseded = True
            previous.superseded = to_dt(created)
        latest[rt.id] = batch
        batches.append(batch)
        rt.batches.append((created, next_batch, next_event))
        next_event += 1
        next_batch += 1
    create(world, TriggerEvent, events)
    create(world, Batch, batches)


def batch_count(jobs):
    return max(3, min(300, math.ceil(jobs / 3300)))
