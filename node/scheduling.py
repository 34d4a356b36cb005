"""The scheduler's matching: which queued job goes on which node this pass, and why the others wait.

Pure Python over plain dataclasses (no ORM, no Django), so every rule is unit-tested without a
database; node/scheduler.py loads the snapshot and persists the plan. Rules (DESIGN.md section 4):

- Jobs in order of priority (lower first), then queued time (FIFO oldest first, LIFO newest first),
  then id.
- A job goes on a READY node whose free resources cover every resource it requires (a resource the
  node lacks counts as 0), choosing the tightest fit: the lowest sum over the node's resources of
  leftover / total, so a CPU job leaves a GPU node's idle GPUs (which would count 1 each) alone.
  Placing subtracts the requirement from the node's free resources for the rest of the pass.
- Paused job types, and job types at max_scheduled (running + placed this pass), place nothing;
  they are skipped at the cost of one lookup for the rest of the window.
- A job that no node could ever run (no non-deprecated node's total covers it) never fits: its job
  type's unmet_resources names the missing resources, unless another of its jobs can run. A job that
  fits some node but not now waits.
- Reservation: a job that waits although some READY node is big enough takes the best such node out
  of play for the jobs after it in this pass, so a stream of small jobs cannot starve it.
"""

import heapq
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

READY = 'READY'
PAUSED = 'PAUSED'
OFFLINE = 'OFFLINE'
DEPRECATED = 'DEPRECATED'
FIFO = 'FIFO'
LIFO = 'LIFO'

SCHEDULER_PAUSED = 'scheduler paused'
JOB_TYPE_PAUSED = 'job type paused'  # job.services.queue.queue_reason says it at once too
REASON_MAX_LENGTH = 250
# Tolerance for float sums of allocations (0.1 + 0.2 cpus must fit in 0.3).
EPSILON = 1e-9
# Per-requirement candidate heaps kept alive at once; a requirement seen again after eviction rebuilds
# its heap (one scan of the ready nodes), so this bounds memory, not correctness.
MAX_HEAPS = 64
UNITS = {'mem': 'MiB ', 'disk': 'MiB '}
# Always offered by a node (0 when it has none): a job asking for more than the largest node has is
# told the amount; a custom resource that no node offers is told it is missing.
STANDARD = ('cpus', 'mem', 'disk', 'gpus')


@dataclass(frozen=True, slots=True)
class QueuedJob:
    """A QUEUED job of the window: `exe_num` is its num_exes, `queued` any comparable time (not None),
    `resources` its requirement {name: amount}."""

    id: int
    exe_num: int
    job_type_id: int
    priority: int
    queued: Any
    resources: dict


@dataclass(frozen=True, slots=True)
class NodeSnapshot:
    """A node: `total` resources as registered, `free` = total minus the RUNNING executions'
    allocations, `state` READY, PAUSED, OFFLINE or DEPRECATED."""

    id: int
    hostname: str
    total: dict
    free: dict
    state: str = READY


@dataclass(frozen=True, slots=True)
class JobTypeSnapshot:
    """A job type: `running` is its number of RUNNING executions; `max_scheduled` None is no limit."""

    id: int
    is_paused: bool = False
    max_scheduled: int | None = None
    running: int = 0


@dataclass(frozen=True, slots=True)
class PlannedPlacement:
    job_id: int
    exe_num: int
    node_id: int
    resources: dict


@dataclass
class Plan:
    """The outcome of a pass: `placements` in queue order; `reasons` {job id: why it waits} for every
    job not placed; `unmet_resources` {job type id: comma-joined names, or None when its jobs can run
    again} for the job types whose jobs were checked against the nodes; `reservations` {node id: job
    id}."""

    placements: list = field(default_factory=list)
    reasons: dict = field(default_factory=dict)
    unmet_resources: dict = field(default_factory=dict)
    reservations: dict = field(default_factory=dict)


def _amount(name, value):
    return f'{value:g} {UNITS.get(name, "")}{name}'


def _clip(text):
    return text if len(text) <= REASON_MAX_LENGTH else text[: REASON_MAX_LENGTH - 3] + '...'


def blocked_reason(job_type, placed=0):
    """Why no job of `job_type` (a JobTypeSnapshot) can be placed after `placed` placements this
    pass: 'job type paused', 'job type at max_scheduled (N running)'; None when it can."""
    if job_type.is_paused:
        return JOB_TYPE_PAUSED
    if job_type.max_scheduled is not None:
        running = job_type.running + placed
        if running >= job_type.max_scheduled:
            return f'job type at max_scheduled ({running} running)'
    return None


