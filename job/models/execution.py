from django.db import models
from django.utils import timezone

from job.choices import ExecutionStatus, LogStream


class JobExecution(models.Model):
    """One attempt at running a job on a node: created RUNNING when the scheduler places the job,
    ended COMPLETED, FAILED (with `error`) or CANCELED. `exe_num` is unique per job and equals the
    job's `num_exes` at placement; reports for any other exe_num are ignored (fencing).
    `resources` are the allocated resources; `cluster_id` names the execution in logs. The node's
    agent stamps `launched` (and the process id `pid`) when it claims the execution and starts it."""

    job = models.ForeignKey('job.Job', on_delete=models.CASCADE, related_name='executions', db_index=False)
    job_type = models.ForeignKey('job.JobType', on_delete=models.PROTECT, related_name='+')
    exe_num = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=ExecutionStatus.choices, default=ExecutionStatus.RUNNING)
    cluster_id = models.CharField(max_length=100, default='', blank=True)
    node = models.ForeignKey(
        'node.Node', on_delete=models.SET_NULL, null=True, blank=True, related_name='executions'
    )
    error = models.ForeignKey('job.Error', on_delete=models.PROTECT, null=True, blank=True, related_name='+')
    exit_code = models.IntegerField(null=True, blank=True)
    launched = models.DateTimeField(null=True, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    timeout = models.PositiveIntegerField(null=True, blank=True)
    input_file_size = models.FloatField(null=True, blank=True)
    resources = models.JSONField(default=dict, blank=True)
    configuration = models.JSONField(default=dict, blank=True)
    output = models.JSONField(null=True, blank=True)
    task_results = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    queued = models.DateTimeField(null=True, blank=True)
    started = models.DateTimeField(null=True, blank=True)
    ended = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'job_exe'
        constraints = [models.UniqueConstraint(fields=['job', 'exe_num'], name='job_exe_job_exe_num_uniq')]
        indexes = [
            models.Index(fields=['status'], name='job_exe_status_idx'),
            # /v6/status/ (node.status): the executions that ended in the last hours, by node, job
            # type, status and error, read from the index alone on PostgreSQL.
            models.Index(
                fields=['ended'], name='job_exe_ended_idx', include=['node', 'job_type', 'status', 'error']
            ),
            models.Index(
                fields=['node'],
                name='job_exe_running_node_idx',
                condition=models.Q(status=ExecutionStatus.RUNNING),
            ),
        ]

    def __str__(self):
        return f'job {self.job_id} exe {self.exe_num} ({self.status})'


class JobExecutionLog(models.Model):
    """One line of an execution's stdout or stderr. `scale_order_num` numbers the lines of one
    execution across both streams, unique and increasing, so it alone orders a combined log."""

    id = models.BigAutoField(primary_key=True)
    job_exe = models.ForeignKey(
        JobExecution, on_delete=models.CASCADE, related_name='log_lines', db_index=False
    )
    scale_order_num = models.PositiveIntegerField()
    stream = models.CharField(max_length=6, choices=LogStream.choices)
    message = models.TextField()
    timestamp = models.DateTimeField()

    class Meta:
        db_table = 'job_exe_log'
        constraints = [
            models.UniqueConstraint(fields=['job_exe', 'scale_order_num'], name='job_exe_log_order_uniq'),
        ]

    def __str__(self):
        return f'{self.job_exe_id}#{self.scale_order_num} {self.stream}'
