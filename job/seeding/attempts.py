"""The execution history of one job: which attempts it made, how each ended, when, and on which node,
consistent with its final status (DESIGN.md section 4).

An attempt with kind RETRY, FAIL, DONE, CANCEL or RUN has an execution row; QUEUED (the job waits for
its next execution) and CANCEL_QUEUED (canceled before the scheduler placed it) consume an exe_num
without an execution. GAP marks a manual requeue between two phases of a requeued job.
"""

import bisect

from job.choices import JobStatus
from job.seeding.world import SECOND

RETRY, FAIL, DONE, CANCEL, RUN, QUEUED, CANCEL_QUEUED, GAP = (
    'retry',
    'fail',
    'done',
    'cancel',
    'run',
    'queued',
    'cancel-queued',
    'gap',
)
WITH_EXECUTION = frozenset({RETRY, FAIL, DONE, CANCEL, RUN})
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

# Retryable builtin SYSTEM errors of automatic retries, with weights.
RETRY_ERRORS = (
    ('node-lost', 30),
    ('launch-timeout', 14),
    ('docker-task-launch', 10),
    ('docker-terminated', 9),
    ('pull-timeout', 8),
    ('resource-starvation', 8),
    ('scheduler-lost', 8),
    ('filesystem-io', 8),
    ('unknown', 5),
)
# Non-retryable outcomes of a final failure: 'manifest' picks one of the job type's own errors.
FINAL_ERRORS = (
    ('manifest', 50),
    ('algorithm-unknown', 25),
    ('timeout', 15),
    ('missing-required-output', 5),
    ('invalid-results-manifest', 5),
)
UNKNOWN_EXIT_CODES = (1, 2, 127, 134, 137, 139, 255)
# Fixed durations (seconds) of failures that do not depend on the algorithm's run time.
FIXED_DURATIONS = {
    'launch-timeout': (60, 300),
    'pull-timeout': (300, 600),
    'docker-task-launch': (1, 20),
    'resource-starvation': (600, 660),
}


def _cumulative(pairs):
    names, total, cumulative = [], 0, []
    for name, weight in pairs:
        total += weight
        names.append(name)
        cumulative.append(total)
    return names, cumulative


class Attempt:
    __slots__ = ('ended', 'error', 'error_id', 'exe_num', 'exit_code', 'kind', 'node', 'queued', 'started')

    def __init__(self, kind, exe_num, error=None):
        self.kind = kind
        self.exe_num = exe_num
        self.error = error  # builtin error name, or (code, error_id, title, description) of the manifest
        self.error_id = None
        self.exit_code = None
        self.node = None
        self.queued = self.started = self.ended = None


