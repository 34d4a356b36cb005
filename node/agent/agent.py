"""The node agent's loop (DESIGN.md section 3: registers the node, heartbeats, runs the executions
placed on it, streams their logs and reports their outcomes).

One thread does all the database work: every pass of run_once() heartbeats when due, claims the
executions the scheduler placed on this node (claim_execution is the exclusive claim) and starts
them, asks once a second which running ones must stop (stop_requested: canceled, or moved on by a
lost-node sweep), and polls every Runner. Processes run concurrently; their output is read by
threads that only fill bounded buffers, and their outputs are copied by worker threads.

Shutting down (request_shutdown, on SIGTERM/SIGINT): nothing more is claimed, running executions
get `drain_seconds` to finish, the rest are stopped and reported `node-lost` (retried, so they run
again elsewhere), their logs are flushed, and run() returns. A second request stops at once.

On start the agent recovers from a predecessor that died: processes it left running are killed
(recognised by pid file and environment, never by name) and its executions that were launched but
are not running any more are failed `node-lost`.
"""

import fcntl
import logging
import os
import re
import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from job.choices import ExecutionStatus
from job.models import JobExecution
from job.services.executions import (
    cancel_execution,
    claim_execution,
    fail_execution,
    stop_requested,
)
from job.services.logs import LogLine, append_log_lines
from node.agent.logs import AGENT_PREFIX
from node.agent.prepare import PrepareError, fresh_directory, prepare_execution
from node.agent.processes import is_job_process, terminate_group
from node.agent.runner import Runner
from node.models import Node

logger = logging.getLogger(__name__)

CLAIM_BATCH = 100
RETRY_SECONDS = 2.0
PID_DIR = '.pids'
LOCK_FILE = '.agent.lock'
_PID_FILE = re.compile(r'^job_(\d+)_(\d+)\.pid$')
_WORK_DIR = re.compile(r'^job_\d+_\d+$')


class AgentError(Exception):
    """The agent cannot start (its work directory is in use by another agent...)."""


def register_node(hostname, resources):
    """Creates or updates the Node row of `hostname` with its total `resources` and a fresh heartbeat.
    Never changes is_active or is_paused: those are the operator's."""
    node, _ = Node.objects.update_or_create(
        hostname=hostname, defaults={'resources': resources, 'last_heartbeat': timezone.now()}
    )
    return node


