"""System checks: setup problems are named at startup, one line each, not discovered as failed
deliveries; /healthz reports the same problems while running."""

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

BROKER_TIMEOUT_SECONDS = 2.0


def icc_profile_problem() -> str:
    """Say what is wrong with the CMYK output profile, or return an empty string."""
    path = settings.RENDITION_CMYK_ICC
    if not path.is_file():
        return (
            f"The CMYK output profile {path} is missing: install Debian's libgs-common "
            "(make does it as root) or point RENDITION_CMYK_ICC at an ICC profile."
        )
    return ""


def broker_problem() -> str:
    """Say why the Redis broker (Q_BROKER_URL) cannot be reached; the ORM broker is the
    database, reported on its own."""
    if not settings.Q_BROKER_URL:
        return ""
    import redis

    try:
        client = redis.Redis.from_url(
            settings.Q_BROKER_URL,
            socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
            socket_timeout=BROKER_TIMEOUT_SECONDS,
        )
        client.ping()
    except (redis.RedisError, OSError) as error:
        return f"The task broker Q_BROKER_URL cannot be reached: {error}."
    return ""


def storage_problem() -> str:
    """Say why stored content cannot be written: MEDIA_ROOT for local files, the bucket for S3."""
    if settings.MEDIA_STORAGE == "s3":
        return _bucket_problem()
    return _folder_problem(Path(settings.MEDIA_ROOT))


def _folder_problem(root: Path) -> str:
    existing = next((path for path in (root, *root.parents) if path.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return f"MEDIA_ROOT {root} cannot be written: make it a folder this user may write to."
    return ""


def _bucket_problem() -> str:
    from django.core.files.storage import default_storage

    try:
        default_storage.exists(".govern-probe")  # one HEAD request: reachable and allowed
    except Exception as error:  # noqa: BLE001 - boto3 raises many kinds; each is the problem
        bucket = getattr(default_storage, "bucket_name", "")
        return f"The S3 bucket {bucket} cannot be reached: {error}."
    return ""


@register()
def check_icc_profile(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problem = icc_profile_problem()
    return [Error(problem, id="govern.E001")] if problem else []


@register()
def check_broker(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problem = broker_problem()
    return [Error(problem, id="govern.E002")] if problem else []


@register()
def check_storage(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problem = storage_problem()
    return [Error(problem, id="govern.E003")] if problem else []
