"""Capturing a process's stdout and stderr line by line and storing the lines in batches.

One reader thread per stream reads lines as they come and puts them, stamped, into one LineBuffer
shared by both streams, so the buffer's order is the order the agent saw them in. The buffer is
bounded (lines and characters): when it is full the readers block, the pipe fills and the process
blocks on its next write, so a process that floods output never grows the agent's memory. The
agent loop takes lines out of the buffer into a LogBatcher, which stores them with
job.services.logs.append_log_lines every FLUSH_SECONDS or FLUSH_LINES lines, whichever comes first.
The reader threads never touch the database.
"""

import collections
import contextlib
import threading
import time

from django.utils import timezone

from job.choices import LogStream
from job.services.logs import LogLine, append_log_lines

MAX_LINE_BYTES = 64 * 1024
TRUNCATED = ' [line truncated by the agent]'
# Bounds of one execution's buffer. A line costs about 200 bytes of Python objects besides its text.
MAX_BUFFER_CHARS = 4 * 1024 * 1024
MAX_BUFFER_LINES = 20_000
FLUSH_LINES = 1000
# A batch of long lines is stored before it reaches FLUSH_LINES: memory stays bounded either way.
FLUSH_CHARS = 2 * 1024 * 1024
FLUSH_SECONDS = 0.5
AGENT_PREFIX = '[scale-agent] '


class LineBuffer:
    """A bounded FIFO of LogLines between the reader threads (`put`, blocking while full) and the
    agent loop (`take`, never blocking). `exhausted` once every writer is done and it is empty."""

    def __init__(self, writers=2, max_chars=MAX_BUFFER_CHARS, max_lines=MAX_BUFFER_LINES):
        self._lines = collections.deque()
        self._chars = 0
        self._writers = writers
        self._max_chars = max_chars
        self._max_lines = max_lines
        self._aborted = False
        self._condition = threading.Condition()

    def put(self, line):
        """Appends `line`, waiting while the buffer is full (a lone oversized line is let in)."""
        size = len(line.message)
        with self._condition:
            while (
                not self._aborted
                and self._lines
                and (self._chars + size > self._max_chars or len(self._lines) >= self._max_lines)
            ):
                self._condition.wait()
            if self._aborted:
                return
            self._lines.append(line)
            self._chars += size

    def take(self, max_lines, max_chars=None):
        """Up to `max_lines` lines, oldest first, stopping once they hold `max_chars` characters (the
        last line may pass that by its length); [] when none is waiting."""
        taken = []
        chars = 0
        with self._condition:
            while self._lines and len(taken) < max_lines and (max_chars is None or chars < max_chars):
                line = self._lines.popleft()
                taken.append(line)
                chars += len(line.message)
            if taken:
                self._chars -= chars
                self._condition.notify_all()
        return taken

    def writer_done(self):
        """A reader reached the end of its stream."""
        with self._condition:
            self._writers -= 1

    @property
    def exhausted(self):
        """Nothing more will come out: every reader is done and the buffer is empty (or aborted)."""
        with self._condition:
            return self._aborted or (self._writers <= 0 and not self._lines)

    def abort(self):
        """Drops what is buffered and makes every later put a no-op (the agent gave up on the rest)."""
        with self._condition:
            self._aborted = True
            self._lines.clear()
            self._chars = 0
            self._condition.notify_all()


def _decode(chunk):
    if chunk.endswith(b'\n'):
        chunk = chunk[:-1]
    if chunk.endswith(b'\r'):
        chunk = chunk[:-1]
    return chunk.decode('utf-8', errors='replace')


def read_stream(pipe, stream, buffer, max_line_bytes=MAX_LINE_BYTES):
    """Reads `pipe` (a binary file) line by line into `buffer` as `stream` lines until end of file.
    A line longer than `max_line_bytes` is cut there (marked TRUNCATED) and the rest of it skipped,
    never held in memory."""
    try:
        while True:
            chunk = pipe.readline(max_line_bytes)
            if not chunk:
                break
            text = _decode(chunk)
            if len(chunk) >= max_line_bytes and not chunk.endswith(b'\n'):
                while True:
                    rest = pipe.readline(max_line_bytes)
                    if not rest or rest.endswith(b'\n'):
                        break
                text += TRUNCATED
            buffer.put(LogLine(stream, text, timezone.now()))
    except (OSError, ValueError):
        pass  # the pipe was closed under us: the agent gave up on this output
    finally:
        buffer.writer_done()
        with contextlib.suppress(OSError):
            pipe.close()


def start_readers(process, buffer):
    """Starts the daemon reader threads of `process`'s stdout and stderr; returns them."""
    threads = [
        threading.Thread(
            target=read_stream,
            args=(pipe, stream, buffer),
            name=f'log-{stream}-{process.pid}',
            daemon=True,
        )
        for pipe, stream in ((process.stdout, LogStream.STDOUT), (process.stderr, LogStream.STDERR))
    ]
    for thread in threads:
        thread.start()
    return threads


class LogBatcher:
    """The lines of one execution waiting to be stored, and the number the next one gets.

    `redact` is applied to the agent's own lines (never to the process's: they are its output).
    """

    def __init__(self, execution_id, node_id, start=None, redact=None):
        self.execution_id = execution_id
        self.node_id = node_id
        self.next_num = start
        self.pending = []
        self.pending_chars = 0
        self.first_pending_at = None
        self.stored = 0
        self._redact = redact or (lambda text: text)

    def add(self, lines, now=None):
        """Appends captured lines (LogLines, in order) to the batch."""
        if lines:
            if not self.pending:
                self.first_pending_at = time.monotonic() if now is None else now
            self.pending.extend(lines)
            self.pending_chars += sum(len(line.message) for line in lines)

    def add_agent_line(self, message, now=None):
        """Adds a line written by the agent itself (on stderr, prefixed AGENT_PREFIX), redacted."""
        line = LogLine(LogStream.STDERR, AGENT_PREFIX + self._redact(message), timezone.now())
        self.add([line], now)

    def due(self, now):
        """Whether the batch must be stored now: FLUSH_LINES lines, FLUSH_CHARS characters, or a line
        waiting for FLUSH_SECONDS."""
        return (
            len(self.pending) >= FLUSH_LINES
            or self.pending_chars >= FLUSH_CHARS
            or (bool(self.pending) and now - self.first_pending_at >= FLUSH_SECONDS)
        )

    def flush(self, now=None):
        """Stores up to FLUSH_LINES pending lines with one bulk insert; the rest stays pending. On a
        database error nothing is lost: the lines stay pending for the next flush."""
        if not self.pending:
            return 0
        batch = self.pending[:FLUSH_LINES]
        self.next_num = append_log_lines(self.execution_id, batch, start=self.next_num, node_id=self.node_id)
        del self.pending[: len(batch)]
        self.pending_chars -= sum(len(line.message) for line in batch)
        if not self.pending:
            self.first_pending_at = None
        self.stored += len(batch)
        return len(batch)

    def pump(self, buffer, now, *, final=False, max_flushes=5):
        """Moves lines from `buffer` into the batch and stores the batches that are due (every one when
        `final`); at most `max_flushes` inserts a call, so one noisy process cannot hold up the loop.
        Returns the number of lines stored."""
        stored = 0
        for _ in range(max_flushes):
            room = FLUSH_LINES - len(self.pending)
            if room > 0 and self.pending_chars < FLUSH_CHARS:
                self.add(buffer.take(room, FLUSH_CHARS - self.pending_chars), now)
            if self.due(now) or (final and self.pending):
                stored += self.flush(now)
            else:
                break
        return stored
