"""The job stream: units of work (a group of standalone jobs sharing one trigger event, or a recipe of
1-4 jobs), each expanded into rows of every table, consistent with the job's status.

`Generator.chunk(size)` returns the rows of the next whole units totalling at least `size` jobs (or
what is left), so that a chunk always holds every row of its jobs. Row tuples follow
writer.COLUMNS.
"""

import bisect
import json
from json.encoder import c_make_encoder, encode_basestring_ascii

from job.choices import JobStatus
from job.resources import job_resources
from job.seeding import catalog
from job.seeding.attempts import (
    CANCEL,
    CANCEL_QUEUED,
    DONE,
    FAIL,
    QUEUED,
    RUN,
    WITH_EXECUTION,
    Planner,
)
from job.seeding.executions import add_executions
from job.seeding.files import FileMaker, size_mib, source_fields
from job.seeding.loglines import LogMaker
from job.seeding.world import DAY, SECOND

TABLE_ORDER = ('trigger_event', 'recipe', 'scale_file', 'job', 'job_input_file', 'job_exe', 'job_exe_log')
STATUS_MIX = (
    (JobStatus.COMPLETED, 0.60),
    (JobStatus.FAILED, 0.12),
    (JobStatus.QUEUED, 0.10),
    (JobStatus.RUNNING, 0.03),
    (JobStatus.CANCELED, 0.06),
    (JobStatus.PENDING, 0.06),
    (JobStatus.BLOCKED, 0.03),
)
FINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED})
P_RECIPE_UNIT = 0.57  # about 30% of the jobs end up in recipes
P_BATCH = 0.22  # share of recipes created by a batch
P_SUPERSEDE = 0.055  # share of final standalone jobs superseded by a newer job (about 3% of all jobs)
P_PRIORITY_OVERRIDE = 0.05
OVERRIDE_PRIORITIES = (1, 5, 20, 50, 200, 300)
if c_make_encoder is not None:  # the C encoder called directly is twice as fast as JSONEncoder.encode
    _encode = c_make_encoder(None, None, encode_basestring_ascii, None, ':', ',', False, False, True)

    def _dumps(value):
        return ''.join(_encode(value, 0))

else:  # pragma: no cover - CPython has the C encoder
    _dumps = json.JSONEncoder(separators=(',', ':')).encode


class Rows:
    def __init__(self):
        self.tables = {name: [] for name in TABLE_ORDER}
        self.jobs = 0


class JobRec:
    """A generated job whose own row (and product row) is written once we know whether a newer job
    supersedes it."""

    __slots__ = (
        'batch_id',
        'configuration',
        'created',
        'done_exe_id',
        'ended',
        'error_id',
        'event_id',
        'id',
        'input',
        'inputs',
        'jt',
        'last_status_change',
        'max_tries',
        'node_id',
        'num_exes',
        'output',
        'priority',
        'product_id',
        'queued',
        'recipe_id',
        'recipe_node',
        'recipe_rev_num',
        'recipe_type_id',
        'recipe_type_name',
        'resources',
        'rev',
        'size',
        'source',
        'started',
        'status',
        'superseded',
        'superseded_job_id',
        'workspace_id',
    )


