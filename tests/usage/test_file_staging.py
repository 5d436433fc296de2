"""Usage CSV on PostgreSQL goes through COPY and set-based checks; it must behave exactly as the
line-by-line reader (SQLite's path, and PostgreSQL's for files in doubt)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from assets.models import Version
from templates_app.models import Template
from tests.usage.test_file_import import COLUMNS, line, write_csv
from usage import staging
from usage.importer import FileRefused, import_file
from usage.models import ProductionRun, UsageRecord
from usage.reports import RunDigest, parse_header, parse_record

ON_POSTGRES = connection.vendor == "postgresql"
RECORD = (
    *("reported", "asset_id", "version_id", "sha256", "channel", "region", "language"),
    *("segment", "documents", "pages", "impressions", "started_at", "template_id"),
)


@pytest.fixture(params=["staged", "lines"])
def path_taken(request: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test once as PostgreSQL ingests a good file, once line by line."""
    if request.param == "staged" and not staging.supported():
        pytest.skip("COPY staging is PostgreSQL's")
    if request.param == "lines":
        monkeypatch.setattr(staging, "supported", lambda: False)
    yield request.param


def records() -> list[tuple[Any, ...]]:
    return sorted(UsageRecord.objects.values_list(*RECORD), key=str)


def mixed_rows(version: Version) -> list[dict[str, Any]]:
    """Lines naming a version, a delivered sha256, an unknown one and content of another kind."""
    return [
        line(version),
        line(version, region="AT", segment="Zürich", documents=7, pages=0),
        line(version, region="", language="", segment="", documents=0),
        line(version, sha256="ab" * 32, region="FR"),
        {
            **line(version, region="CH", channel="EMAIL"),
            "version": "",
            "sha256": version.sha256.upper(),
        },
        line(version, run_id="F2", channel="web", impressions=10**12),
    ]


def test_a_good_file_is_stored_the_same_whichever_path_reads_it(
    approved_logo: Version, letter: Template, tmp_path: Path, path_taken: str
) -> None:
    path = write_csv(tmp_path / "usage.csv", mixed_rows(approved_logo))
    result = import_file(path, "csv")
    assert (result.path, result.runs_created, result.records) == (path_taken, 2, 6)
    assert records() == EXPECTED_RECORDS(approved_logo, letter)
    assert ProductionRun.objects.get(run_id="F1").documents == 100 + 7 + 0 + 100 + 100


def EXPECTED_RECORDS(version: Version, letter: Template) -> list[tuple[Any, ...]]:  # noqa: N802
    asset, started = version.variant.asset_id, ProductionRun.objects.get(run_id="F1").started_at
    shared = (started, letter.pk)
    return sorted(
        [
            (f"version:{version.pk}", asset, version.pk, version.sha256, "print", "DE", "de",
             "gold", 100, 200, 100, *shared),
            (f"version:{version.pk}", asset, version.pk, version.sha256, "print", "AT", "de",
             "Zürich", 7, 0, 100, *shared),
            (f"version:{version.pk}", asset, version.pk, version.sha256, "print", "", "", "",
             0, 200, 100, *shared),
            # a sha256 Govern never delivered for the version: it vouches for nothing
            (f"version:{version.pk}", None, None, "ab" * 32, "print", "FR", "de", "gold",
             100, 200, 100, *shared),
            (f"sha256:{version.sha256}", None, None, version.sha256, "email", "CH", "de",
             "gold", 100, 200, 100, *shared),
            (f"version:{version.pk}", asset, version.pk, version.sha256, "web", "DE", "de",
             "gold", 100, 200, 10**12, *shared),
        ],
        key=str,
    )  # fmt: skip


def test_the_content_hash_sql_sums_is_the_one_python_computes(
    approved_logo: Version, letter: Template, tmp_path: Path, path_taken: str
) -> None:
    rows = mixed_rows(approved_logo)
    import_file(write_csv(tmp_path / "usage.csv", rows), "csv")
    for run in ProductionRun.objects.all():
        digest = None
        for row in rows:
            if row["run_id"] != run.run_id:
                continue
            digest = digest or RunDigest(parse_header({k: row[k] for k in COLUMNS[:5]}))
            digest.add(parse_record({k: row[k] for k in COLUMNS[5:]}))
        assert digest is not None and run.content_hash == digest.content_hash()


