"""The auditors' pages: usage report with charts, where used, licences, exceptions, evidence."""

import hashlib
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from assets.models import LicensePurchase, LicenseTerm, Version
from audit.models import AuditEvent
from templates_app.models import Clearance, Template
from tests.usage.conftest import report
from usage.models import ProductionRun, UsageException


@pytest.fixture
def reported(approved_logo: Version, clearance: Clearance, letter: Template) -> ProductionRun:
    report(
        "R1",
        [
            {"version": approved_logo.pk, "region": "DE", "language": "de", "documents": 700},
            {"version": 424_242, "region": "DE", "documents": 5},
        ],
        clearance=clearance.pk,
    )
    return ProductionRun.objects.get()


def test_the_report_groups_usage_and_draws_charts_without_inline_style(
    reported: ProductionRun, auditor: Any, client_for: Any
) -> None:
    response = client_for(auditor).get("/usage/?group=asset")
    html = response.content.decode()
    assert response.status_code == 200
    assert "brand.logo.primary" in html and ">700<" in html
    assert html.count("<svg") == 3
    assert "style=" not in html and "<script" not in html.split("</head>")[1]
    assert "Top assets by documents" in html
    by_region = client_for(auditor).get("/usage/?group=region&region=AT").content.decode()
    assert "No usage matches these filters" in by_region


def test_each_chart_shows_its_title_and_axes_with_units_and_its_numbers_as_a_table(
    reported: ProductionRun, auditor: Any, client_for: Any
) -> None:
    html = client_for(auditor).get("/usage/?group=asset&period=week").content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'font-weight="bold" fill="#1d2433">Documents per week</text>' in svg
    assert ">Documents (count)</text>" in svg and ">Week (ISO week, UTC)</text>" in svg
    assert "<summary>Top assets by documents as a table</summary>" in html
    table = html[html.index("<summary>Top assets by documents") :]
    table = table[: table.index("</table>")]
    assert '<th scope="col">Asset</th><th scope="col">Documents (count)</th>' in table
    assert "<td>brand.logo.primary</td><td>700</td>" in table
    assert ">Unresolved exceptions (count)</text>" in html


def test_the_report_counts_its_queries_whatever_the_rows(
    reported: ProductionRun, approved_logo: Version, auditor: Any, client_for: Any
) -> None:
    client = client_for(auditor)
    with CaptureQueriesContext(connection) as few:
        client.get("/usage/?group=version")
    for number in range(2, 7):
        report(f"R{number}", [{"version": approved_logo.pk, "segment": str(number)}])
    with CaptureQueriesContext(connection) as many:
        client.get("/usage/?group=version")
    assert len(many) == len(few)


def test_where_used_lists_runs_and_templates(
    reported: ProductionRun, approved_logo: Version, auditor: Any, client_for: Any
) -> None:
    html = client_for(auditor).get(f"/usage/versions/{approved_logo.pk}/").content.decode()
    assert "R1" in html and "Policy letter" in html and "700" in html


def test_the_exception_queue_lets_an_officer_resolve(
    reported: ProductionRun, compliance_officer: Any, auditor: Any, client_for: Any
) -> None:
    exception = UsageException.objects.get(code="unknown_content")
    page = client_for(auditor).get("/usage/exceptions/").content.decode()
    assert exception.detail in page and "Resolve</button>" not in page
    officer = client_for(compliance_officer)
    assert "Resolve</button>" in officer.get("/usage/exceptions/").content.decode()
    response = officer.post(
        f"/usage/exceptions/{exception.pk}/decide/",
        {"state": "resolved", "comment": "A test image in a proof run"},
    )
    assert response.status_code == 302
    exception.refresh_from_db()
    assert exception.state == "resolved"
    assert (
        client_for(auditor)
        .post(f"/usage/exceptions/{exception.pk}/decide/", {"state": "explained", "comment": "x"})
        .status_code
        == 403
    )


