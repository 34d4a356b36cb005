"""One execution on this node: its process, its log capture and its outcome.

A Runner never blocks. The agent loop calls poll() over and over; each call stores the log lines
that are due, notices the process's exit, enforces the timeout and stop requests (SIGTERM to the
process group, SIGKILL after a grace period), has the outputs captured in a worker thread, and at
the end reports the outcome once through the execution services, which ignore a report for an
execution that is no longer RUNNING (fencing). Every database call happens in the loop's thread.
"""

import contextlib
import logging
import os
import signal
import subprocess
import threading
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, transaction

from job.models import Error, Job
from job.services.executions import cancel_execution, complete_execution, fail_execution, record_pid
from job.services.products import register_products
from node.agent.logs import LineBuffer, LogBatcher, start_readers
from node.agent.outputs import OutputError, collect_outputs, remove_files
from node.agent.prepare import fresh_directory
from node.agent.processes import exit_code, signal_group

logger = logging.getLogger(__name__)

# How long output is still read after the process exited (a child that left the process group may
# hold the pipes open); what comes later is dropped.
LOG_DRAIN_SECONDS = 2.0
STOP_MESSAGES = {
    'timeout': 'the job ran past its timeout of {timeout} s: stopping its processes',
    'cancel': 'the job was canceled: stopping its processes',
    'drain': 'the node agent is shutting down: stopping the job, which will run again',
}
STOP_ERRORS = {'timeout': 'timeout', 'drain': 'node-lost'}


@dataclass
class Outcome:
    """What to report: `kind` complete, fail or cancel; `error` (an Error or builtin name) for fail;
    `collected` (CollectedOutputs) for complete."""

    kind: str
    error: object = None
    collected: object = None


