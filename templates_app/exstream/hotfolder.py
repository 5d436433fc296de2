"""Hot-folder transport for classic Exstream: rendition files and a JSON manifest in a directory.

It is Exstream's classic engine with Dynamic Content Import: placeholder variables take files from
`IMPORTDIRECTORY`, a licensed module that containerized deployments do not support. AFP and
Metacode print streams limit a reference name to 8 and 6 characters (`DYNAMICIMGNAMEMAP`), so each
manifest entry carries short names for them, stable for a name. Every file is written to a temporary
name beside it and renamed into place, so a reader never sees half a file; the manifest is
rewritten under a lock so concurrent workers do not lose each other's entries.
"""

import base64
import fcntl
import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.utils import timezone

MANIFEST = "manifest.json"


def write_atomically(path: Path, data: bytes) -> None:
    """Write then rename: the path holds either the old bytes or the new ones, never a part."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    with open(directory / ".manifest.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def file_name(name: str, extension: str) -> str:
    """Turn a resource name such as brand.logo.primary/any/print into a safe file name."""
    return re.sub(r"[^A-Za-z0-9._+-]", "__", name) + f".{extension}"


def short_name(name: str, length: int) -> str:
    """A stable reference name of `length` characters for print streams that allow no more: a
    letter, then the name's hash in base 32."""
    digest = base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()
    return "G" + digest[: length - 1]


def publish(
    *, directory: Path, name: str, data: bytes, extension: str, entry: dict[str, Any]
) -> str:
    """Place a rendition in the folder and record it in the manifest; return the file name."""
    directory.mkdir(parents=True, exist_ok=True)
    target = file_name(name, extension)
    write_atomically(directory / target, data)
    with _locked(directory):
        path = directory / MANIFEST
        manifest = json.loads(path.read_text()) if path.exists() else {"renditions": {}}
        manifest["renditions"][name] = {
            **entry,
            "file": target,
            "afp_name": short_name(name, 8),
            "metacode_name": short_name(name, 6),
        }
        manifest["updated_at"] = timezone.now().isoformat()
        write_atomically(path, json.dumps(manifest, indent=2, sort_keys=True).encode())
    return target