class Agent:
    """The agent of node `hostname` offering `resources`, working in `work_dir`.

    Intervals are in seconds: `heartbeat_interval` (default SCALE_HEARTBEAT_INTERVAL), how often new
    placements are looked for (`claim_interval`) and stop requests checked (`stop_check_interval`),
    the sleep of an idle loop (`poll_interval`), the wait between SIGTERM and SIGKILL (`kill_grace`)
    and how long running executions may finish on shutdown (`drain_seconds`). Working directories
    are removed after each execution unless `keep_work_dirs`.
    """

    def __init__(
        self,
        hostname,
        resources,
        work_dir,
        *,
        drain_seconds=30.0,
        kill_grace=5.0,
        heartbeat_interval=None,
        claim_interval=0.5,
        stop_check_interval=1.0,
        poll_interval=0.1,
        keep_work_dirs=False,
    ):
        self.hostname = hostname
        self.resources = resources
        self.work_dir = os.path.abspath(work_dir)
        self.pid_dir = os.path.join(self.work_dir, PID_DIR)
        self.drain_seconds = drain_seconds
        self.kill_grace = kill_grace
        self.heartbeat_interval = heartbeat_interval or settings.SCALE_HEARTBEAT_INTERVAL
        self.claim_interval = claim_interval
        self.stop_check_interval = stop_check_interval
        self.poll_interval = poll_interval
        self.keep_work_dirs = keep_work_dirs
        self.node = None
        self.runners = {}
        self.claimed = []
        self.drain_deadline = None
        self._shutdown_requests = 0
        self._lock_fd = None
        self._next_heartbeat = 0.0
        self._next_claim = 0.0
        self._next_stop_check = 0.0

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self):
        """Takes the work directory (one agent per directory), registers the node and recovers what a
        previous agent process left behind."""
        os.makedirs(self.pid_dir, exist_ok=True)
        self._lock_fd = os.open(os.path.join(self.work_dir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise AgentError(f'another agent is running in {self.work_dir}') from None
        self.node = register_node(self.hostname, self.resources)
        self._next_heartbeat = time.monotonic() + self.heartbeat_interval
        logger.info('node %s (id %s) registered with %s', self.hostname, self.node.id, self.resources)
        self.recover()

    def close(self):
        """Releases the work directory."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def request_shutdown(self):
        """Asks run() to drain and return; a second request skips the drain. Safe from a signal
        handler (it only counts)."""
        self._shutdown_requests += 1

    @property
    def draining(self):
        """Whether a shutdown was requested (nothing more is claimed)."""
        return self._shutdown_requests > 0

    def run(self):
        """start(), then run_once() until a shutdown request is served, then close()."""
        self.start()
        try:
            while True:
                busy = self.run_once()
                if self.draining and not self.runners and not self.claimed:
                    break
                if not busy:
                    time.sleep(self.poll_interval)
        finally:
            self.close()
        logger.info('node %s agent stopped', self.hostname)

    # --- one pass -----------------------------------------------------------------------------------

    def run_once(self, now=None):
        """One pass of the loop (see the module docstring). Returns whether log lines were stored, so
        that a busy loop goes on without sleeping."""
        now = time.monotonic() if now is None else now
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + self.heartbeat_interval
            self._guarded(self.heartbeat)
        if self.draining:
            self._guarded(self._drain, now)
        elif now >= self._next_claim:
            self._next_claim = now + self.claim_interval
            self._guarded(self.claim, now)
        if self.runners and now >= self._next_stop_check:
            self._next_stop_check = now + self.stop_check_interval
            self._guarded(self.check_stops, now)
        busy = False
        for execution_id, runner in list(self.runners.items()):
            stored = runner.batcher.stored
            if self._poll(runner, now):
                del self.runners[execution_id]
            busy = busy or runner.batcher.stored != stored
        return busy

    def heartbeat(self):
        """Stamps the node's last_heartbeat: the scheduler counts a node without one for
        SCALE_NODE_TIMEOUT as lost."""
        Node.objects.filter(id=self.node.id).update(last_heartbeat=timezone.now())

    def claim(self, now):
        """Claims and starts the executions placed on this node that no agent has launched yet.

        A claimed execution stays in `claimed` until it is started (or canceled, or failed): after a
        database error the next pass takes it up again, so no claim is left without a process."""
        rows = list(
            JobExecution.objects.filter(
                node_id=self.node.id, status=ExecutionStatus.RUNNING, launched__isnull=True
            )
            .order_by('id')
            .values_list('id', 'job_id', 'exe_num')[:CLAIM_BATCH]
        )
        self.claimed.extend(row for row in rows if claim_execution(row[0]))
        if not self.claimed:
            return
        # A job canceled between its placement and now is not started at all.
        stopped = stop_requested({(job_id, exe_num) for _, job_id, exe_num in self.claimed})
        while self.claimed:
            execution_id, job_id, exe_num = self.claimed[0]
            if (job_id, exe_num) in stopped:
                cancel_execution(job_id, exe_num)
            else:
                self._start(execution_id, job_id, exe_num, now)
            self.claimed.pop(0)

    def check_stops(self, now):
        """Stops the processes of executions whose job was canceled or moved on (one query)."""
        running = {runner.key for runner in self.runners.values() if runner.outcome is None}
        for key in stop_requested(running):
            runner = next(runner for runner in self.runners.values() if runner.key == key)
            runner.request_stop('cancel', now)

    def _drain(self, now):
        if self.drain_deadline is None:
            self.drain_deadline = now + self.drain_seconds
            logger.info(
                'shutting down: %s running executions get %s s to finish',
                len(self.runners),
                self.drain_seconds,
            )
        if self._shutdown_requests > 1:
            self.drain_deadline = min(self.drain_deadline, now)
        if now >= self.drain_deadline:
            for runner in self.runners.values():
                runner.request_stop('drain', now)
        while self.claimed:
            # Claimed before a database error and never started: it runs again elsewhere.
            _, job_id, exe_num = self.claimed[0]
            fail_execution(job_id, exe_num, 'node-lost')
            self.claimed.pop(0)

    def _start(self, execution_id, job_id, exe_num, now):
        try:
            plan = prepare_execution(execution_id, self.work_dir)
        except PrepareError as exc:
            self._unrunnable(execution_id, job_id, exe_num, exc.error, str(exc))
            return
        except OSError as exc:
            self._unrunnable(
                execution_id,
                job_id,
                exe_num,
                'filesystem-io',
                f'the working directory cannot be made: {exc.strerror}',
            )
            return
        except DatabaseError:
            raise  # the execution stays claimed; the next pass starts it
        except Exception:
            logger.exception('job %s exe %s cannot be prepared', job_id, exe_num)
            self._unrunnable(execution_id, job_id, exe_num, 'unknown', 'the agent could not prepare the job')
            return
        runner = Runner(
            plan,
            self.node.id,
            pid_dir=self.pid_dir,
            kill_grace=self.kill_grace,
            keep_work_dir=self.keep_work_dirs,
        )
        self.runners[execution_id] = runner
        runner.launch(now)

    def _unrunnable(self, execution_id, job_id, exe_num, error, message):
        """Fails a claimed execution that cannot run, with a line in its log saying why."""
        fresh_directory(os.path.join(self.work_dir, f'job_{job_id}_{exe_num}'))
        logger.warning('job %s exe %s cannot run (%s): %s', job_id, exe_num, error, message)
        line = LogLine('stderr', AGENT_PREFIX + message, timezone.now())
        append_log_lines(execution_id, [line], node_id=self.node.id)
        fail_execution(job_id, exe_num, error)

    def _poll(self, runner, now):
        """runner.poll(), surviving errors: a database error is retried later (the services' fencing
        makes a repeated report harmless); any other error abandons the execution as `unknown`."""
        try:
            return runner.poll(now)
        except DatabaseError:
            logger.exception('job %s exe %s: database error; retrying in %s s', *runner.key, RETRY_SECONDS)
            runner.retry_at = now + RETRY_SECONDS
            self._reset_connection()
            return False
        except Exception:
            logger.exception('job %s exe %s: unexpected error; abandoning it', *runner.key)
            runner.abandon(now)
            self._guarded(fail_execution, *runner.key, 'unknown')
            return True

    def _guarded(self, function, *args):
        try:
            function(*args)
        except DatabaseError:
            logger.exception('database error in %s', function.__name__)
            self._reset_connection()

    @staticmethod
    def _reset_connection():
        # A broken connection is replaced on next use; inside a transaction (tests) it must stay.
        if not connection.in_atomic_block:
            connection.close()

    # --- recovery -----------------------------------------------------------------------------------

    def recover(self):
        """Cleans up after a predecessor on this node: kills the process groups it left (found by pid
        file or by the pid recorded on a launched execution, and only when the process's environment
        names that execution), fails its launched RUNNING executions `node-lost` and removes the
        stale working directories. Returns the number of executions failed."""
        for name in os.listdir(self.pid_dir):
            match = _PID_FILE.match(name)
            path = os.path.join(self.pid_dir, name)
            if match:
                self._kill_leftover(_read_pid(path), int(match[1]), int(match[2]))
            os.unlink(path)
        leftovers = list(
            JobExecution.objects.filter(
                node_id=self.node.id, status=ExecutionStatus.RUNNING, launched__isnull=False
            )
            .order_by('job_id')
            .values_list('id', 'job_id', 'exe_num', 'pid')
        )
        for execution_id, job_id, exe_num, pid in leftovers:
            self._kill_leftover(pid, job_id, exe_num)
            message = 'the node agent restarted while this execution ran: it is lost'
            append_log_lines(
                execution_id,
                [LogLine('stderr', AGENT_PREFIX + message, timezone.now())],
                node_id=self.node.id,
            )
            outcome = fail_execution(job_id, exe_num, 'node-lost')
            logger.warning('job %s exe %s was left running by a previous agent: %s', job_id, exe_num, outcome)
        for name in os.listdir(self.work_dir):
            if _WORK_DIR.match(name):
                fresh_directory(os.path.join(self.work_dir, name))
        return len(leftovers)

    def _kill_leftover(self, pid, job_id, exe_num):
        if pid and is_job_process(pid, job_id, exe_num):
            logger.warning(
                'killing process group %s of job %s exe %s left by a previous agent', pid, job_id, exe_num
            )
            terminate_group(pid, self.kill_grace)


def _read_pid(path):
    try:
        with open(path) as pid_file:
            return int(pid_file.read().strip() or 0)
    except (OSError, ValueError):
        return 0