class Runner:
    """Runs `plan` (an ExecutionPlan) on node `node_id`. `pid_dir` holds the pid files that let a
    restarted agent find this process; `kill_grace` is the time between SIGTERM and SIGKILL."""

    def __init__(self, plan, node_id, *, pid_dir, kill_grace=5.0, keep_work_dir=False):
        self.plan = plan
        self.node_id = node_id
        self.pid_dir = pid_dir
        self.kill_grace = kill_grace
        self.keep_work_dir = keep_work_dir
        self.buffer = LineBuffer()
        self.batcher = LogBatcher(plan.execution_id, node_id, redact=plan.redact)
        self.process = None
        self.returncode = None
        self.deadline = None
        self.stop_reason = None
        self.term_sent_at = None
        self.kill_sent = False
        self.exited_at = None
        self.outcome = None
        self.result = None
        self.done = False
        self.retry_at = 0.0
        self._collector = None
        self._collected = None

    @property
    def key(self):
        """(job id, exe_num): how the services name this execution."""
        return (self.plan.job_id, self.plan.exe_num)

    @property
    def pid(self):
        """The process id (also its process group id), None before launch."""
        return self.process.pid if self.process is not None else None

    @property
    def pid_file(self):
        """Where the pid is kept for a restarted agent (outside the job's reach: not in its working
        directory)."""
        return os.path.join(self.pid_dir, f'job_{self.plan.job_id}_{self.plan.exe_num}.pid')

    def launch(self, now):
        """Starts the process in its own session and working directory, with the plan's argv and
        environment, and its readers. A process that cannot start makes the outcome a task-launch
        failure. Returns whether it started."""
        for warning in self.plan.warnings:
            self.batcher.add_agent_line(warning, now)
        try:
            self.process = subprocess.Popen(
                self.plan.argv,
                cwd=self.plan.work_dir,
                env=self.plan.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            reason = (
                f'{exc.strerror}: {exc.filename}' if isinstance(exc, OSError) and exc.strerror else str(exc)
            )
            self.batcher.add_agent_line(f'the command could not start: {reason}', now)
            logger.warning('job %s exe %s could not start: %s', *self.key, self.plan.redact(reason))
            self.outcome = Outcome('fail', 'task-launch')
            self.buffer.abort()  # no reader will ever write to it
            return False
        try:
            with open(self.pid_file, 'w') as pid_file:
                pid_file.write(str(self.process.pid))
        except OSError:
            logger.warning('job %s exe %s: pid file %s cannot be written', *self.key, self.pid_file)
        start_readers(self.process, self.buffer)
        if self.plan.timeout:
            self.deadline = now + self.plan.timeout
        logger.info('job %s exe %s started (pid %s)', *self.key, self.process.pid)
        try:
            record_pid(self.plan.execution_id, self.process.pid)
        except DatabaseError:
            # The pid file is enough for a restarted agent to find the process.
            logger.warning('job %s exe %s: its pid could not be recorded', *self.key)
        return True

    def request_stop(self, reason, now):
        """Stops the process (reason: cancel, drain or timeout) unless it already exited, in which case
        its own result stands."""
        if self.process is None or self.returncode is not None or self.term_sent_at is not None:
            return
        self.batcher.add_agent_line(STOP_MESSAGES[reason].format(timeout=self.plan.timeout), now)
        self.stop_reason = reason
        self.term_sent_at = now
        signal_group(self.process.pid, signal.SIGTERM)

    def poll(self, now):
        """Advances this execution; True once its outcome is reported and it is cleaned up. Database
        errors propagate: the caller retries later, nothing is lost or reported twice."""
        if self.done or now < self.retry_at:
            return self.done
        self.batcher.pump(self.buffer, now)
        if self.outcome is None:
            if not self._process_finished(now):
                return False
            self.outcome = self._decide(now)
            if self.outcome is None:
                return False
        while True:
            stored = self.batcher.pump(self.buffer, now, final=True, max_flushes=1000)
            if not self.batcher.pending and (self.buffer.exhausted or not stored):
                break
        self._report()
        self._clean_up()
        self.done = True
        return True

    def abandon(self, now):
        """Gives up on this execution after an unexpected error: kills its processes and stops reading."""
        if self.process is not None and self.returncode is None:
            signal_group(self.process.pid, signal.SIGKILL)
            self.process.poll()
        self.buffer.abort()
        self._clean_up()
        self.done = True

    def _process_finished(self, now):
        """True once the process exited, was reaped, and its output was read to the end (or given up
        on after LOG_DRAIN_SECONDS)."""
        if self.process is None:
            return True
        if self.returncode is None:
            returncode = self.process.poll()
            if returncode is None:
                if self.deadline is not None and now >= self.deadline:
                    self.request_stop('timeout', now)
                if (
                    self.term_sent_at is not None
                    and not self.kill_sent
                    and now >= self.term_sent_at + self.kill_grace
                ):
                    signal_group(self.process.pid, signal.SIGKILL)
                    self.kill_sent = True
                return False
            self.returncode = returncode
            self.exited_at = now
            # Whatever the job left running in its process group ends with it.
            signal_group(self.process.pid, signal.SIGKILL)
        if not self.buffer.exhausted:
            if now < self.exited_at + LOG_DRAIN_SECONDS:
                return False
            self.buffer.abort()
            self.batcher.add_agent_line('output written after the process exited was not captured', now)
        return True

    def _decide(self, now):
        """The outcome once the process is gone; None while the outputs are being captured."""
        code = exit_code(self.returncode)
        if self.term_sent_at is not None:
            if self.stop_reason == 'cancel':
                return Outcome('cancel')
            return Outcome('fail', STOP_ERRORS[self.stop_reason])
        if code != 0:
            return Outcome('fail', self._mapped_error(code, now))
        if self._collector is None:
            self._collector = threading.Thread(
                target=self._collect, name=f'outputs-{self.plan.job_id}', daemon=True
            )
            self._collector.start()
            return None
        if self._collector.is_alive():
            return None
        collected = self._collected
        if isinstance(collected, OutputError):
            self.batcher.add_agent_line(str(collected), now)
            return Outcome('fail', collected.error)
        return Outcome('complete', collected=collected)

    def _collect(self):
        try:
            self._collected = collect_outputs(self.plan)
        except OutputError as exc:
            self._collected = exc
        except Exception as exc:  # an I/O failure of any kind: the outputs could not be captured
            logger.exception('job %s exe %s: capturing the outputs failed', *self.key)
            self._collected = OutputError(
                'filesystem-io', f'the outputs could not be captured: {type(exc).__name__}'
            )

    def _mapped_error(self, code, now):
        """The job type's error for exit code `code` (its manifest's errors), else algorithm-unknown."""
        job = self.plan.manifest.get('job') or {}
        name = next((item['name'] for item in job.get('errors') or [] if item.get('code') == code), None)
        if name is None:
            return 'algorithm-unknown'
        error = Error.objects.filter(job_type_name=job.get('name'), name=name).first()
        if error is None:
            self.batcher.add_agent_line(f'exit code {code} means error {name}, which is not registered', now)
            return 'algorithm-unknown'
        return error

    def _report(self):
        job_id, exe_num = self.key
        code = exit_code(self.returncode)
        outcome = self.outcome
        if outcome.kind == 'cancel':
            self.result = 'canceled' if cancel_execution(job_id, exe_num, exit_code=code) else 'ignored'
        elif outcome.kind == 'fail':
            self.result = str(fail_execution(job_id, exe_num, outcome.error, exit_code=code))
        else:
            self.result = self._complete(outcome.collected, code)
        error = getattr(outcome.error, 'name', outcome.error)
        logger.info('job %s exe %s ended: %s%s', job_id, exe_num, self.result, f' ({error})' if error else '')

    def _complete(self, collected, code):
        job_id, exe_num = self.key
        job = Job.objects.select_related('recipe').get(id=job_id)
        try:
            with transaction.atomic():
                files = register_products(job, self.plan.execution_id, collected.products)
                output = {'files': files, 'json': collected.json}
                if not complete_execution(job_id, exe_num, exit_code=code, output=output):
                    raise _Refused
        except _Refused:
            # The execution ended otherwise meanwhile (lost, canceled): its products are not kept.
            remove_files(collected.written)
            return 'ignored'
        except IntegrityError:
            # A product path is taken: only an earlier report of this very execution could have done so.
            return str(fail_execution(job_id, exe_num, 'filesystem-io', exit_code=code))
        return 'completed'

    def _clean_up(self):
        with contextlib.suppress(OSError):
            os.unlink(self.pid_file)
        if not self.keep_work_dir:
            fresh_directory(self.plan.work_dir)


class _Refused(Exception):
    """complete_execution refused the report: roll the products back."""
