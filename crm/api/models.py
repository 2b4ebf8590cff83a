from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an `Idempotency-Key` header, replayed for 24 hours
    to the same caller on the same path. A row without a status is a request still running."""

    principal = models.CharField(max_length=64, help_text="key:<id> or user:<id>")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    content_type = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["principal", "key", "method", "path"], name="idempotency_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.method} {self.path} [{self.key}]"
