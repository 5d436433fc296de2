"""Worker tasks of the asset room: safe to run twice or at once."""

from assets.rights.licences import versions_expire
from assets.smintio import client as smintio
from assets.smintio.sync import smintio_sync


def smintio_sync_task() -> str:
    """Pull from Smint.io (the schedule runs this every 30 minutes; the hook queues it too)."""
    try:
        return smintio_sync().summary()
    except smintio.SmintioError as error:
        if error.retryable:
            raise
        return f"Smint.io sync stopped: {error.detail}"


def licences_expire() -> int:
    """Expire approved versions whose licence has ended (hourly)."""
    return versions_expire()