class _Node:
    __slots__ = (
        'capacity',
        'free',
        'hostname',
        'id',
        'inverse',
        'load',
        'reserved_for',
        'state',
        'total',
        'version',
    )

    def __init__(self, snapshot, index):
        self.id = snapshot.id
        self.hostname = snapshot.hostname
        self.state = snapshot.state
        self.total = [0.0] * len(index)
        self.free = [0.0] * len(index)
        for name, value in (snapshot.total or {}).items():
            self.total[index[name]] = float(value)
        for name, value in (snapshot.free or {}).items():
            self.free[index[name]] = float(value)
        self.inverse = [1.0 / value if value > 0 else 0.0 for value in self.total]
        # The best-fit score of a job on this node is load minus the job's weight on it.
        self.load = sum(free * inverse for free, inverse in zip(self.free, self.inverse, strict=True))
        self.capacity = float(sum(1 for value in self.total if value > 0))  # the load when idle
        self.version = 0
        self.reserved_for = None

    def fits(self, items):
        free = self.free
        return all(free[i] + EPSILON >= value for i, value in items)

    def covers(self, items):
        total = self.total
        return all(total[i] + EPSILON >= value for i, value in items)

    def score(self, items):
        inverse = self.inverse
        return self.load - sum(value * inverse[i] for i, value in items)


class _Requirement:
    """One distinct requirement of the window, with what the pass learnt about it."""

    __slots__ = (
        'blocked',
        'coverers',
        'heap',
        'holder',
        'items',
        'never',
        'reserve_heap',
        'synced',
        'unmet',
        'wait',
    )

    def __init__(self, items):
        self.items = items  # ((resource index, amount > 0), ...)
        self.never = None  # None unknown; '' fits some node's total; else the reason it never fits
        self.unmet = ()
        self.blocked = False  # nothing fits it now: free resources only shrink during a pass
        self.wait = None
        self.holder = False  # False: not looked up yet
        self.heap = None
        self.synced = 0
        self.coverers = None
        self.reserve_heap = None


