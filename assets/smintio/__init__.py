"""Smint.io, the licensed-content library: its client, the pull of purchases and their terms,
the push listener and the signed hook, vocabularies, and the connection's pages.

May import assets' own modules, audit and govern; nothing of templates_app, usage or console.
"""

from assets.smintio.client import SmintioClient, SmintioError
from assets.smintio.connection import reset_client
from assets.smintio.services import (
    smintio_authorization_lost,
    smintio_authorize,
    vocabulary_map,
)
from assets.smintio.sync import SyncReport, quarantine_dismiss, quarantine_retry, smintio_sync

__all__ = [
    "SmintioClient",
    "SmintioError",
    "SyncReport",
    "quarantine_dismiss",
    "quarantine_retry",
    "reset_client",
    "smintio_authorization_lost",
    "smintio_authorize",
    "smintio_sync",
    "vocabulary_map",
]
