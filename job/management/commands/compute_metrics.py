"""manage.py compute_metrics [--days N | --all] [--end YYYY-MM-DD]: recompute the daily job type
metrics (job.services.metrics)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from job.services import metrics


class Command(BaseCommand):
    help = (
        'Recomputes the daily job type metrics (the plot data of /v6/metrics/job-types/) from the jobs: '
        'by default as the periodic update does (today and yesterday, UTC, or back to the last day '
        'computed); --days N or --all for a backfill.'
    )

    def add_arguments(self, parser):
        parser.add_argument(
            '--days', type=int, help='number of days ending with --end (default: as the periodic update)'
        )
        parser.add_argument(
            '--all', action='store_true', help='every day since the earliest job ended (overrides --days)'
        )
        parser.add_argument('--end', help='last UTC day to recompute, YYYY-MM-DD (default: today)')
        parser.add_argument('--no-progress', action='store_true', help='no progress bar on stderr')

    def handle(self, *args, **options):
        end = options['end']
        if end is not None:
            try:
                end = datetime.date.fromisoformat(end.strip())
            except ValueError:
                raise CommandError(f'--end {end!r} is not a date (YYYY-MM-DD)') from None
        else:
            end = timezone.now().astimezone(datetime.UTC).date()
        days = options['days']
        if options['all']:
            first = metrics.first_metrics_day()
            days = (end - first).days + 1 if first is not None and first <= end else 0
        elif days is None:
            days = metrics.recent_days(end)
        elif not 1 <= days <= (end - datetime.date.min).days + 1:
            raise CommandError(f'--days must be from 1 to {(end - datetime.date.min).days + 1}')
        with tqdm(
            total=days, unit='day', desc='job type metrics', disable=options['no_progress'] or not days
        ) as bar:
            written = metrics.compute_job_type_metrics(days, last_day=end, progress=lambda day: bar.update())
        self.stdout.write(f'{days} days recomputed, {written} job type rows written')
