"""manage.py run_scheduler: a scheduler pass every SCALE_SCHEDULER_INTERVAL seconds until SIGTERM or
SIGINT, then a clean exit after the current pass."""

import logging
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from node.scheduler import run_pass

logger = logging.getLogger('node.scheduler')


class Command(BaseCommand):
    help = (
        'Run the scheduler: every SCALE_SCHEDULER_INTERVAL seconds, fail the executions of lost nodes and '
        'place queued jobs on nodes. SIGTERM or Ctrl-C stops it after the current pass. On PostgreSQL, '
        'a second scheduler waits as a hot standby.'
    )

    def add_arguments(self, parser):
        parser.add_argument('--once', action='store_true', help='run one pass and exit')
        parser.add_argument(
            '--interval', type=float, help='seconds between passes (default SCALE_SCHEDULER_INTERVAL)'
        )

    def handle(self, *args, once=False, interval=None, **options):
        interval = settings.SCALE_SCHEDULER_INTERVAL if interval is None else max(0.01, interval)
        stop = threading.Event()

        def request_stop(signum, frame):
            stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f'scheduler started (a pass every {interval:g} s)')
        if interval * 2 > settings.SCALE_SCHEDULER_STALE_SECONDS:
            # /v6/status/ would answer 503 between passes, and the web UI stops polling at a 503.
            self.stderr.write(
                f'warning: passes {interval:g} s apart come close to SCALE_SCHEDULER_STALE_SECONDS='
                f'{settings.SCALE_SCHEDULER_STALE_SECONDS:g}: /v6/status/ may answer 503 between passes; '
                'raise SCALE_SCHEDULER_STALE_SECONDS to a few intervals'
            )
        standby = None
        try:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    result = run_pass()
                except Exception:
                    # A lost database connection must not end the scheduler: log, reconnect next pass.
                    logger.exception('scheduler pass failed')
                    connection.close()
                else:
                    if result.standby != standby:
                        if result.standby:
                            self.stdout.write('another scheduler holds the lock: standing by')
                        elif standby:
                            self.stdout.write('took over the scheduler lock')
                        standby = result.standby
                if once:
                    break
                stop.wait(max(0.0, interval - (time.monotonic() - started)))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write('scheduler stopped')
