"""Content-addressed storage of version files: the name is the sha256 of the bytes."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from assets.uploads import Content


def content_name(content: Content) -> str:
    digest = content.sha256
    return f"content/{digest[:2]}/{digest}.{content.extension}"


def store_content(content: Content) -> str:
    """Store the bytes once under their hash and return the storage name."""
    name = content_name(content)
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(content.data))
        if saved != name:  # a concurrent writer stored the same bytes first
            default_storage.delete(saved)
    return name


def read_content(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        return stored.read()
