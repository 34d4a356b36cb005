from django.db import models


class JobCount(models.Model):
    """Exact job counts for the list's `count`, kept by the database itself (PostgreSQL only).

    Statement-level triggers on `job` append, for every INSERT, UPDATE, DELETE or COPY, one row per
    (status, job_type_id, error_id, is_superseded) group it changed with the change in number
    (negative for jobs that left the group), in the writing transaction: a count is exactly what the
    reader's snapshot holds, and writers never wait on each other (rows are only appended, no hot
    counter row is updated). The number of jobs in any set of groups is the sum of `count` over
    its rows. compact_job_counts() (run by the scheduler) folds the rows into one a group."""

    id = models.BigAutoField(primary_key=True)
    status = models.CharField(max_length=10)
    job_type_id = models.IntegerField()
    error_id = models.IntegerField(null=True)
    is_superseded = models.BooleanField()
    count = models.BigIntegerField()

    class Meta:
        db_table = 'job_count'

    def __str__(self):
        return f'{self.count:+d} {self.status} jobs of job type {self.job_type_id}'