class Generator:
    def __init__(self, world, rng, total, ids, log_lines_min=3, log_lines_max=8):
        self.world = world
        self.rng = rng
        self.total = total
        self.ids = ids
        self.k = 0
        self.status_counts = {status: 0 for status, _ in STATUS_MIX}
        self.planner = Planner(world, rng)
        self.files = FileMaker(world, rng, ids)
        self.logs = LogMaker(rng, log_lines_min, log_lines_max)
        self._status_weights(total)
        self._eras()
        self.recipe_cum = []
        weight = 0
        for rt in world.recipe_types:
            weight += rt.weight
            self.recipe_cum.append(weight)
        for rt in world.recipe_types:
            rt.batches.sort()
            rt.batch_times = [created for created, _batch, _event in rt.batches]

    @property
    def done(self):
        return self.k >= self.total

    # -- set-up ---------------------------------------------------------------------------------------

    def _status_weights(self, total):
        """The status mix, with RUNNING limited to what the active nodes can hold at once."""
        capacity = sum(
            min(node.free.get('cpus', 0.0) / 2.0, node.free.get('mem', 0.0) / 8192.0)
            for node in self.world.nodes
            if node.is_active and not node.is_paused
        )
        running = min(0.03, 0.6 * max(capacity, 0.0) / max(total, 1))
        self.statuses, self.status_cum, cumulative = [], [], 0.0
        for status, share in STATUS_MIX:
            if status == JobStatus.RUNNING:
                share = running
            elif status == JobStatus.QUEUED:
                share += 0.03 - running
            cumulative += share
            self.statuses.append(status)
            self.status_cum.append(cumulative)

    def _eras(self):
        """Job types available per era (between creations and deprecations), with cumulative weights."""
        world = self.world
        bounds = sorted(
            {jt.created for jt in world.types} | {jt.deprecated for jt in world.types if jt.deprecated}
        )
        self.era_starts = bounds
        self.era_types = []
        for start in bounds:
            types = [
                jt
                for jt in world.types
                if jt.created <= start and (jt.deprecated is None or start < jt.deprecated)
            ]
            cumulative, total = [], 0
            for jt in types:
                total += jt.weight
                cumulative.append(total)
            self.era_types.append((types, cumulative))

    # -- helpers --------------------------------------------------------------------------------------

    def next_id(self, table):
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def _status(self):
        return self.statuses[bisect.bisect_right(self.status_cum, self.rng.random() * self.status_cum[-1])]

    def _job_type(self, when):
        index = max(bisect.bisect_right(self.era_starts, when) - 1, 0)
        types, cumulative = self.era_types[index]
        return types[bisect.bisect_right(cumulative, self.rng.random() * cumulative[-1])]

    def _event(self, rows, event_id, type_, occurred, description):
        rows.tables['trigger_event'].append((event_id, type_, _dumps(description), occurred))

    # -- units ----------------------------------------------------------------------------------------

    def chunk(self, size):
        rows = Rows()
        world = self.world
        while rows.jobs < size and self.k < self.total:
            t0 = world.start + int((self.k + self.rng.random()) * world.span / self.total)
            t0 = min(t0, world.anchor - 120 * SECOND)
            if self.recipe_cum and self.rng.random() < P_RECIPE_UNIT:
                self._recipe(rows, t0)
            else:
                self._group(rows, t0)
        return rows

    def _group(self, rows, t0):
        """Standalone jobs of one type triggered by one event; some are later superseded."""
        rng = self.rng
        world = self.world
        jt = self._job_type(t0)
        cls = rng.choice(jt.classes)
        size = min(self.total - self.k, 1 + int(rng.expovariate(1.0) * 7), 25)
        event_id = self.next_id('trigger_event')
        occurred = t0 - int(rng.uniform(1.0, 30.0) * SECOND)
        if jt.name == 'scale-ingest':
            event_type = 'STRIKE_TRANSFER'
        elif jt.name.endswith(('-parse', '-convert')) or jt.name == 'hdf-to-cog':
            event_type = 'PARSE'
        else:
            event_type = 'USER'
        user = rng.choice(catalog.USERS)
        created = t0
        first = None
        for _ in range(size):
            if self.k >= self.total:
                break
            created = min(created, world.anchor - 2 * SECOND)
            inputs = self._inputs(rows, jt, cls, created)
            if first is None:
                first = inputs[0][1][0]
            rec = self._job(rows, jt, created, event_id, inputs)
            newer = None
            if rec.status in FINAL and self.k < self.total and rng.random() < P_SUPERSEDE:
                newer = self._supersede(rows, rec)
            self._emit(rows, rec)
            if newer is not None:
                self._emit(rows, newer)
            created += int(rng.uniform(0.2, 4.0) * SECOND)
        if event_type == 'STRIKE_TRANSFER':
            description = {'strike_id': 1 + catalog.SENSOR_CLASS_NAMES.index(cls), 'file_name': first.name}
        elif event_type == 'PARSE':
            description = {'file_id': first.id, 'file_name': first.name}
        else:
            description = {'user': user, 'job_type': jt.name}
        self._event(rows, event_id, event_type, occurred, description)

    def _supersede(self, rows, old):
        """A newer job of the same type on the same input, created when `old` is superseded."""
        rng = self.rng
        world = self.world
        jt = old.jt
        last = max(old.last_status_change or old.created, old.created)
        if world.anchor - last < 300 * SECOND:
            return None
        when = last + int(rng.expovariate(1.0) * 2 * DAY)
        if when > world.anchor - 60 * SECOND:
            when = last + int((world.anchor - 60 * SECOND - last) * rng.uniform(0.2, 0.8))
        if jt.deprecated is not None and when >= jt.deprecated:
            return None
        old.superseded = when
        event_id = self.next_id('trigger_event')
        self._event(rows, event_id, 'USER', when, {'user': rng.choice(catalog.USERS), 'reprocess': old.id})
        return self._job(rows, jt, when, event_id, old.inputs, superseded_job_id=old.id)

    def _recipe(self, rows, t0):
        rng = self.rng
        world = self.world
        rt = self.world.recipe_types[bisect.bisect_right(self.recipe_cum, rng.random() * self.recipe_cum[-1])]
        rev_id, rev_num, _created, nodes = rt.revision_at(t0)
        nodes = nodes[: self.total - self.k]
        cls = rng.choice(rt.classes)
        batch_id = event_id = new_event = None
        if rt.batches and rng.random() < P_BATCH:
            index = bisect.bisect_right(rt.batch_times, t0)
            if index:
                _when, batch_id, event_id = rt.batches[index - 1 - int(rng.random() * min(index, 3))]
        if event_id is None:
            event_id = self.next_id('trigger_event')
            new_event = rng.choice(('PARSE', 'PARSE', 'USER'))
        recipe_id = self.next_id('recipe')
        files = {}
        for _node, jt in nodes:
            for _name, kind, _multiple in jt.inputs:
                if kind not in files:
                    files[kind] = (
                        self.files.scene(rows, cls, t0) if kind == 'scene' else self.files.aux(rows, kind, t0)
                    )
        records = []
        created = t0
        for node_name, jt in nodes:
            created = min(created + int(rng.uniform(0.05, 1.0) * SECOND), world.anchor - 2 * SECOND)
            inputs = [(name, [files[kind]]) for name, kind, _multiple in jt.inputs]
            recipe = (recipe_id, rt.id, rt.name, rev_num, node_name)
            rec = self._job(rows, jt, created, event_id, inputs, recipe=recipe, batch_id=batch_id)
            self._emit(rows, rec)
            records.append(rec)
        if batch_id is None:
            scene = files.get('scene')
            description = (
                {'file_id': scene.id, 'file_name': scene.name}
                if new_event == 'PARSE'
                else {'user': rng.choice(catalog.USERS)}
            )
            self._event(rows, event_id, new_event, t0 - int(rng.uniform(1.0, 60.0) * SECOND), description)
        all_files = list(files.values())
        names = {kind: 'INPUT_IMAGE' if kind == 'scene' else kind.upper() for kind in files}
        source = source_fields(all_files)
        completed = None
        if all(rec.status == JobStatus.COMPLETED for rec in records):
            completed = max(rec.ended for rec in records)
        last_modified = max([t0, *(rec.last_status_change or rec.created for rec in records)])
        rows.tables['recipe'].append(
            (
                recipe_id,
                rt.id,
                rev_id,
                event_id,
                batch_id,
                None,
                False,
                None,
                None,
                _dumps({'files': {names[kind]: [f.id] for kind, f in files.items()}, 'json': {}}),
                size_mib(all_files),
                *source,
                t0,
                completed,
                last_modified,
            )
        )

    def _inputs(self, rows, jt, cls, created):
        inputs = []
        for name, kind, multiple in jt.inputs:
            if kind == 'scene':
                count = 1 + (int(self.rng.expovariate(1.0) * 0.8) if multiple else 0)
                inputs.append((name, [self.files.scene(rows, cls, created) for _ in range(min(count, 4))]))
            else:
                inputs.append((name, [self.files.aux(rows, kind, created)]))
        return inputs

    # -- one job --------------------------------------------------------------------------------------

    def _job(self, rows, jt, created, event_id, inputs, recipe=None, batch_id=None, superseded_job_id=None):
        rng = self.rng
        random = rng.random
        planner = self.planner
        self.k += 1
        rows.jobs += 1
        rec = JobRec()
        rec.id = self.next_id('job')
        rec.jt = jt
        rec.rev = rev = jt.revision_at(created)
        rec.created = created
        rec.event_id = event_id
        rec.batch_id = batch_id
        rec.inputs = inputs
        rec.superseded = None
        rec.superseded_job_id = superseded_job_id
        rec.workspace_id = jt.workspace_id
        if recipe is None:
            rec.recipe_id = rec.recipe_type_id = rec.recipe_type_name = rec.recipe_rev_num = (
                rec.recipe_node
            ) = None
        else:
            rec.recipe_id, rec.recipe_type_id, rec.recipe_type_name, rec.recipe_rev_num, rec.recipe_node = (
                recipe
            )
        files = [f for _name, group in inputs for f in group]
        rec.size = size = size_mib(files)
        rec.source = source_fields(files)
        requirement = job_resources(rev.manifest, size)
        rec.resources = _dumps(requirement)
        json_input = {}
        for name, _type, choices in jt.json_inputs:
            if random() < 0.8:
                json_input[name] = choices[int(random() * len(choices))]
        rec.input = _dumps(
            {'files': {name: [f.id for f in group] for name, group in inputs}, 'json': json_input}
        )
        if random() < P_PRIORITY_OVERRIDE:
            rec.priority = OVERRIDE_PRIORITIES[int(random() * len(OVERRIDE_PRIORITIES))]
            rec.configuration = _dumps({'priority': rec.priority})
        else:
            rec.priority = jt.priority
            rec.configuration = None

        status = self._status()
        if jt.paused is not None and (
            status == JobStatus.RUNNING
            or (created >= jt.paused and status in (JobStatus.COMPLETED, JobStatus.FAILED))
        ):
            status = JobStatus.QUEUED  # nothing of a paused job type is placed
        attempts, rec.max_tries = planner.attempts(jt, status)
        if attempts and attempts[-1].kind == RUN:
            node = planner.reserve(jt, requirement)
            if node is None:
                attempts[-1].kind = QUEUED
                status = JobStatus.QUEUED
            else:
                attempts[-1].node = node
        rec.status = status
        rec.output = rec.done_exe_id = rec.product_id = None
        rec.node_id = rec.error_id = rec.queued = rec.started = rec.ended = None
        rec.num_exes = 0
        rec.last_status_change = created
        if not attempts:
            return rec
        planner.resolve_errors(jt, attempts)
        planner.times(jt, rev.timeout, created, attempts)
        last = attempts[-1]
        rec.num_exes = last.exe_num
        rec.queued = last.queued
        if last.kind in WITH_EXECUTION:
            rec.started = last.started
        if last.kind in (DONE, FAIL, CANCEL, CANCEL_QUEUED):
            rec.ended = last.ended
        rec.last_status_change = (
            last.queued if last.kind == QUEUED else last.started if last.kind == RUN else last.ended
        )
        if status == JobStatus.FAILED:
            rec.error_id = last.error_id
        if last.kind == DONE:
            rec.product_id = self.next_id('scale_file')
            json_output = {}
            for name, type_, _key, (low, high) in jt.json_outputs:
                value = low + (high - low) * random()
                json_output[name] = int(value) if type_ == 'integer' else round(value, 3)
            rec.output = _dumps({'files': {jt.output[0]: [rec.product_id]}, 'json': json_output})
        add_executions(self, rows, rec, attempts, requirement, files[0])
        if status in (JobStatus.RUNNING, JobStatus.COMPLETED, JobStatus.FAILED):
            rec.node_id = last.node.id if last.node is not None else None
        return rec

    def _emit(self, rows, rec):
        """Writes the job row, its input links and its product, now that `superseded` is known."""
        self.status_counts[rec.status] += 1
        created = rec.created
        links = rows.tables['job_input_file']
        for name, group in rec.inputs:
            for f in group:
                links.append((self.next_id('job_input_file'), rec.id, f.id, name, created))
        superseded = rec.superseded
        rows.tables['job'].append(
            (
                rec.id,
                rec.jt.id,
                rec.rev.id,
                rec.event_id,
                rec.recipe_id,
                rec.batch_id,
                superseded is not None,
                rec.superseded_job_id,
                superseded,
                rec.status,
                rec.node_id,
                rec.error_id,
                rec.priority,
                rec.max_tries,
                rec.num_exes,
                rec.input,
                rec.size,
                rec.output,
                rec.configuration,
                rec.resources,
                None,  # queue_reason: the scheduler writes it
                *rec.source,
                created,
                rec.queued,
                rec.started,
                rec.ended,
                rec.last_status_change,
                superseded if superseded is not None else rec.last_status_change,
            )
        )
        if rec.product_id is not None:
            self.files.product(rows, rec)
