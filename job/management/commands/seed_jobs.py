"""manage.py seed_jobs --jobs N [--seed S] [--anchor ISO-DATETIME] [--days D]: synthetic job data."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from job import seeding
from scale.api.iso8601 import parse_datetime


def _positive_int(text):
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        'Creates N realistic jobs (with job types, nodes, files, recipes, batches, executions and logs) '
        'spread over the D days before the anchor; the same seed and anchor give the same rows.'
    )

    def add_arguments(self, parser):
        parser.add_argument('--jobs', type=_positive_int, required=True, help='number of jobs to create')
        parser.add_argument('--seed', type=int, default=1, help='random seed (default 1)')
        parser.add_argument(
            '--anchor',
            help='ISO-8601 end of the time window, e.g. 2026-03-01T00:00:00Z (default: now, to the second)',
        )
        parser.add_argument(
            '--days',
            type=float,
            default=seeding.DEFAULT_DAYS,
            help='length of the window in days (default 60)',
        )
        parser.add_argument(
            '--chunk-size',
            type=int,
            default=seeding.DEFAULT_CHUNK_SIZE,
            help='jobs written per transaction (default 5000)',
        )
        parser.add_argument(
            '--log-lines-min', type=_positive_int, default=seeding.DEFAULT_LOG_LINES[0], help='default 3'
        )
        parser.add_argument(
            '--log-lines-max',
            type=_positive_int,
            default=seeding.DEFAULT_LOG_LINES[1],
            help='most log lines per execution (default 8; 0 writes no logs)',
        )
        parser.add_argument(
            '--workers',
            type=int,
            default=seeding.DEFAULT_WORKERS,
            help='PostgreSQL: threads (connections) writing chunks in parallel (default 2)',
        )
        parser.add_argument('--no-progress', action='store_true', help='no progress bar on stderr')

    def handle(self, *args, **options):
        anchor = options['anchor']
        if anchor is not None:
            try:
                anchor = parse_datetime(anchor.strip())
            except ValueError:
                raise CommandError(f'--anchor {anchor!r} is not an ISO-8601 datetime') from None
        if options['days'] <= 0:
            raise CommandError('--days must be positive')
        if options['chunk_size'] < 1:
            raise CommandError('--chunk-size must be at least 1')
        summary = seeding.seed(
            options['jobs'],
            seed=options['seed'],
            anchor=anchor,
            days=options['days'],
            progress=not options['no_progress'],
            chunk_size=options['chunk_size'],
            log_lines_min=options['log_lines_min'],
            log_lines_max=options['log_lines_max'],
            workers=options['workers'],
        )
        self.stdout.write(seeding.format_summary(summary))
        # The dashboards' job type metrics cover the seeded days (the scheduler only keeps the last two
        # up to date).
        call_command(
            'compute_metrics',
            '--all',
            *(['--no-progress'] if options['no_progress'] else []),
            stdout=self.stdout,
        )
        return None
