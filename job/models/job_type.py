from django.db import models
from django.utils import timezone


class JobTypeManager(models.Manager):
    def get_by_natural_key(self, name, version):
        return self.get(name=name, version=version)


class JobType(models.Model):
    """A registered algorithm: one name + version of a Seed image.

    `title` and `description` mirror the manifest's job title and description (kept as columns so
    lists never parse manifests). `manifest` is the normalized Seed manifest of the current revision;
    `configuration` is the v6 job configuration without secret settings. `unmet_resources` is
    maintained by the scheduler: comma-joined names of resources that no node can supply.
    """

    name = models.CharField(max_length=50)
    version = models.CharField(max_length=50)
    title = models.CharField(max_length=250, default='')
    description = models.TextField(default='', blank=True)
    icon_code = models.CharField(max_length=20, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_system = models.BooleanField(default=False)
    is_paused = models.BooleanField(default=False)
    is_published = models.BooleanField(default=False)
    unmet_resources = models.CharField(max_length=250, null=True, blank=True)
    max_scheduled = models.PositiveIntegerField(null=True, blank=True)
    max_tries = models.PositiveIntegerField(default=3)
    revision_num = models.PositiveIntegerField(default=1)
    docker_image = models.CharField(max_length=500, default='', blank=True)
    manifest = models.JSONField(default=dict)
    configuration = models.JSONField(default=dict)
    created = models.DateTimeField(default=timezone.now)
    deprecated = models.DateTimeField(null=True, blank=True)
    paused = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    objects = JobTypeManager()

    class Meta:
        db_table = 'job_type'
        constraints = [models.UniqueConstraint(fields=['name', 'version'], name='job_type_name_version_uniq')]
        indexes = [models.Index(fields=['is_active', 'name'], name='job_type_active_name_idx')]

    def __str__(self):
        return f'{self.name} {self.version}'

    def natural_key(self):
        return (self.name, self.version)


class JobTypeRevisionManager(models.Manager):
    def get_by_natural_key(self, name, version, revision_num):
        return self.get(job_type__name=name, job_type__version=version, revision_num=revision_num)


class JobTypeRevision(models.Model):
    """An immutable snapshot of a job type's manifest and image; each job runs the revision it was
    created with, whatever the job type becomes later."""

    job_type = models.ForeignKey(JobType, on_delete=models.PROTECT, related_name='revisions', db_index=False)
    revision_num = models.PositiveIntegerField()
    docker_image = models.CharField(max_length=500, default='', blank=True)
    manifest = models.JSONField(default=dict)
    created = models.DateTimeField(default=timezone.now)

    objects = JobTypeRevisionManager()

    class Meta:
        db_table = 'job_type_revision'
        constraints = [
            models.UniqueConstraint(fields=['job_type', 'revision_num'], name='job_type_revision_uniq'),
        ]

    def __str__(self):
        return f'{self.job_type_id} r{self.revision_num}'

    def natural_key(self):
        return (*self.job_type.natural_key(), self.revision_num)

    natural_key.dependencies = ['job.jobtype']
