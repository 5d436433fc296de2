"""Worker tasks of the usage room: safe to run twice or at once."""

from usage.inbox import inbox_import


def import_usage_inbox() -> dict[str, int]:
    """Import the usage files waiting in USAGE_INBOX (every minute)."""
    return inbox_import()
