"""Usage files: CSV, JSON lines and Experience Insights events, refused whole on any bad line."""

import csv
import io
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assets.models import Version
from templates_app.models import Template
from tests.usage.conftest import RUN_END, RUN_START
from usage import inbox
from usage.importer import FileRefused, import_file
from usage.models import ProductionRun, UsageException, UsageRecord

COLUMNS = [
    *("run_id", "template", "started_at", "finished_at", "clearance", "version", "sha256"),
    *("channel", "region", "language", "segment", "documents", "pages", "impressions"),
]


def line(version: Version, **overrides: Any) -> dict[str, Any]:
    row = {
        "run_id": "F1",
        "template": "EX-LETTER",
        "started_at": RUN_START.isoformat(),
        "finished_at": RUN_END.isoformat(),
        "clearance": "",
        "version": version.pk,
        "sha256": "",
        "channel": "print",
        "region": "DE",
        "language": "de",
        "segment": "gold",
        "documents": 100,
        "pages": 200,
        "impressions": 100,
    }
    row.update(overrides)
    return row


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue())
    return path


def test_a_csv_file_of_two_runs_is_stored_and_reconciled(
    approved_logo: Version, letter: Template, tmp_path: Path
) -> None:
    rows = [
        line(approved_logo),
        line(approved_logo, region="AT"),
        line(approved_logo, run_id="F2", documents=5),
    ]
    result = import_file(write_csv(tmp_path / "usage.csv", rows), "csv")
    assert (result.runs_created, result.records) == (2, 3)
    assert ProductionRun.objects.get(run_id="F1").documents == 200
    assert set(ProductionRun.objects.values_list("source", "file_name")) == {("file", "usage.csv")}
    assert UsageException.objects.filter(code="uncleared_run").count() == 2
    again = import_file(write_csv(tmp_path / "usage.csv", rows), "csv")
    assert (again.runs_created, again.runs_unchanged) == (0, 2)
    assert UsageRecord.objects.count() == 3


def test_a_file_with_bad_lines_is_refused_whole_naming_each_line_and_field(
    approved_logo: Version, letter: Template, tmp_path: Path
) -> None:
    rows = [
        line(approved_logo),
        line(approved_logo, documents=-3, region="AT"),
        line(approved_logo, channel="fax", region="CH"),
        line(approved_logo, region="FR", started_at="2026-11-03T05:00:00+00:00"),
    ]
    with pytest.raises(FileRefused) as refused:
        import_file(write_csv(tmp_path / "usage.csv", rows), "csv")
    assert refused.value.problems == [
        "line 3: documents: must be between 0 and 1000000000000",
        "line 4: channel: must be one of print, email, web, mobile",
        "line 5: run F1: the run's fields differ from line 2",
    ]
    assert not ProductionRun.objects.exists()


def test_at_most_a_hundred_problems_are_listed(
    approved_logo: Version, letter: Template, tmp_path: Path
) -> None:
    rows = [line(approved_logo, segment=str(n), documents="x") for n in range(150)]
    with pytest.raises(FileRefused) as refused:
        import_file(write_csv(tmp_path / "usage.csv", rows), "csv")
    assert len(refused.value.problems) == 101
    assert refused.value.problems[-1] == "... and 50 more problems"


def test_an_unknown_column_or_a_ragged_row_is_refused(
    approved_logo: Version, letter: Template, tmp_path: Path
) -> None:
    path = tmp_path / "usage.csv"
    path.write_text("run_id,template,colour\nF1,EX-LETTER,red\n")
    with pytest.raises(FileRefused, match="unknown column"):
        import_file(path, "csv")
    write_csv(path, [line(approved_logo)])
    path.write_text(path.read_text() + "F9,EX-LETTER,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o\n")
    with pytest.raises(FileRefused, match="more cells than columns"):
        import_file(path, "csv")


def test_json_lines_are_read_like_the_csv(
    approved_logo: Version, letter: Template, tmp_path: Path
) -> None:
    path = tmp_path / "usage.jsonl"
    rows = [line(approved_logo, clearance=None), line(approved_logo, clearance=None, region="AT")]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n\n")
    assert import_file(path, "jsonl").records == 2
    path.write_text('{"run_id": "F3"\n[1]\n')
    with pytest.raises(FileRefused) as refused:
        import_file(path, "jsonl")
    assert refused.value.problems == ["line 1: is not valid JSON", "line 2: is not a JSON object"]


def test_a_file_that_is_not_utf8_or_too_large_is_refused(
    approved_logo: Version, letter: Template, tmp_path: Path, settings: Any
) -> None:
    path = tmp_path / "usage.csv"
    path.write_bytes(b"run_id,template\n\xff\xfe,\n")
    with pytest.raises(FileRefused, match="UTF-8"):
        import_file(path, "csv")
    settings.USAGE_MAX_BYTES = 10
    write_csv(path, [line(approved_logo)])
    with pytest.raises(FileRefused) as refused:
        import_file(path, "csv")
    assert refused.value.status == 413


def xi_event(version: Version, number: int, **user: Any) -> dict[str, Any]:
    return {
        "expctr": {
            "tenant": "acme",
            "schemaSource": "exstream",
            "schemaType": user.pop("schema", "Exstream-Generated"),
            "eventId": f"e-{number}",
            "eventDate": "2026-11-03T06:10:00Z",
        },
        "exstreamJob": {
            "campaignId": "",
            "communicationId": "EX-LETTER",
            "contentType": "application/pdf",
            "creationTime": RUN_START.isoformat(),
            "domain": "prod",
            "status": "ok",
        },
        "user": {"govern_versions": [version.pk], "region": "DE", "language": "de", **user},
    }


