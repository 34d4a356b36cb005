from django.db import models


class JobTypeDailyMetrics(models.Model):
    """What the jobs of one job type that ended on one UTC day came to: the rows behind
    /v6/metrics/job-types/plot-data/, so that no request aggregates the job table.

    One row per (job type, day) on which at least one of its jobs ended (COMPLETED, FAILED or
    CANCELED, by the job's `ended`). The counts are of those jobs: by final status, and by the
    category of their error (`error_*_count`). The times are in seconds over the COMPLETED jobs
    among them (their latest execution): queue time (queued to placed on a node), stage time
    (placed to the process launched), job time (launched to ended) and run time (placed to ended);
    each as sum, min, max and avg, null when no completed job had both ends of the span, and the
    number of jobs the span was measured on (`*_time_count`, not a plot column: it weighs averages
    over several rows).

    Rows are written only by job.services.metrics.compute_job_type_metrics, which recomputes whole
    days from the job table: a day's figures are exact as of its last recomputation. `computed` says
    when that was.
    """

    job_type = models.ForeignKey('job.JobType', on_delete=models.CASCADE, related_name='+', db_index=False)
    date = models.DateField()

    completed_count = models.BigIntegerField(default=0)
    failed_count = models.BigIntegerField(default=0)
    canceled_count = models.BigIntegerField(default=0)
    total_count = models.BigIntegerField(default=0)
    error_system_count = models.BigIntegerField(default=0)
    error_algorithm_count = models.BigIntegerField(default=0)
    error_data_count = models.BigIntegerField(default=0)

    queue_time_sum = models.FloatField(null=True)
    queue_time_min = models.FloatField(null=True)
    queue_time_max = models.FloatField(null=True)
    queue_time_avg = models.FloatField(null=True)
    queue_time_count = models.BigIntegerField(default=0)
    stage_time_sum = models.FloatField(null=True)
    stage_time_min = models.FloatField(null=True)
    stage_time_max = models.FloatField(null=True)
    stage_time_avg = models.FloatField(null=True)
    stage_time_count = models.BigIntegerField(default=0)
    job_time_sum = models.FloatField(null=True)
    job_time_min = models.FloatField(null=True)
    job_time_max = models.FloatField(null=True)
    job_time_avg = models.FloatField(null=True)
    job_time_count = models.BigIntegerField(default=0)
    run_time_sum = models.FloatField(null=True)
    run_time_min = models.FloatField(null=True)
    run_time_max = models.FloatField(null=True)
    run_time_avg = models.FloatField(null=True)
    run_time_count = models.BigIntegerField(default=0)

    computed = models.DateTimeField()

    class Meta:
        db_table = 'job_type_daily_metrics'
        constraints = [
            models.UniqueConstraint(fields=['job_type', 'date'], name='job_type_metrics_day_uniq'),
        ]
        # Plots read a date range, for every job type or a few.
        indexes = [models.Index(fields=['date', 'job_type'], name='job_type_metrics_date_idx')]

    def __str__(self):
        return f'job type {self.job_type_id} on {self.date}'
