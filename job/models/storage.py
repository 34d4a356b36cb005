from django.db import models
from django.utils import timezone

from job.choices import FileType


class WorkspaceManager(models.Manager):
    def get_by_natural_key(self, name):
        return self.get(name=name)


class Workspace(models.Model):
    """A place files live in. `json_config` holds the broker, e.g.
    `{"broker": {"type": "host", "host_path": "/data"}}`; a file's absolute path is the broker's
    host_path joined with the file's relative `file_path`."""

    name = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=50, default='')
    description = models.CharField(max_length=500, default='', blank=True)
    base_url = models.URLField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    json_config = models.JSONField(default=dict)
    created = models.DateTimeField(default=timezone.now)
    deprecated = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        db_table = 'workspace'

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.name,)


class ScaleFile(models.Model):
    """A file known to the service: a SOURCE registered by a client, or a PRODUCT a job wrote.

    Product provenance (job, job_exe, job_type, job_output, recipe, batch) is null for sources.
    `file_size` is in bytes. `(workspace, file_path)` is unique.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name='files', db_index=False)
    file_name = models.CharField(max_length=250)
    file_path = models.CharField(max_length=1000)
    file_type = models.CharField(max_length=10, choices=FileType.choices, default=FileType.SOURCE)
    file_size = models.BigIntegerField(default=0)
    media_type = models.CharField(max_length=250, default='application/octet-stream')
    data_type_tags = models.JSONField(default=list, blank=True)
    uuid = models.CharField(max_length=32, default='', blank=True)
    is_deleted = models.BooleanField(default=False)
    deleted = models.DateTimeField(null=True, blank=True)
    data_started = models.DateTimeField(null=True, blank=True)
    data_ended = models.DateTimeField(null=True, blank=True)
    source_started = models.DateTimeField(null=True, blank=True)
    source_ended = models.DateTimeField(null=True, blank=True)
    source_sensor_class = models.CharField(max_length=250, null=True, blank=True)
    source_sensor = models.CharField(max_length=250, null=True, blank=True)
    source_collection = models.CharField(max_length=250, null=True, blank=True)
    source_task = models.CharField(max_length=250, null=True, blank=True)
    geometry = models.TextField(null=True, blank=True)
    center_point = models.TextField(null=True, blank=True)
    countries = models.JSONField(default=list, blank=True)
    meta_data = models.JSONField(default=dict, blank=True)
    job_type = models.ForeignKey(
        'job.JobType', on_delete=models.PROTECT, null=True, blank=True, related_name='products'
    )
    job = models.ForeignKey(
        'job.Job', on_delete=models.SET_NULL, null=True, blank=True, related_name='products'
    )
    job_exe = models.ForeignKey(
        'job.JobExecution', on_delete=models.SET_NULL, null=True, blank=True, related_name='products'
    )
    job_output = models.CharField(max_length=250, null=True, blank=True)
    recipe_type = models.ForeignKey(
        'recipe.RecipeType', on_delete=models.PROTECT, null=True, blank=True, related_name='products'
    )
    recipe = models.ForeignKey(
        'recipe.Recipe', on_delete=models.SET_NULL, null=True, blank=True, related_name='products'
    )
    recipe_node = models.CharField(max_length=250, null=True, blank=True)
    batch = models.ForeignKey(
        'batch.Batch', on_delete=models.SET_NULL, null=True, blank=True, related_name='products'
    )
    is_superseded = models.BooleanField(default=False)
    superseded = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'scale_file'
        constraints = [
            models.UniqueConstraint(fields=['workspace', 'file_path'], name='scale_file_workspace_path_uniq'),
        ]
        indexes = [
            models.Index(fields=['last_modified', 'id'], name='scale_file_modified_idx'),
            models.Index(fields=['file_name'], name='scale_file_name_idx'),
        ]

    def __str__(self):
        return self.file_name

    @property
    def url(self):
        """The download URL: the workspace's base_url joined with file_path, or None without a base_url."""
        base_url = self.workspace.base_url
        if not base_url:
            return None
        return f'{base_url.rstrip("/")}/{self.file_path.lstrip("/")}'
