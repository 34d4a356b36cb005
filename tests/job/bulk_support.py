"""Helpers of the bulk operation tests."""

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from job.models import BulkOperation


def run_worker():
    """Runs the enqueued tasks in-process, one by one, as `manage.py db_worker` does, until none is
    left. (The command itself closes the database connection between tasks, which would end the
    test's transaction; test_bulk_worker.py runs the real command in a child process.)"""
    worker = Worker(
        queue_names=['default'],
        interval=0,
        batch=True,
        backend_name='default',
        startup_delay=False,
        max_tasks=None,
        worker_id='tests',
        excluded_queue_names=[],
    )
    while True:
        task_result = DBTaskResult.objects.ready().get_locked()
        if task_result is None:
            return
        task_result.claim(worker.worker_id)
        worker.run_task(task_result)
        task_result.refresh_from_db()
        assert task_result.status == 'SUCCESSFUL', task_result.traceback


def operation_of(response):
    """The BulkOperation a 202 response describes, as stored now."""
    return BulkOperation.objects.get(pk=response.json()['id'])
