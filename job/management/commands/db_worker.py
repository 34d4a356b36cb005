"""manage.py db_worker: django-tasks-db's task worker, which first re-enqueues the bulk operations
whose task died (a worker killed mid-operation resumes it here) and then keeps sweeping for them."""

import logging
import threading

from django.conf import settings
from django.db import DatabaseError, connection
from django_tasks_db.management.commands import db_worker

from job.services.bulk import recover_operations

logger = logging.getLogger('job.services.bulk')


def _sweep(stop, interval):
    # A thread of its own, with its own database connection, closed after each sweep.
    while not stop.wait(interval):
        try:
            recover_operations()
        except DatabaseError:
            logger.warning('bulk operation recovery sweep failed; retrying later', exc_info=True)
        finally:
            connection.close()


class Command(db_worker.Command):
    help = (
        'Run the task worker (bulk cancel and requeue). At start, and every half lease '
        '(SCALE_BULK_LEASE_SECONDS), operations whose task died are enqueued again.'
    )

    def handle(self, *args, **options):
        recovered = recover_operations()
        if recovered:
            self.stdout.write(f'resuming bulk operations {recovered}')
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep,
            args=(stop, settings.SCALE_BULK_LEASE_SECONDS / 2),
            name='bulk-recovery',
            daemon=True,
        )
        sweeper.start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
