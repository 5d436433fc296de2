"""What happened, provably: the append-only, hash-chained audit log."""

from typing import Any

from django.conf import settings
from django.db import models

from audit.chain import canonical_time, chain_hash

# In a set of unit ids, stands for the events that belong to no unit (installation-wide).
INSTALLATION = 0


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def visible_to(self, unit_ids: set[int]) -> "AuditEventQuerySet":
        """Return events of these units, and those of no unit when INSTALLATION is among them
        (only installation-wide auditors: staff, or view_installation_events)."""
        scope = models.Q(business_unit_id__in=set(unit_ids) - {INSTALLATION})
        if INSTALLATION in unit_ids:
            scope |= models.Q(business_unit_id__isnull=True)
        return self.filter(scope)


class AuditEvent(models.Model):
    # The chain index doubles as the primary key: allocated under the chain lock, never reused.
    sequence = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField(db_index=True)
    # No database constraint: rows are never updated, so they must not follow the user's row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    business_unit = models.ForeignKey(
        "govern.BusinessUnit",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        permissions = [
            ("view_installation_events", "Read the events that belong to no business unit")
        ]
        indexes = [
            models.Index(fields=["action", "created_at"]),
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["actor", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def payload(self) -> dict[str, Any]:
        """Return the fields the hash covers, in their canonical form."""
        return {
            "sequence": self.sequence,
            "created_at": canonical_time(self.created_at),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "business_unit_id": self.business_unit_id,
            "data": self.data,
        }

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.payload())


def audit_scope(user: object, unit_ids: set[int]) -> set[int]:
    """The unit ids whose events a reader sees, with INSTALLATION for an installation-wide
    auditor (staff, or the view_installation_events permission granted without a unit)."""
    wide = bool(getattr(user, "is_staff", False)) or bool(
        getattr(user, "has_perm", lambda _name: False)("audit.view_installation_events")
    )
    return set(unit_ids) | ({INSTALLATION} if wide else set())
