"""The audit table's append-only triggers: restored by every migrate, reported when missing."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, connections

from audit import triggers

# Set while `migrate` runs its checks: it restores the triggers, so their absence must not stop it.
_restoring: ContextVar[bool] = ContextVar("restoring_audit_triggers", default=False)


@contextmanager
def restoring() -> Iterator[None]:
    token = _restoring.set(True)
    try:
        yield
    finally:
        _restoring.reset(token)


def _has_table(alias: str) -> bool:
    return triggers.TABLE in connections[alias].introspection.table_names()


def restore(using: str, **kwargs: Any) -> None:
    """post_migrate: put the triggers back wherever the audit table exists."""
    if _has_table(using):
        triggers.install(connections[using])


@register(Tags.database)
def check_audit_triggers(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[Error]:
    if _restoring.get():
        return []
    errors = []
    for alias in databases or []:
        try:
            absent = triggers.missing(connections[alias]) if _has_table(alias) else []
        except DatabaseError:
            continue  # an unreachable database is reported by Django's own checks
        if absent:
            errors.append(
                Error(
                    f"The audit log's append-only trigger(s) {', '.join(absent)} are missing or "
                    f"disabled in database {alias!r}: anyone with the app's role can rewrite it.",
                    hint="Run `manage.py migrate` (it restores them), then `audit_verify`.",
                    id="audit.E001",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_checkpoints_configured(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if settings.AUDIT_CHECKPOINT_DIR and settings.AUDIT_CHECKPOINT_KEY:
        return []
    return [
        Warning(
            "The audit chain has no signed checkpoints outside the database: its last rows "
            "could be deleted, or the whole chain rewritten, without audit_verify noticing.",
            hint="Set AUDIT_CHECKPOINT_DIR and AUDIT_CHECKPOINT_KEY (audit_checkpoint --new-key).",
            id="audit.W001",
        )
    ]
