"""Start every process of the system on this machine and stop them all together.

Each process runs as a child with the same environment. When one exits, or on Ctrl-C / SIGTERM,
the others get SIGTERM, then SIGKILL after a grace period.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from scale.env import env_bool, env_int, env_str

GRACE_SECONDS = 20
NODE_DRAIN_SECONDS = 10
NODE_KILL_GRACE = 5


def machine_resources():
    """This machine's cpus, memory (MiB) and free disk of the var directory (MiB), for the local node."""
    memory_kib = 0
    with open('/proc/meminfo') as meminfo:
        for line in meminfo:
            if line.startswith('MemTotal:'):
                memory_kib = int(line.split()[1])
    disk = shutil.disk_usage(settings.VAR_DIR)
    return os.cpu_count() or 1, memory_kib // 1024, disk.free // (1024 * 1024)


def processes():
    """(name, argv) of every process `make run` starts: the API, the scheduler, the task worker and one local node
    sized from this machine (SCALE_LOCAL_NODE=false leaves the node out)."""
    bind = env_str('SCALE_BIND', '127.0.0.1:8000')
    workers = env_int('SCALE_API_WORKERS', 2, minimum=1, maximum=64)
    # A sync worker streaming a long log to a slow client does not report to the arbiter meanwhile:
    # gunicorn's default of 30 s would kill it mid-download.
    timeout = env_int('SCALE_API_TIMEOUT', 300, minimum=10, maximum=3600)
    manage = [sys.executable, str(settings.BASE_DIR / 'manage.py')]
    cpus, mem, disk = machine_resources()
    local_node = [
        (
            'node',
            [
                *manage,
                'run_node',
                '--hostname',
                socket.gethostname(),
                '--cpus',
                str(cpus),
                '--mem',
                str(mem),
                '--disk',
                str(disk),
                # Drain plus kill grace stay under GRACE_SECONDS, so Ctrl-C never SIGKILLs the agent.
                '--drain-seconds',
                str(NODE_DRAIN_SECONDS),
                '--kill-grace',
                str(NODE_KILL_GRACE),
            ],
        )
    ]
    return [
        (
            'api',
            [
                sys.executable,
                '-m',
                'gunicorn',
                'scale.wsgi',
                '--bind',
                bind,
                '--workers',
                str(workers),
                '--access-logfile',
                '-',
                '--timeout',
                str(timeout),
                '--graceful-timeout',
                str(GRACE_SECONDS),
            ],
        ),
        ('scheduler', [*manage, 'run_scheduler']),
        # Bulk cancel/requeue; on SIGTERM it stops an operation after its batch (resumed at next start).
        ('worker', [*manage, 'db_worker', '--no-startup-delay']),
        *(local_node if env_bool('SCALE_LOCAL_NODE', True) else []),
    ]


class Command(BaseCommand):
    help = 'Start the API, the scheduler and a local node until Ctrl-C.'

    def handle(self, *args, **options):
        children = {}
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, argv in processes():
            self.stdout.write(f'starting {name}: {" ".join(argv)}')
            children[name] = subprocess.Popen(argv, cwd=settings.BASE_DIR, start_new_session=True)
        self.stdout.write(
            f'API at http://{env_str("SCALE_BIND", "127.0.0.1:8000")}/v6/ (Ctrl-C stops everything)'
        )
        try:
            while not stopping:
                exited = [name for name, child in children.items() if child.poll() is not None]
                if exited:
                    self.stderr.write(f'{", ".join(exited)} exited; stopping the others')
                    break
                time.sleep(0.5)
        finally:
            self._stop(children)

    def _stop(self, children):
        for child in children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f'{name} did not stop in {GRACE_SECONDS}s; killing it')
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        self.stdout.write('stopped')
