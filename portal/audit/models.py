"""The audit trail: who did what to which case, when, and from which address.

An event names the case by its reference and the clinician by their account; it never holds
a patient's name, contact details, answers, advice text or images, so the trail can outlive
a deleted case and be shown to administrators who are not treating the patient.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Event(models.TextChoices):
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOGIN_LOCKED = "login_locked", "Sign-in locked after failures"
    LOGOUT = "logout", "Signed out"
    CASE_VIEWED = "case_viewed", "Viewed the case"
    ADVICE_GIVEN = "advice_given", "Signed off advice"
    ADVICE_AMENDED = "advice_amended", "Amended their advice"
    CASE_EXPORTED = "case_exported", "Exported the case"
    CASE_DELETED = "case_deleted", "Deleted the case (retention period over)"
    ADDED = "added", "Added in the admin"
    CHANGED = "changed", "Changed in the admin"
    DELETED = "deleted", "Deleted in the admin"


class AuditEvent(models.Model):
    event = models.CharField(max_length=20, choices=Event.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # PROTECT: an account with a history is deactivated, not deleted, so the trail keeps its "who".
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept as it was when the event happened.")
    case_reference = models.CharField(max_length=64, blank=True, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True, help_text="The connecting address.")
    forwarded_for = models.CharField(
        max_length=200, blank=True, help_text="X-Forwarded-For as received (set by the ingress; not verified)."
    )
    detail = models.JSONField(default=dict, blank=True, help_text="Ids and fixed words only, never free text.")

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.get_event_display()} by {self.username or 'unknown'} at {self.at:%Y-%m-%d %H:%M:%S}"
