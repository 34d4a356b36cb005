"""Background tasks of the job app, run by the task worker (`manage.py db_worker`)."""

from django_tasks import task

from job.services import bulk


@task()
def run_bulk_operation(operation_id):
    """Does bulk operation `operation_id` (job.services.bulk.run_operation); a SIGTERM or SIGINT of
    the worker stops it after its current batch, to resume when a worker runs it again."""
    with bulk.stop_on_signals():
        operation = bulk.run_operation(operation_id)
    return {'state': operation.state, 'processed': operation.processed, 'changed': operation.changed}
