"""manage.py run_node: the node agent of this machine (node/agent/). Registers the node, runs the
executions placed on it until SIGTERM or SIGINT, then drains and exits 0."""

import math
import re
import signal
import socket
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from node.agent.agent import Agent, AgentError

RESOURCE_NAME = re.compile(r'^[a-zA-Z0-9_-]+$')
STANDARD = ('cpus', 'mem', 'disk', 'gpus')


def _amount(text):
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f'{text!r} is not a number') from None
    if not math.isfinite(value) or value < 0:
        raise CommandError(f'{text!r} is not a finite amount >= 0')
    return value


def parse_resources(options):
    """The node's resources from the options: cpus, mem and disk (MiB), gpus (whole), and each
    `--resource NAME=VALUE` (names lowercased, as manifests store them)."""
    resources = {name: _amount(str(options[name] or 0)) for name in STANDARD}
    if not resources['gpus'].is_integer():
        raise CommandError('--gpus must be a whole number')
    for item in options['resource'] or []:
        name, separator, value = item.partition('=')
        if not separator or not RESOURCE_NAME.match(name):
            raise CommandError(f'--resource {item!r}: give NAME=VALUE, NAME of letters, digits, _ and -')
        name = name.lower()
        if name in STANDARD:
            raise CommandError(f'--resource {item!r}: use --{name}')
        resources[name] = _amount(value)
    return resources


class Command(BaseCommand):
    help = 'Run the node agent: register this node, heartbeat, and run the executions placed on it.'

    def add_arguments(self, parser):
        parser.add_argument('--hostname', default=None, help="the node's name (default: this machine's)")
        parser.add_argument('--cpus', required=True, help='CPUs offered')
        parser.add_argument('--mem', required=True, help='memory offered, MiB')
        parser.add_argument('--disk', required=True, help='disk offered, MiB')
        parser.add_argument('--gpus', default='0', help='GPUs offered (whole number)')
        parser.add_argument(
            '--resource', action='append', metavar='NAME=VALUE', help='a custom resource offered (repeatable)'
        )
        parser.add_argument('--work-dir', default=None, help='default: VAR_DIR/node/<hostname>')
        parser.add_argument(
            '--drain-seconds',
            type=float,
            default=30.0,
            help='on SIGTERM/SIGINT, how long running executions may finish before they are stopped',
        )
        parser.add_argument(
            '--kill-grace', type=float, default=5.0, help='seconds between SIGTERM and SIGKILL of a job'
        )
        parser.add_argument(
            '--keep-work-dirs', action='store_true', help='keep working directories after executions end'
        )

    def handle(self, *args, **options):
        hostname = options['hostname'] or socket.gethostname()
        if not hostname or len(hostname) > 250:
            raise CommandError('--hostname must be 1 to 250 characters')
        resources = parse_resources(options)
        work_dir = options['work_dir'] or str(Path(settings.VAR_DIR) / 'node' / hostname.replace('/', '_'))
        for name in ('drain_seconds', 'kill_grace'):
            if not math.isfinite(options[name]) or options[name] < 0:
                raise CommandError(f'--{name.replace("_", "-")} must be >= 0')
        agent = Agent(
            hostname,
            resources,
            work_dir,
            drain_seconds=options['drain_seconds'],
            kill_grace=options['kill_grace'],
            keep_work_dirs=options['keep_work_dirs'],
        )

        def shutdown(signum, frame):
            agent.request_shutdown()

        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
        self.stdout.write(f'node agent {hostname}: {resources}, working in {work_dir}')
        try:
            agent.run()
        except AgentError as exc:
            raise CommandError(str(exc)) from None