def test_licences_show_use_against_caps_and_terms_ending_soon(
    reported: ProductionRun,
    approved_logo: Version,
    logo: Any,
    compliance_officer: Any,
    auditor: Any,
    client_for: Any,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from usage.services import cap_set

    purchase = LicensePurchase.objects.create(
        uuid="lpt-7", cart_uuid="c", asset=logo, state="done", content_element_uuid="e"
    )
    LicenseTerm.objects.create(
        purchase=purchase,
        sequence_number=1,
        fingerprint="f",
        valid_until=timezone.now() + timedelta(days=10),
    )
    Version.objects.filter(pk=approved_logo.pk).update(purchase=purchase)
    cap_set(purchase=purchase, metric="documents", limit=500, actor=compliance_officer)
    html = client_for(auditor).get("/usage/licences/").content.decode()
    assert "lpt-7" in html and "700 of 500" in html and ">over<" in html
    assert "Terms ending within 30 days" in html and "brand.logo.primary" in html


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_run_evidence_pack_holds_the_clearance_approvals_usage_and_hashes(
    reported: ProductionRun,
    clearance: Clearance,
    approved_logo: Version,
    auditor: Any,
    client_for: Any,
) -> None:
    response = client_for(auditor).get(f"/api/v1/usage/runs/{reported.pk}/evidence.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "run R1" in text
    assert clearance.evidence_hash in text
    assert "Approved by colin" in text
    assert "705 documents" in text
    assert "brand.logo.primary v1 700" in text  # the chart of documents per version
    assert f"brand.logo.primary v1 {approved_logo.pk} print DE de - 700" in text  # a record
    assert "unknown_content" in text
    reported_event = AuditEvent.objects.get(action="usage.run_reported")
    row = f"{reported_event.sequence} 2026-11-20 12:00:00 system Usage run reported run R1 "
    assert row in text
    delivered = AuditEvent.objects.get(action="export.delivered")
    assert delivered.data["format"] == "pdf"
    assert delivered.data["sha256"] == hashlib.sha256(response.content).hexdigest()


def test_a_pack_sets_its_audit_events_as_a_table_with_shortened_hashes(
    reported: ProductionRun, auditor: Any, client_for: Any
) -> None:
    response = client_for(auditor).get(f"/api/v1/usage/runs/{reported.pk}/evidence.pdf")
    text = pdf_text(response.content)
    assert "# Time (UTC) Who Action Object Hash (start)" in text
    approved = AuditEvent.objects.get(action="version.approved")
    row = f"{approved.sequence} 2026-11-02 09:00:00 colin Version approved brand.logo.primary v1"
    assert f"{row} {approved.hash[:16]}..." in text
    assert approved.hash not in text, "a row shows the start of the hash; the sequence finds it"


def test_a_pack_says_who_generated_it_when_and_from_what_and_its_sha256_is_audited(
    reported: ProductionRun, auditor: Any, client_for: Any
) -> None:
    response = client_for(auditor).get(f"/api/v1/usage/runs/{reported.pk}/evidence.pdf")
    text = " ".join(pdf_text(response.content).split())
    assert "Generated 2026-11-20 12:00:00 UTC by audrey" in text
    assert f"Generated from run R1 (id {reported.pk}) of Policy letter" in text
    assert "in the X-Content-SHA256 header" in text and "export.delivered event" in text
    digest = hashlib.sha256(response.content).hexdigest()
    assert response["X-Content-SHA256"] == digest
    delivered = AuditEvent.objects.get(action="export.delivered")
    assert (delivered.target_type, delivered.target_id) == ("usage.productionrun", str(reported.pk))
    assert delivered.data["sha256"] == digest and delivered.actor_name == "audrey"
    assert f"generated_at {delivered.data['generated_at']}" in text
    page = client_for(auditor).get(f"/usage/runs/{reported.pk}/").content.decode()
    assert digest in page, "the run's page lists the packs handed out with their sha256"
    again = client_for(auditor).get(f"/api/v1/usage/runs/{reported.pk}/evidence.pdf")
    assert f"Export delivered run R1 {delivered.hash[:16]}" in pdf_text(again.content)


def test_the_clearance_evidence_pack_names_its_verdict_slots_and_runs(
    reported: ProductionRun,
    clearance: Clearance,
    approved_logo: Version,
    auditor: Any,
    client_for: Any,
) -> None:
    response = client_for(auditor).get(f"/api/v1/clearances/{clearance.pk}/evidence.pdf")
    text = pdf_text(response.content)
    assert "Verdict" in text and "go" in text and "R1" in text
    preflight = AuditEvent.objects.get(action="preflight.checked")
    assert f"Preflight checked template Policy letter {preflight.hash[:16]}" in text
    assert "Slot Context Version Version id Campaign" in text
    assert f"brand.logo.primary v1 {approved_logo.pk} none" in text
    assert response["X-Content-SHA256"] == hashlib.sha256(response.content).hexdigest()
    delivered = AuditEvent.objects.get(action="export.delivered")
    assert delivered.data["kind"] == "clearance_evidence"
    assert delivered.target_type == "templates_app.clearance"


@pytest.mark.parametrize(
    "path",
    [
        "/usage/runs/{run}/",
        "/usage/versions/{version}/",
        "/api/v1/usage/runs/{run}/evidence.pdf",
        "/api/v1/clearances/{clearance}/evidence.pdf",
    ],
)
def test_pages_are_404_outside_and_403_for_roles_that_do_not_read_usage(
    reported: ProductionRun,
    clearance: Clearance,
    approved_logo: Version,
    outsider: Any,
    designer: Any,
    auditor: Any,
    client_for: Any,
    path: str,
) -> None:
    url = path.format(run=reported.pk, version=approved_logo.pk, clearance=clearance.pk)
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(designer).get(url).status_code == 403
    assert client_for(auditor).get(url).status_code == 200


@pytest.mark.parametrize("path", ["/usage/", "/usage/licences/", "/usage/exceptions/"])
def test_list_pages_are_for_auditors_and_officers(
    reported: ProductionRun, designer: Any, compliance_officer: Any, client_for: Any, path: str
) -> None:
    assert client_for(designer).get(path).status_code == 403
    assert client_for(compliance_officer).get(path).status_code == 200
