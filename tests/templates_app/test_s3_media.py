"""With MEDIA_STORAGE=s3, versions, renditions and exports live in the bucket, not on disk."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from assets.models import Asset, Version
from assets.renditions import rendition_for
from assets.storage import read_content
from tests.s3 import object_names


def test_versions_and_renditions_are_stored_in_the_bucket(
    s3_media: str,
    s3_endpoint: str,
    logo: Asset,
    add_version: Callable[..., Version],
    media_root: Path,
) -> None:
    version = add_version(logo)
    rendition = rendition_for(version, "web")
    stored = object_names(s3_endpoint, s3_media)
    assert version.file in stored and rendition.file in stored
    assert read_content(version.file)[:8] == b"\x89PNG\r\n\x1a\n"
    assert read_content(rendition.file)[:4] == b"RIFF"  # WebP
    assert not any(media_root.rglob("*.png")) and not any(media_root.rglob("*.webp"))


def test_the_same_bytes_are_stored_once(
    s3_media: str,
    s3_endpoint: str,
    logo: Asset,
    add_version: Callable[..., Version],
    brand_manager: Any,
) -> None:
    from assets.storage import store_content
    from assets.uploads import inspect_bytes
    from tests import images

    content = inspect_bytes(images.png(64, 64))
    assert store_content(content) == store_content(content)
    assert (
        len([name for name in object_names(s3_endpoint, s3_media) if content.sha256 in name]) == 1
    )


def test_an_unreachable_bucket_is_named_by_the_check(s3_media: str, settings: Any) -> None:
    from govern.checks import storage_problem
    from tests.sandboxes.runner import free_port

    settings.MEDIA_STORAGE = "s3"
    assert storage_problem() == ""
    default = settings.STORAGES["default"]
    closed = f"http://127.0.0.1:{free_port()}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default["OPTIONS"], "endpoint_url": closed}},
    }
    assert storage_problem().startswith(f"The S3 bucket {s3_media} cannot be reached")
