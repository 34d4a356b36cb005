from django.conf import settings
from django.db import models


class IdempotentRequest(models.Model):
    """A write made with an `Idempotency-Key` header: the same user repeating the key on the same
    operation (`scope`, e.g. "POST /v6/jobs/") with the same body (`body_digest`, SHA-256 of its
    canonical JSON) gets the first result (`resource_id`) again, and nothing is done twice; with a
    different body the request is refused (409). Written in the transaction that does the work."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name='+')
    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    body_digest = models.CharField(max_length=64)
    resource_id = models.BigIntegerField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = 'idempotent_request'
        constraints = [
            models.UniqueConstraint(fields=['user', 'scope', 'key'], name='idempotent_request_uniq'),
        ]

    def __str__(self):
        return f'{self.scope} {self.key}'
