"""Scheduled work of the audit log."""

import logging

from django.conf import settings

from audit.services import audit_checkpoint

logger = logging.getLogger(__name__)


def write_checkpoint() -> str:
    """Append a signed checkpoint of the chain's head (nothing without AUDIT_CHECKPOINT_DIR)."""
    if not settings.AUDIT_CHECKPOINT_DIR:
        logger.warning("No audit checkpoint written: AUDIT_CHECKPOINT_DIR is not set.")
        return "not configured"
    point = audit_checkpoint()
    return f"checkpoint of {point.size} events at {point.time}"
