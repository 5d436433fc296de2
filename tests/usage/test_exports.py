"""Usage exports: what was filtered, parsed back whole, formulas defused, each one audited."""

import csv
import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from assets.models import Version
from audit.cells import safe_cell, unescape_cell
from audit.models import AuditEvent
from govern.exports import csv_lines
from templates_app.models import Template
from tests.usage.conftest import RUN_START, report
from usage.exports import RECORD_HEADER, copied_csv, record_rows
from usage.models import UsageRecord

URL = "/api/v1/usage/records/export"


def download(client: Client, query: str = "") -> tuple[bytes, list[dict[str, str]]]:
    response = client.get(f"{URL}?format=csv{query}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return data, list(csv.DictReader(io.StringIO(data.decode())))


def test_the_csv_holds_every_filtered_record_and_is_audited_with_its_hash(
    approved_logo: Version, letter: Template, auditor: Any, client_for: Any
) -> None:
    report("R1", [{"version": approved_logo.pk, "region": "DE", "documents": 7}])
    later = RUN_START + timedelta(days=1)
    report("R2", [{"version": approved_logo.pk, "region": "AT", "documents": 9}], started=later)
    data, rows = download(client_for(auditor), "&region=at")
    assert [(row["run"], row["region"], row["documents"]) for row in rows] == [("R2", "AT", "9")]
    assert (rows[0]["version_id"], rows[0]["version_number"]) == (str(approved_logo.pk), "1")
    assert rows[0]["asset"] == "brand.logo.primary"
    event = AuditEvent.objects.get(action="export.delivered")
    assert event.data["sha256"] == hashlib.sha256(data).hexdigest()
    assert event.data["filters"] == {"region": "AT"}
    assert event.data["kind"] == "usage_records"
    assert event.actor_name == "audrey"
    _data, everything = download(client_for(auditor))
    assert sorted(row["run"] for row in everything) == ["R1", "R2"]


def test_a_cell_that_would_run_as_a_formula_is_defused(
    approved_logo: Version, letter: Template, auditor: Any, client_for: Any
) -> None:
    report("R1", [{"version": approved_logo.pk, "segment": '=HYPERLINK("http://x")'}])
    _data, rows = download(client_for(auditor))
    assert rows[0]["segment"] == '\'=HYPERLINK("http://x")'


def test_safe_cells_round_trip() -> None:
    for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'quoted", "plain", ""]:
        escaped = safe_cell(text)
        assert not str(escaped).startswith(("=", "+", "-", "@", "\t", "\r"))
        assert unescape_cell(str(escaped)) == text
    assert safe_cell(42) == 42


def test_a_bad_filter_or_format_is_a_400(auditor: Any, client_for: Any) -> None:
    client = client_for(auditor)
    assert client.get(f"{URL}?format=csv&since=yesterday").status_code == 400
    assert client.get(f"{URL}?format=pdf").status_code == 400
    assert not AuditEvent.objects.filter(action="export.delivered").exists()


def test_others_may_not_export(
    approved_logo: Version, letter: Template, designer: Any, outsider: Any, client_for: Any
) -> None:
    report("R1", [{"version": approved_logo.pk}])
    assert client_for(designer).get(f"{URL}?format=csv").status_code == 403
    _data, rows = download(client_for(outsider))
    assert rows == []


def test_the_records_api_gives_the_version_number_beside_its_id(
    approved_logo: Version, letter: Template, auditor: Any, client_for: Any
) -> None:
    report("R1", [{"version": approved_logo.pk}, {"version": 424_242}])
    response = client_for(auditor).get("/api/v1/usage/records/")
    records = {row["reported"]: row for row in response.json()["results"]}
    known = records[f"version:{approved_logo.pk}"]
    assert (known["version"], known["version_number"]) == (approved_logo.pk, 1)
    assert records["version:424242"]["version_number"] is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_the_csv_postgresql_copies_is_byte_for_byte_what_the_csv_module_writes(
    approved_logo: Version, letter: Template
) -> None:
    cells = ['=HYPERLINK("x")', "-1", "@a", "'quoted", 'a, "b"', "Zürich", "", "+", "plain"]
    lines = [{"version": approved_logo.pk, "segment": cell} for cell in cells]
    lines.append({"sha256": "ab" * 32, "region": "", "language": ""})
    report("=R1", lines, started=RUN_START + timedelta(microseconds=120))
    report("R2", [{"version": approved_logo.pk, "language": "de-CH"}])
    records = UsageRecord.objects.order_by("pk")
    written = "".join(csv_lines(RECORD_HEADER, record_rows(records))).encode()
    assert b"".join(copied_csv(records)) == written
    assert written.count(b"\r\n") == 1 + len(lines) + 1
    narrowed = records.filter(run__run_id="R2")
    assert (
        b"".join(copied_csv(narrowed))
        == "".join(csv_lines(RECORD_HEADER, record_rows(narrowed))).encode()
    )
