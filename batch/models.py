from django.db import models
from django.utils import timezone


class Batch(models.Model):
    """A group of recipes (and so of jobs) created together from one definition, e.g. a reprocessing
    of earlier runs; may supersede an earlier batch."""

    title = models.CharField(max_length=50, default='')
    description = models.CharField(max_length=500, default='', blank=True)
    recipe_type = models.ForeignKey(
        'recipe.RecipeType', on_delete=models.PROTECT, null=True, blank=True, related_name='batches'
    )
    recipe_type_rev = models.ForeignKey(
        'recipe.RecipeTypeRevision', on_delete=models.PROTECT, null=True, blank=True, related_name='batches'
    )
    event = models.ForeignKey(
        'job.TriggerEvent', on_delete=models.PROTECT, null=True, blank=True, related_name='batches'
    )
    is_superseded = models.BooleanField(default=False)
    root_batch = models.ForeignKey(
        'self', on_delete=models.SET_NULL, null=True, blank=True, related_name='descendant_batches'
    )
    superseded_batch = models.OneToOneField(
        'self', on_delete=models.SET_NULL, null=True, blank=True, related_name='superseded_by_batch'
    )
    is_creation_done = models.BooleanField(default=False)
    definition = models.JSONField(default=dict, blank=True)
    configuration = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)
    superseded = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = 'batch'
        verbose_name_plural = 'batches'

    def __str__(self):
        return self.title or f'batch {self.pk}'
