"""The workspace's own data: failed sign-ins, counted for the lockout (portal/workspace/lockout.py)."""

from django.db import models
from django.utils import timezone


class FailedSignIn(models.Model):
    account = models.CharField(max_length=64, db_index=True, help_text="An HMAC of the user name typed.")
    address = models.CharField(max_length=64, db_index=True, help_text="The client's address.")
    at = models.DateTimeField(default=timezone.now, db_index=True)