def test_experience_insights_events_are_summed_per_run_and_context(
    approved_logo: Version, letter: Template, tmp_path: Path
) -> None:
    events = [xi_event(approved_logo, n, pages=2) for n in range(3)]
    events.append(xi_event(approved_logo, 9, region="AT"))
    events.append(xi_event(approved_logo, 10, schema="Exstream-Email-OPEN"))
    path = tmp_path / "events.xi.jsonl"
    path.write_text("\n".join(json.dumps(event) for event in events))
    result = import_file(path, "xi")
    assert (result.runs_created, result.records, result.skipped_events) == (1, 2, 1)
    run = ProductionRun.objects.get()
    assert run.run_id == f"xi:acme:EX-LETTER:{RUN_START.isoformat()}"
    assert run.finished_at.isoformat() == "2026-11-03T06:10:00+00:00"
    german = UsageRecord.objects.get(region="DE")
    assert (german.channel, german.documents, german.pages, german.impressions) == (
        "print",
        3,
        6,
        3,
    )


def test_an_event_without_versions_is_a_bad_line(
    approved_logo: Version, letter: Template, tmp_path: Path
) -> None:
    event = xi_event(approved_logo, 1)
    del event["user"]["govern_versions"]
    path = tmp_path / "events.xi.jsonl"
    path.write_text(json.dumps(event))
    with pytest.raises(FileRefused) as refused:
        import_file(path, "xi")
    assert refused.value.problems == [
        "line 1: user.govern_versions: must name the asset versions of the document"
    ]


def test_the_command_prints_each_problem_and_exits_non_zero(
    approved_logo: Version, letter: Template, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "usage.csv", [line(approved_logo, pages="lots")])
    errors = io.StringIO()
    with pytest.raises(CommandError, match="nothing was stored"):
        call_command("usage_import", str(path), stdout=io.StringIO(), stderr=errors)
    assert "line 2: pages: must be a whole number" in errors.getvalue()
    out = io.StringIO()
    call_command("usage_import", str(write_csv(path, [line(approved_logo)])), stdout=out)
    assert "1 run(s) stored with 1 records" in out.getvalue()


@pytest.fixture
def drop(settings: Any, tmp_path: Path) -> Path:
    settings.USAGE_INBOX = tmp_path / "inbox"
    settings.USAGE_INBOX.mkdir()
    return Path(settings.USAGE_INBOX)


def test_the_inbox_moves_good_files_to_done_and_bad_ones_to_rejected_with_a_report(
    approved_logo: Version, letter: Template, drop: Path
) -> None:
    write_csv(drop / "good.csv", [line(approved_logo)])
    write_csv(drop / "bad.csv", [line(approved_logo, run_id="F2", channel="fax")])
    (drop / "half.csv.part").write_text("run_id\n")
    assert inbox.inbox_import() == {"done": 1, "rejected": 1}
    assert (drop / "done" / "good.csv").is_file()
    report = json.loads((drop / "rejected" / "bad.csv.report.json").read_text())
    assert report["problems"] == ["line 2: channel: must be one of print, email, web, mobile"]
    assert (drop / "half.csv.part").is_file()
    assert list(ProductionRun.objects.values_list("run_id", flat=True)) == ["F1"]


def test_a_file_claimed_by_a_worker_that_died_is_imported_again(
    approved_logo: Version, letter: Template, drop: Path
) -> None:
    processing = drop / "processing"
    processing.mkdir()
    stale = write_csv(processing / "orphan.csv", [line(approved_logo)])
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    fresh = write_csv(processing / "busy.csv", [line(approved_logo, run_id="F2")])
    assert inbox.inbox_import() == {"done": 1, "rejected": 0}
    assert (drop / "done" / "orphan.csv").is_file()
    assert fresh.is_file()


def test_a_file_changed_between_the_two_readings_stores_nothing(
    approved_logo: Version, letter: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from usage import importer, staging

    monkeypatch.setattr(staging, "supported", lambda: False)  # read twice only line by line
    path = write_csv(tmp_path / "usage.csv", [line(approved_logo)])
    real = importer._first_pass

    def then_change(*args: Any) -> Any:
        digests = real(*args)
        write_csv(path, [line(approved_logo, documents=5)])
        return digests

    monkeypatch.setattr(importer, "_first_pass", then_change)
    with pytest.raises(FileRefused, match="changed while it was read"):
        import_file(path, "csv")
    assert not ProductionRun.objects.exists() and not UsageRecord.objects.exists()


def test_a_csv_the_csv_module_cannot_read_is_refused_not_a_crash(
    approved_logo: Version, letter: Template, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "usage.csv", [line(approved_logo)])
    path.write_text(path.read_text() + 'F2,EX-LETTER,"' + "x" * 200_000 + '"\n')
    with pytest.raises(FileRefused, match="not readable CSV"):
        import_file(path, "csv")
    assert not ProductionRun.objects.exists()


def test_an_unknown_template_or_a_changed_run_refuses_the_file_into_rejected(
    approved_logo: Version, letter: Template, drop: Path
) -> None:
    write_csv(drop / "a.csv", [line(approved_logo, template="EX-NOPE")])
    write_csv(drop / "b.csv", [line(approved_logo)])
    assert inbox.inbox_import() == {"done": 1, "rejected": 1}
    report = json.loads((drop / "rejected" / "a.csv.report.json").read_text())
    assert report["problems"] == ["line 0: No template EX-NOPE is registered."]
    write_csv(drop / "c.csv", [line(approved_logo, documents=1)])  # F1 again, other counts
    assert inbox.inbox_import() == {"done": 0, "rejected": 1}
    report = json.loads((drop / "rejected" / "c.csv.report.json").read_text())
    assert report["status"] == 409 and "reported before with other content" in report["problems"][0]
    assert list(ProductionRun.objects.values_list("run_id", flat=True)) == ["F1"]
