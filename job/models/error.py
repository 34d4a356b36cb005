from django.db import models
from django.utils import timezone

from job.choices import ErrorCategory


class ErrorManager(models.Manager):
    def get_by_natural_key(self, job_type_name, name):
        return self.get(job_type_name=job_type_name, name=name)


class Error(models.Model):
    """A named cause of failure. Builtin errors (`job_type_name` null) come from fixtures; job-type
    errors come from a Seed manifest's `errors` list and are shared by every version of the name.
    `should_be_retried` decides whether a failed execution is requeued automatically."""

    name = models.CharField(max_length=50)
    job_type_name = models.CharField(max_length=50, null=True, blank=True)
    title = models.CharField(max_length=50, null=True, blank=True)
    description = models.CharField(max_length=250, null=True, blank=True)
    category = models.CharField(max_length=10, choices=ErrorCategory.choices, default=ErrorCategory.SYSTEM)
    is_builtin = models.BooleanField(default=False)
    should_be_retried = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    last_modified = models.DateTimeField(auto_now=True)

    objects = ErrorManager()

    class Meta:
        db_table = 'error'
        constraints = [
            models.UniqueConstraint(
                fields=['job_type_name', 'name'],
                name='error_job_type_name_uniq',
                condition=models.Q(job_type_name__isnull=False),
            ),
            models.UniqueConstraint(
                fields=['name'],
                name='error_builtin_name_uniq',
                condition=models.Q(job_type_name__isnull=True),
            ),
        ]
        indexes = [models.Index(fields=['category'], name='error_category_idx')]

    def __str__(self):
        return self.name if self.job_type_name is None else f'{self.job_type_name}:{self.name}'

    def natural_key(self):
        return (self.job_type_name, self.name)
