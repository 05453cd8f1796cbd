"""API keys: one per integrator, stored only as a SHA-256 hash, with the scopes it may use.

The key itself is 256 random bits shown once when it is made; its first characters (the prefix)
are kept in clear so administrators can tell keys apart. A key is revoked, never deleted, so its
name stays meaningful in the audit trail.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import ArrayField

KEY_PREFIX = "cxr_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8


RATE_FORMAT = r"^[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)$"
RATE_MESSAGE = "Give a rate as requests per period, e.g. 120/min, 10/s, 5000/hour or 100000/day."


class Scope(models.TextChoices):
    PREDICT = "predict", "Predict: run the model on an image"
    CASES_READ = "cases:read", "Read cases and their advice"
    CASES_WRITE = "cases:write", "Create cases and sign advice"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKey(models.Model):
    name = models.CharField(max_length=100, unique=True, help_text="Who integrates with this key.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False)
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices))
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="api_keys",
        help_text="Advice sent with this key is signed by this clinician; without one the key cannot give advice.",
    )  # fmt: skip
    rate = models.CharField(max_length=20, default="120/min", validators=[RegexValidator(RATE_FORMAT, RATE_MESSAGE)],
                            help_text="Requests allowed, e.g. 120/min or 5000/day.")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, name, scopes, **fields) -> tuple["ApiKey", str]:
        """A new key and its clear text, which is never stored and cannot be shown again."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        api_key = cls(name=name, scopes=list(scopes), prefix=key[:PREFIX_LENGTH], hashed_key=digest(key), **fields)
        api_key.full_clean()
        api_key.save()
        return api_key, key

    @classmethod
    def find(cls, key: str) -> "ApiKey | None":
        """The live key with this clear text, if any."""
        return cls.objects.filter(hashed_key=digest(key), revoked_at__isnull=True).first()

    @property
    def actor(self) -> str:
        """How the audit trail names this key."""
        return f"api-key:{self.name}"

    def revoke(self):
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
