"""The audit trail exported as CSV verifies offline, and any edit of the file is found."""

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from audit.models import AuditEvent
from audit.services import audit_record
from govern.services import installation_auditor_grant

URL = "/api/v1/audit-events/export?format=csv"


@pytest.fixture
def events(auditor: Any, unit: Any) -> None:
    for number in range(5):
        audit_record(action="test.event", unit_id=unit.pk, data={"n": number, "text": "=1+2"})


def export(client: Client, tmp_path: Path, query: str = "") -> Path:
    response = client.get(URL + query)
    assert response.status_code == 200
    path = tmp_path / "export.csv"
    path.write_bytes(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    return path


def verify(path: Path, *extra: str) -> str:
    out = io.StringIO()
    call_command("audit_verify", "--file", str(path), *extra, stdout=out)
    return out.getvalue()


def test_a_full_export_verifies_from_the_start_of_the_chain(
    events: None, auditor: Any, client_for: Any, tmp_path: Path
) -> None:
    installation_auditor_grant(user=auditor, actor=None)  # the chain includes unit-less events
    path = export(client_for(auditor), tmp_path)
    head = AuditEvent.objects.order_by("-sequence").values_list("hash", flat=True)[1]
    text = verify(path, "--head", head)
    assert "from the start of the chain" in text and "0 gap(s)" in text
    exported = AuditEvent.objects.get(action="export.delivered")
    assert exported.data["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_filtered_export_verifies_row_by_row(
    events: None, auditor: Any, client_for: Any, tmp_path: Path
) -> None:
    path = export(client_for(auditor), tmp_path, "&action=test.")
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 5 and rows[0]["data"].startswith("{")
    assert "5 rows" in verify(path)


def rewrite(path: Path, change: Any) -> None:
    """Apply change to the row of event n=2 and write the file back as a forger would."""
    from audit.exports import HEADER

    rows = list(csv.DictReader(path.open()))
    target = next(row for row in rows if '"n":2' in row["data"])
    change(target)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, HEADER)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue())


def test_an_edited_cell_is_found(
    events: None, auditor: Any, client_for: Any, tmp_path: Path
) -> None:
    path = export(client_for(auditor), tmp_path)
    verify(path)
    rewrite(path, lambda row: row.update(data=row["data"].replace('"n":2', '"n":4')))
    with pytest.raises(CommandError, match="does not match its hash"):
        verify(path)


def test_a_removed_row_breaks_the_links_only_where_rows_are_consecutive(
    events: None, auditor: Any, client_for: Any, tmp_path: Path
) -> None:
    path = export(client_for(auditor), tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    del lines[3]
    path.write_text("".join(lines))
    text = verify(path)
    assert "1 gap(s)" in text


def test_a_row_rehashed_without_its_successor_does_not_link(
    events: None, auditor: Any, client_for: Any, tmp_path: Path
) -> None:
    from audit.chain import chain_hash
    from audit.exports import _payload

    def forge(row: dict[str, str]) -> None:
        row["data"] = row["data"].replace('"n":2', '"n":9')
        row["hash"] = chain_hash(row["prev_hash"], _payload(row))

    path = export(client_for(auditor), tmp_path)
    rewrite(path, forge)
    with pytest.raises(CommandError, match="does not link"):
        verify(path)


def test_a_head_other_than_the_one_kept_is_refused(
    events: None, auditor: Any, client_for: Any, tmp_path: Path
) -> None:
    path = export(client_for(auditor), tmp_path)
    with pytest.raises(CommandError, match="not at the head kept"):
        verify(path, "--head", "f" * 64)


def test_formula_cells_in_the_audit_export_are_defused_and_still_verify(
    events: None, auditor: Any, unit: Any, client_for: Any, tmp_path: Path
) -> None:
    audit_record(action="=cmd", unit_id=unit.pk, data={})
    path = export(client_for(auditor), tmp_path)
    rows = list(csv.DictReader(path.open()))
    assert [row["action"] for row in rows if "cmd" in row["action"]] == ["'=cmd"]
    assert "rows" in verify(path)


def test_only_auditors_export_the_trail(designer: Any, client_for: Any) -> None:
    assert client_for(designer).get(URL).status_code == 403


def test_a_file_that_is_no_csv_export_is_refused_without_a_traceback(
    events: None, auditor: Any, client_for: Any, tmp_path: Path
) -> None:
    path = export(client_for(auditor), tmp_path)
    rewrite(path, lambda row: row.update(prev_hash="ä" * 64))
    with pytest.raises(CommandError, match="unreadable row"):
        verify(path)
    path.write_bytes(b"sequence,created_at\n\x00\x00\n")
    with pytest.raises(CommandError, match="missing columns|not a readable CSV"):
        verify(path)
