"""An auditor filters usage, downloads CSV and XLSX, and opens a run's evidence pack."""

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from assets.models import Version
from tests.browser.test_login_flow import DEMO_PASSWORD, log_in, seed_demo
from usage.models import RunSource
from usage.reports import RunDigest, parse_header, parse_record
from usage.services import runs_ingest


def report_demo_run() -> None:
    """Report a run of the demo's insurance letter as Exstream's file import would."""
    from templates_app.models import Template

    logo = Version.objects.get(variant__asset__key="insurance.logo.primary", state="approved")
    header = parse_header(
        {
            "run_id": "BROWSER-1",
            "template": "INSURANCE-POLICY-LETTER",
            "started_at": "2026-11-03T06:00:00+00:00",
            "finished_at": "2026-11-03T07:00:00+00:00",
        }
    )
    records = [
        parse_record(
            {
                "version": logo.pk,
                "channel": "print",
                "region": region,
                "documents": n,
                "pages": n,
                "impressions": n,
            }
        )
        for region, n in (("DE", 1200), ("AT", 300))
    ]
    digest = RunDigest(header)
    for record in records:
        digest.add(record)
    runs_ingest(
        digests=[digest],
        records=lambda: (("BROWSER-1", record) for record in records),
        source=RunSource.FILE,
        actor=None,
        templates=Template.objects.all(),
    )


def test_an_auditor_filters_downloads_and_opens_the_evidence(page: Any, tmp_path: Path) -> None:
    seed_demo()
    report_demo_run()
    log_in(page, "audrey", DEMO_PASSWORD)
    page.get_by_role("link", name="Usage", exact=True).click()
    page.get_by_label("Region").fill("DE")
    page.get_by_label("Group by").select_option("region")
    page.get_by_role("button", name="Show").click()
    grouped = page.get_by_role("table", name="Grouped by region").locator("tbody tr")
    expect(grouped).to_have_count(1)
    expect(grouped.filter(has_text="1200")).to_have_count(1)
    expect(page.get_by_role("img", name="Top assets by documents")).to_be_visible()
    page.get_by_text("Top assets by documents as a table").click()
    numbers = page.get_by_role("table", name="Top assets by documents")
    expect(numbers.get_by_role("cell", name="1200")).to_be_visible()

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text())))
    assert [(r["run"], r["region"], r["documents"]) for r in rows] == [("BROWSER-1", "DE", "1200")]

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Download XLSX").click()
    sheet = load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes())).active
    cells = [row for row in sheet.iter_rows(values_only=True)]
    assert cells[1][1] == "BROWSER-1" and cells[1][14] == 1200
    assert cells[0][6:8] == ("version_id", "version_number") and cells[1][7] == 1

    page.get_by_role("link", name="Exceptions").first.click()
    page.get_by_role("link", name="BROWSER-1").first.click()
    expect(page.get_by_role("heading", name="Run BROWSER-1")).to_be_visible()
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Evidence pack (PDF)").click()
    text = "".join(p.extract_text() for p in PdfReader(pdf_download.value.path()).pages)
    assert "run BROWSER-1" in text and "uncleared_run" in text
    assert "Generated" in text and "by audrey" in text
    page.reload()
    digest = hashlib.sha256(Path(pdf_download.value.path()).read_bytes()).hexdigest()
    expect(
        page.get_by_role("cell", name=digest), message="the pack's sha256 on its page"
    ).to_be_visible()
    assert page.csp_violations == []
