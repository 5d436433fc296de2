"""The process's Smint.io client, on the connection's stored and rotating refresh token."""

from django.conf import settings

from assets.smintio.client import SmintioClient
from assets.smintio.services import DatabaseTokens

_client: SmintioClient | None = None


def client() -> SmintioClient:
    """Return the process's client (its access token is reused until it expires)."""
    global _client  # noqa: PLW0603 - one client per process
    if _client is None or _client.api_url != settings.SMINTIO_API_URL.rstrip("/"):
        _client = _make_client()
    return _client


def reset_client() -> None:
    """Forget the process's client (settings changed, in tests)."""
    global _client  # noqa: PLW0603
    _client = None


def _make_client() -> SmintioClient:
    return SmintioClient(
        api_url=settings.SMINTIO_API_URL,
        token_url=settings.SMINTIO_TOKEN_URL,
        client_id=settings.SMINTIO_CLIENT_ID,
        client_secret=settings.SMINTIO_CLIENT_SECRET,
        tokens=DatabaseTokens(),
    )
