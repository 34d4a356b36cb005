from django.db import models
from django.db.models import Q


class SecretSetting(models.Model):
    """The value of a setting the Seed manifest marks `secret`, for a job type (its configuration) or
    for one job (its configuration override). Secret values live only here: never in a stored or
    served configuration. The node agent reads them when it runs the job."""

    job_type = models.ForeignKey(
        'job.JobType', on_delete=models.CASCADE, null=True, blank=True, related_name='secret_settings'
    )
    job = models.ForeignKey(
        'job.Job', on_delete=models.CASCADE, null=True, blank=True, related_name='secret_settings'
    )
    name = models.CharField(max_length=250)
    value = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = 'secret_setting'
        constraints = [
            models.CheckConstraint(
                condition=Q(job_type__isnull=False, job__isnull=True)
                | Q(job_type__isnull=True, job__isnull=False),
                name='secret_setting_one_owner',
            ),
            models.UniqueConstraint(
                fields=['job_type', 'name'],
                condition=Q(job__isnull=True),
                name='secret_setting_job_type_uniq',
            ),
            models.UniqueConstraint(
                fields=['job', 'name'], condition=Q(job_type__isnull=True), name='secret_setting_job_uniq'
            ),
        ]

    def __str__(self):
        owner = f'job type {self.job_type_id}' if self.job_type_id else f'job {self.job_id}'
        return f'{self.name} of {owner}'