class Planner:
    def __init__(self, world, rng):
        self.world = world
        self.rng = rng
        self.retry_names, self.retry_cum = _cumulative(RETRY_ERRORS)
        system_retry = [*RETRY_ERRORS, ('system-timeout', 6)]
        self.system_retry_names, self.system_retry_cum = _cumulative(system_retry)
        self.final_names, self.final_cum = _cumulative(FINAL_ERRORS)
        no_manifest = [pair for pair in FINAL_ERRORS if pair[0] != 'manifest']
        self.plain_final_names, self.plain_final_cum = _cumulative(no_manifest)
        system_final = [pair for pair in no_manifest if pair[0] != 'timeout']
        self.system_final_names, self.system_final_cum = _cumulative(system_final)

    # -- which attempts -------------------------------------------------------------------------------

    def _pick(self, names, cumulative):
        return names[bisect.bisect_right(cumulative, self.rng.random() * cumulative[-1])]

    def _retry_error(self, jt):
        if jt.is_system:
            return self._pick(self.system_retry_names, self.system_retry_cum)
        return self._pick(self.retry_names, self.retry_cum)

    def _final_error(self, jt):
        if jt.is_system:
            return self._pick(self.system_final_names, self.system_final_cum)
        if jt.errors:
            name = self._pick(self.final_names, self.final_cum)
            return self.rng.choice(jt.errors) if name == 'manifest' else name
        return self._pick(self.plain_final_names, self.plain_final_cum)

    def _retries(self, budget):
        roll = self.rng.random()
        count = 0 if roll < 0.86 else 1 if roll < 0.96 else 2
        return max(0, min(count, budget - 1))

    def _phase(self, jt, status, first, budget):
        """Attempts numbered from `first` ending in `status`, using at most `budget` exe_nums."""
        rng = self.rng
        if status == JobStatus.FAILED and rng.random() < 0.25:
            count = budget - 1  # retries exhausted: every attempt failed with a retryable error
            last = (FAIL, self._retry_error(jt))
        else:
            count = self._retries(budget)
            if status == JobStatus.COMPLETED:
                last = (DONE, None)
            elif status == JobStatus.FAILED:
                last = (FAIL, self._final_error(jt))
            elif status == JobStatus.QUEUED:
                last = (QUEUED, None)
            elif status == JobStatus.RUNNING:
                last = (RUN, None)
            else:
                last = (CANCEL, None) if rng.random() < 0.6 else (CANCEL_QUEUED, None)
        attempts = [Attempt(RETRY, first + index, self._retry_error(jt)) for index in range(count)]
        attempts.append(Attempt(last[0], first + count, last[1]))
        return attempts

    def attempts(self, jt, status):
        """(attempts, max_tries) for a job that reached `status`; about 3% were requeued by hand once."""
        if status in (JobStatus.PENDING, JobStatus.BLOCKED):
            return [], jt.max_tries
        if self.rng.random() >= 0.03:
            return self._phase(jt, status, 1, jt.max_tries), jt.max_tries
        previous = self.rng.choice((JobStatus.FAILED, JobStatus.FAILED, JobStatus.CANCELED))
        first = self._phase(jt, previous, 1, jt.max_tries)
        used = first[-1].exe_num
        max_tries = used + jt.max_tries
        return [*first, Attempt(GAP, used), *self._phase(jt, status, used + 1, jt.max_tries)], max_tries

    # -- errors ---------------------------------------------------------------------------------------

    def resolve_errors(self, jt, attempts):
        builtin = self.world.builtin
        for attempt in attempts:
            error = attempt.error
            if error is None:
                if attempt.kind == DONE:
                    attempt.exit_code = 0
                continue
            if isinstance(error, tuple):
                attempt.error_id = error[1]
                attempt.exit_code = error[0]
            else:
                attempt.error_id = builtin[error][0]
                if error == 'algorithm-unknown':
                    codes = [code for code in UNKNOWN_EXIT_CODES if code not in jt.error_codes] or [1]
                    attempt.exit_code = self.rng.choice(codes)

    # -- when -----------------------------------------------------------------------------------------

    def times(self, jt, timeout, created, attempts):
        """Stamps queued/started/ended on every attempt, all between `created` and the anchor; the
        running attempt of a RUNNING job started recently enough that it has not timed out."""
        rng = self.rng
        expo = rng.expovariate
        timeout_us = timeout * SECOND
        cap = int(0.9 * timeout_us)
        t = created + int(expo(1.0) * 5 * SECOND)
        running = None
        for attempt in attempts:
            kind = attempt.kind
            if kind == GAP:
                t += int(expo(1.0) * 6 * HOUR)
                continue
            attempt.queued = t
            wait = int(expo(1.0) * (15 * SECOND if rng.random() < 0.85 else 20 * MINUTE))
            if kind == QUEUED:
                break
            if kind == CANCEL_QUEUED:
                t = attempt.ended = t + int(wait * rng.random())
                continue
            attempt.started = t + wait
            if kind == RUN:
                running = attempt
                break
            run = min(int(rng.lognormvariate(0.0, 0.5) * jt.runtime), cap)
            error = attempt.error
            if kind == DONE:
                duration = run
            elif error == 'timeout':
                duration = timeout_us + int(rng.uniform(1.0, 30.0) * SECOND)
            elif error in FIXED_DURATIONS:
                low, high = FIXED_DURATIONS[error]
                duration = int(rng.uniform(low, high) * SECOND)
            else:
                duration = int(run * rng.uniform(0.05, 0.95))
            attempt.ended = attempt.started + duration
            t = attempt.ended + int(expo(1.0) * 3 * SECOND)
        self._fit(created, attempts)
        if running is not None:
            anchor = self.world.anchor
            limit = max(min(int(0.8 * timeout_us), jt.runtime * 2), SECOND)
            if anchor - running.started > limit:
                running.started = anchor - int(rng.random() * limit)

    def _fit(self, created, attempts):
        """Compresses the timeline proportionally when it would run past the anchor."""
        bound = self.world.anchor - SECOND
        latest = created
        for attempt in attempts:
            for value in (attempt.queued, attempt.started, attempt.ended):
                if value is not None and value > latest:
                    latest = value
        if latest <= bound:
            return
        factor = max(bound - created, 0) / (latest - created)
        for attempt in attempts:
            if attempt.queued is not None:
                attempt.queued = created + int((attempt.queued - created) * factor)
            if attempt.started is not None:
                attempt.started = created + int((attempt.started - created) * factor)
            if attempt.ended is not None:
                attempt.ended = created + int((attempt.ended - created) * factor)

    # -- where ----------------------------------------------------------------------------------------

    def place(self, jt, requirement, when):
        """A node that could have run the job at `when` (capacity at that time is not simulated)."""
        nodes = self.world.nodes
        pool = jt.pool
        if not pool:
            return None
        rng = self.rng
        for _ in range(4):
            node = nodes[pool[int(rng.random() * len(pool))]]
            if (node.deprecated is None or when < node.deprecated) and node.fits(requirement):
                return node
        for index in pool:
            node = nodes[index]
            if (node.deprecated is None or when < node.deprecated) and node.fits(requirement):
                return node
        return nodes[pool[0]]

    def reserve(self, jt, requirement):
        """An active, unpaused node with free capacity for a running execution (taken), or None."""
        nodes = self.world.nodes
        pool = jt.pool
        if not pool:
            return None
        offset = int(self.rng.random() * len(pool))
        for step in range(len(pool)):
            node = nodes[pool[(offset + step) % len(pool)]]
            if node.is_active and not node.is_paused and node.fits(requirement, free=True):
                for name, value in requirement.items():
                    if name in node.free:
                        node.free[name] -= value
                return node
        return None