def test_a_file_stored_by_one_path_is_recognised_as_unchanged_by_the_other(
    approved_logo: Version, letter: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "usage.csv", mixed_rows(approved_logo))
    import_file(path, "csv")
    monkeypatch.setattr(staging, "supported", lambda: False)
    again = import_file(path, "csv")
    assert (again.runs_created, again.runs_unchanged, again.path) == (0, 2, "lines")
    changed = mixed_rows(approved_logo)
    changed[0]["segment"], changed[1]["segment"] = "Zürich", "gold"  # counts swap contexts
    with pytest.raises(FileRefused, match="reported before with other content"):
        import_file(write_csv(path, changed), "csv")


@pytest.mark.skipif(not ON_POSTGRES, reason="COPY staging is PostgreSQL's")
@pytest.mark.parametrize(
    "documents", ["+5", " 5", "05", "5 "], ids=["sign", "leading", "zero", "trailing"]
)
def test_a_count_in_another_form_is_read_line_by_line_and_stored(
    approved_logo: Version, letter: Template, tmp_path: Path, documents: str
) -> None:
    result = import_file(
        write_csv(tmp_path / "usage.csv", [line(approved_logo, documents=documents)]), "csv"
    )
    assert (result.path, UsageRecord.objects.get().documents) == ("lines", 5)


def test_two_lines_of_one_context_are_refused_whole(
    approved_logo: Version, letter: Template, tmp_path: Path, path_taken: str
) -> None:
    rows = [line(approved_logo), line(approved_logo, run_id="F2"), line(approved_logo)]
    with pytest.raises(FileRefused, match="report each combination once"):
        import_file(write_csv(tmp_path / "usage.csv", rows), "csv")
    assert not ProductionRun.objects.exists() and not UsageRecord.objects.exists()


def hostile(tmp_path: Path, name: str, version: Version) -> Path:
    """Write one file that is not what it claims to be."""
    path = write_csv(tmp_path / "usage.csv", [line(version), line(version, region="AT")])
    good = path.read_bytes()
    first, rest = good.split(b"\n", 1)
    body = {
        "binary": lambda: good + b"\x89PNG\r\n\x1a\n" + bytes(range(128, 256)),
        "latin-1": lambda: good + "F2,EX-LETTER,Zürich\n".encode("latin-1"),
        "nul": lambda: good.replace(b"gold", b"go\x00ld", 1),
        "megabyte line": lambda: good + b"F2,EX-LETTER," + b"x" * 1_000_000 + b"\n",
        "wide row": lambda: good + b"F2" + b",1" * 100_000 + b"\n",
        "wide header": lambda: b",".join(b"c%d" % n for n in range(100_000)) + b"\n" + rest,
        "year one": lambda: good.replace(b"2026-11-03T06", b"0001-11-03T06"),
        "control": lambda: good.replace(b"gold", b"go\x07ld", 1),
        "short row": lambda: good + b"F2,EX-LETTER\n",
        "negative": lambda: good.replace(b",100,200,100", b",-3,200,100", 1),
        "too many": lambda: good.replace(b",100,200,100", b",1000000000001,200,100", 1),
        "header only": lambda: first + b"\n",
    }[name]()
    path.write_bytes(body)
    return path


HOSTILE = {
    "binary": "line 4: is not UTF-8 text (invalid start byte at byte ",
    "latin-1": "line 4: is not UTF-8 text (invalid start byte at byte ",
    "nul": "line 2: segment: contains control or unprintable characters",
    "megabyte line": "line 4: is not readable CSV (field larger than field limit (131072))",
    "wide row": "line 4: more cells than columns",
    "wide header": "line 1: unknown column(s) c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 99,990 "
    "more",
    "year one": "line 2: started_at: must be between the years 2000 and 2999",
    "control": "line 2: segment: contains control or unprintable characters",
    "short row": "line 4: started_at: must be an ISO 8601 date and time",
    "negative": "line 2: documents: must be between 0 and 1000000000000",
    "too many": "line 2: documents: must be between 0 and 1000000000000",
    "header only": "line 0: the file holds no usage records",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_is_refused_naming_its_line_whichever_path_reads_it(
    approved_logo: Version, letter: Template, tmp_path: Path, path_taken: str, name: str
) -> None:
    with pytest.raises(FileRefused) as refused:
        import_file(hostile(tmp_path, name, approved_logo), "csv")
    assert refused.value.problems[0].startswith(HOSTILE[name])
    assert not ProductionRun.objects.exists() and not UsageRecord.objects.exists()