class _Planner:
    def __init__(self, jobs, nodes, job_types, max_reservations):
        names = {name for node in nodes for name in (node.total or {})}
        names |= {name for node in nodes for name in (node.free or {})}
        names |= {name for job in jobs for name, value in (job.resources or {}).items() if value > 0}
        # Standard resources first, so that reasons read "cpus, mem, disk, gpus, <custom>".
        self.names = sorted(names, key=lambda name: (STANDARD.index(name) if name in STANDARD else 4, name))
        self.index = {name: i for i, name in enumerate(self.names)}
        live = [_Node(node, self.index) for node in sorted(nodes, key=lambda node: node.id)]
        self.active = [node for node in live if node.state != DEPRECATED]
        self.ready = [node for node in self.active if node.state == READY]
        self.by_id = {node.id: node for node in self.ready}
        self.types = {job_type.id: job_type for job_type in job_types}
        self.max_reservations = max(1, len(self.ready) // 4) if max_reservations is None else max_reservations
        self.requirements = {}
        self.by_identity = {}
        self.heaps = OrderedDict()
        self.changed = []  # nodes in the order they took placements, for the heaps to catch up
        # Per resource, at least the largest free amount of any usable ready node. Free amounts only
        # shrink during a pass, so a stale value is still a valid bound for a cheap "cannot fit now".
        self.bound = [max((node.free[i] for node in self.ready), default=0.0) for i in range(len(self.names))]
        self.plan = Plan()
        self.placed_by_type = {}
        self.blocked_types = {}
        self.unmet_names = {}
        self.runnable_types = set()

    # -- requirements ---------------------------------------------------------------------------
    def requirement(self, resources):
        # Jobs with one requirement often share one dict (the loader parses each distinct JSON once):
        # look it up by identity first; the jobs keep the dicts alive for the whole pass.
        requirement = self.by_identity.get(id(resources))
        if requirement is not None:
            return requirement
        key = tuple(sorted((resources or {}).items()))
        requirement = self.requirements.get(key)
        if requirement is None:
            items = tuple(sorted((self.index[name], float(value)) for name, value in key if value > 0))
            requirement = self.requirements[key] = _Requirement(items)
        self.by_identity[id(resources)] = requirement
        return requirement

    def check_ever_fits(self, requirement):
        if requirement.never is not None:
            return
        items = requirement.items
        if any(node.covers(items) for node in self.active):
            requirement.never = ''
            return
        names = self.names
        missing = [
            (i, value)
            for i, value in items
            if names[i] not in STANDARD and not any(node.total[i] > 0 for node in self.active)
        ]
        if missing:
            requirement.unmet = tuple(names[i] for i, _ in missing)
            needs = ', '.join(f"'{names[i]}'" for i, _ in missing)
            plural = 's' if len(missing) > 1 else ''
            requirement.never = f'needs resource{plural} {needs}, which no node has'
            return
        largest = {i: max(node.total[i] for node in self.active) for i, _ in items}
        over = [(i, value) for i, value in items if value > largest[i] + EPSILON]
        if over:
            requirement.unmet = tuple(names[i] for i, _ in over)
            requirement.never = '; '.join(
                f'needs {_amount(names[i], value)}, the largest node has {largest[i]:g}' for i, value in over
            )
            return
        # Every resource alone fits some node, but no node has them all: name the resources that the
        # closest nodes (fewest shortages) lack.
        shortages = [[i for i, value in items if node.total[i] + EPSILON < value] for node in self.active]
        fewest = min(len(short) for short in shortages)
        short = sorted({i for s in shortages if len(s) == fewest for i in s})
        requirement.unmet = tuple(names[i] for i in short)
        together = ', '.join(_amount(names[i], value) for i, value in items)
        requirement.never = f'needs {together} on one node, which no node has'

    def wait_reason(self, requirement):
        """Why a requirement that some node could run does not fit now (computed once a pass)."""
        if requirement.wait is not None:
            return requirement.wait
        items = requirement.items
        candidates = self.coverers(requirement)
        if not self.ready:
            reason = 'no ready node'
        elif not candidates:
            reason = 'waiting for a node big enough: those are paused or offline'
        else:
            free = [node for node in candidates if node.reserved_for is None] or candidates
            reason = None
            for i, value in items:
                most = max(node.free[i] for node in free)
                if most + EPSILON < value:
                    name = self.names[i]
                    reason = (
                        f'waiting for {_amount(name, value)} (the freest ready node has {max(most, 0):g})'
                    )
                    break
            if reason is None:
                together = ', '.join(_amount(self.names[i], value) for i, value in items)
                reason = f'waiting for {together} free on one node'
        requirement.wait = reason
        return reason

    # -- best fit ---------------------------------------------------------------------------------
    def candidate_heap(self, requirement):
        """The heap of (score, node id, node version, node) of the ready nodes that fitted the
        requirement when pushed; entries whose node changed since are stale and dropped when seen."""
        heap = requirement.heap
        behind = len(self.changed) - requirement.synced
        if heap is None or behind > len(self.ready):
            items = requirement.items
            heap = [
                (node.score(items), node.id, node.version, node)
                for node in self.ready
                if node.reserved_for is None and node.fits(items)
            ]
            heapq.heapify(heap)
            requirement.heap = heap
            self.heaps[requirement] = True
            if len(self.heaps) > MAX_HEAPS:
                evicted, _ = self.heaps.popitem(last=False)
                evicted.heap = None
        elif behind:
            items = requirement.items
            for node in dict.fromkeys(self.changed[requirement.synced :]):
                if node.reserved_for is None and node.fits(items):
                    heapq.heappush(heap, (node.score(items), node.id, node.version, node))
        self.heaps.move_to_end(requirement)
        requirement.synced = len(self.changed)
        return heap

    def best_fit(self, requirement):
        items = requirement.items
        bound = self.bound
        if any(value > bound[i] + EPSILON for i, value in items):
            return None
        heap = self.candidate_heap(requirement)
        while heap:
            _, _, version, node = heap[0]
            if version == node.version and node.reserved_for is None:
                return node
            heapq.heappop(heap)
        usable = [node for node in self.ready if node.reserved_for is None]
        self.bound = [max((node.free[i] for node in usable), default=0.0) for i in range(len(self.names))]
        return None

    def place(self, job, node, requirement):
        for i, value in requirement.items:
            node.free[i] -= value
        node.load -= sum(value * node.inverse[i] for i, value in requirement.items)
        node.version += 1
        self.changed.append(node)
        self.placed_by_type[job.job_type_id] = self.placed_by_type.get(job.job_type_id, 0) + 1
        self.plan.placements.append(PlannedPlacement(job.id, job.exe_num, node.id, job.resources or {}))

    # -- reservation ------------------------------------------------------------------------------
    def coverers(self, requirement):
        """The ready nodes big enough for the requirement (their totals cover it), computed once."""
        if requirement.coverers is None:
            requirement.coverers = [node for node in self.ready if node.covers(requirement.items)]
        return requirement.coverers

    def reserve_key(self, node, items):
        # Least normalized shortfall first (the node that needs the least to drain), then the
        # tightest fit once drained, then id.
        shortfall = sum(max(0.0, value - node.free[i]) * node.inverse[i] for i, value in items)
        return shortfall, node.capacity - node.load + node.score(items), node.id

    def reserve(self, job, requirement):
        """Takes the ready node that is closest to fitting the job out of play for the rest of the
        pass. None when the pass reserved its share of nodes already or no unreserved ready node is
        big enough. The candidates wait in a heap per requirement whose keys only grow as nodes take
        placements (free resources shrink), so a stale entry is re-keyed when it surfaces."""
        if len(self.plan.reservations) >= self.max_reservations:
            return None
        items = requirement.items
        heap = requirement.reserve_heap
        if heap is None:
            heap = [
                (self.reserve_key(node, items), node.version, node)
                for node in self.coverers(requirement)
                if node.reserved_for is None
            ]
            heapq.heapify(heap)
            requirement.reserve_heap = heap
        while heap:
            _, version, node = heap[0]
            if node.reserved_for is not None:
                heapq.heappop(heap)
            elif version != node.version:
                heapq.heapreplace(heap, (self.reserve_key(node, items), node.version, node))
            else:
                heapq.heappop(heap)
                node.reserved_for = job.id
                self.plan.reservations[node.id] = job.id
                return node
        return None

    def reserved_fit(self, requirement):
        """The job holding a reserved node that the requirement fits now, or None. Stable once the
        requirement is blocked: reserved nodes take no placements, and a node reserved later did not
        fit it when it was blocked (free resources only shrink)."""
        if requirement.holder is False:
            requirement.holder = None
            for node_id, job_id in self.plan.reservations.items():
                if self.by_id[node_id].fits(requirement.items):
                    requirement.holder = job_id
                    break
        return requirement.holder

    # -- the pass ---------------------------------------------------------------------------------
    def consider(self, job):
        reasons = self.plan.reasons
        type_id = job.job_type_id
        if type_id in self.blocked_types:
            reasons[job.id] = self.blocked_types[type_id]
            return
        job_type = self.types.get(type_id) or JobTypeSnapshot(type_id)
        blocked = blocked_reason(job_type, self.placed_by_type.get(type_id, 0))
        if blocked:
            self.blocked_types[type_id] = reasons[job.id] = blocked
            return
        if not self.active:
            reasons[job.id] = 'no node registered'
            return
        requirement = self.requirement(job.resources)
        self.check_ever_fits(requirement)
        if requirement.never:
            reasons[job.id] = _clip(requirement.never)
            self.unmet_names.setdefault(type_id, set()).update(requirement.unmet)
            return
        self.runnable_types.add(type_id)
        node = None if requirement.blocked else self.best_fit(requirement)
        if node is not None:
            self.place(job, node, requirement)
            blocked = blocked_reason(job_type, self.placed_by_type[type_id])
            if blocked:
                self.blocked_types[type_id] = blocked
            return
        requirement.blocked = True
        holder = self.reserved_fit(requirement)
        if holder is not None:
            reasons[job.id] = f'waiting behind a reserved node for job {holder}'
            return
        reason = self.wait_reason(requirement)
        reserved = self.reserve(job, requirement)
        if reserved is not None:
            reason = f'{reason}; node {reserved.hostname} is reserved for it'
        reasons[job.id] = _clip(reason)

    def finish(self):
        unmet = self.plan.unmet_resources
        for type_id, names in self.unmet_names.items():
            unmet[type_id] = None if type_id in self.runnable_types else _clip(','.join(sorted(names)))
        for type_id in self.runnable_types:
            unmet[type_id] = None
        return self.plan


def queue_order(jobs, queue_mode=FIFO):
    """The jobs in scheduling order: priority ascending, then queued time (oldest first for FIFO,
    newest first for LIFO), then id ascending."""
    ordered = sorted(jobs, key=lambda job: job.id)
    ordered.sort(key=lambda job: job.queued, reverse=queue_mode == LIFO)
    ordered.sort(key=lambda job: job.priority)
    return ordered


def plan(jobs, nodes, job_types=(), *, queue_mode=FIFO, max_reservations=None):
    """Matches the queue window `jobs` (QueuedJob) to `nodes` (NodeSnapshot) under the limits of
    `job_types` (JobTypeSnapshot; a job type not given has no limits) and returns a Plan.

    Jobs are taken in queue_order(). Each goes on the READY node with the tightest fit among those
    whose free resources cover its requirement; that node's free resources shrink for the rest of the
    pass. Every job not placed gets a reason. A job that waits although some READY node is big enough
    reserves the node closest to fitting it, keeping later jobs off it for this pass; at most
    `max_reservations` nodes are reserved a pass (default: a quarter of the READY nodes, at least one),
    so a wall of big jobs at the head of the queue cannot idle the whole cluster, while each of the
    first few big jobs still gets a node drained for it.

    Cost: each distinct requirement keeps a heap of its candidate nodes (built with one scan of the
    READY nodes, then fed only the nodes that took placements since), so a placement costs about
    O(log nodes) rather than a scan of every node.
    """
    planner = _Planner(jobs, nodes, job_types, max_reservations)
    for job in queue_order(jobs, queue_mode):
        planner.consider(job)
    return planner.finish()


def paused_reasons(jobs):
    """The reasons of a pass while the scheduler is paused: every job waits for it."""
    return {job.id: SCHEDULER_PAUSED for job in jobs}
