"""The drop folder Exstream writes usage files into, worked through by a schedule.

A file is claimed by renaming it into processing/ (one worker wins), imported in one
transaction, then moved to done/, or to rejected/ with a `.report.json` beside it. A claim older
than CLAIM_SECONDS belongs to a worker that died: it goes back to the folder and is imported
again (runs are idempotent, and nothing of an interrupted import was committed). Writers drop
files whole: names starting with "." or ending in ".part" are left alone until renamed.
"""

import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from usage.importer import FileRefused, import_file

CLAIM_SECONDS = 30 * 60
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".xi": "xi"}


def format_of(path: Path) -> str | None:
    """Name a file's format from its name: *.csv, *.jsonl, *.xi.jsonl (Experience Insights)."""
    if path.name.endswith(".xi.jsonl") or path.name.endswith(".xi.json"):
        return "xi"
    return SUFFIXES.get(path.suffix)


def _folder(name: str) -> Path:
    folder = Path(settings.USAGE_INBOX) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _waiting(inbox: Path) -> list[Path]:
    return sorted(
        path
        for path in inbox.iterdir()
        if path.is_file() and not path.name.startswith(".") and not path.name.endswith(".part")
    )


def _reclaim_stale(inbox: Path) -> None:
    for path in _folder("processing").iterdir():
        if time.time() - path.stat().st_mtime > CLAIM_SECONDS:
            os.replace(path, inbox / path.name)


def _claim(path: Path) -> Path | None:
    claimed = _folder("processing") / path.name
    try:
        os.replace(path, claimed)  # another worker that got there first leaves nothing here
    except FileNotFoundError:
        return None
    os.utime(claimed)
    return claimed


def inbox_import() -> dict[str, int]:
    """Import every waiting file once; return how many were done and rejected."""
    inbox = Path(settings.USAGE_INBOX)
    inbox.mkdir(parents=True, exist_ok=True)
    _reclaim_stale(inbox)
    outcome = {"done": 0, "rejected": 0}
    for path in _waiting(inbox):
        claimed = _claim(path)
        if claimed is not None:
            outcome[_process(claimed)] += 1
    return outcome


def _process(path: Path) -> str:
    file_format = format_of(path)
    try:
        if file_format is None:
            raise FileRefused(
                [f"line 0: unknown file type {path.name}; use .csv, .jsonl, .xi.jsonl"]
            )
        result = import_file(path, file_format)
    except FileRefused as refused:
        _move(
            path,
            "rejected",
            {"refused": True, "status": refused.status, "problems": refused.problems},
        )
        return "rejected"
    _move(path, "done", {"refused": False, **asdict(result)})
    return "done"


def _move(path: Path, folder: str, report: dict[str, Any]) -> None:
    target = _folder(folder) / path.name
    if target.exists():
        target = target.with_name(f"{timezone.now():%Y%m%dT%H%M%S}-{path.name}")
    os.replace(path, target)
    report_path = target.with_name(f"{target.name}.report.json")
    report_path.write_text(json.dumps({"file": path.name, **report}, indent=2))
