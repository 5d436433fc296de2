"""A document a run produced, attached as a sample and read by a worker: an image of the version
approved at the run's start matches it and raises nothing; one of a version superseded by then
is `as_produced_unapproved`, naming it; one Govern never knew is `as_produced_unknown`."""

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from fpdf import FPDF
from PIL import Image

from assets.models import Asset, Rendition, Version
from assets.services import version_approve
from assets.storage import read_content
from audit.models import AuditEvent
from templates_app.models import Clearance
from tests import images
from tests.usage.conftest import DE_PRINT, RUN_START, report
from usage.models import ProductionRun, ProductionSample, SampleImage, UsageException
from usage.samples.services import sample_add, sample_claim, sample_read
from usage.tasks import read_samples


def document(*images: bytes) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    for n, data in enumerate(images):
        pdf.image(io.BytesIO(data), x=10, y=10 + 60 * n, w=80)
    pdf.set_font("helvetica", size=11)
    pdf.set_xy(10, 250)
    pdf.multi_cell(180, 6, "Dear customer, your policy is enclosed.")
    return bytes(pdf.output())


def stranger() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (500, 250), "#7b1fa2").save(output, "PNG")
    return output.getvalue()


def attach(run: ProductionRun, data: bytes, name: str = "letter.pdf") -> ProductionSample:
    sample, _ = sample_add(run=run, data=data, file_name=name, actor=None, channel="print")
    return sample


def found(code: str) -> list[UsageException]:
    return list(UsageException.objects.filter(code=code))


def test_the_approved_logo_in_a_sample_matches_it_and_raises_nothing(
    run: ProductionRun, approved_logo: Version
) -> None:
    email = Rendition.objects.get(version=approved_logo, profile="email")
    sample = attach(run, document(read_content(approved_logo.file), read_content(email.file)))
    assert (sample.state, sample.pages_total, sample.pages_read) == ("queued", 1, 0)
    assert read_samples() == {"read": 1}
    sample.refresh_from_db()
    assert (sample.state, sample.pages_read) == ("read", 1)
    own, rendition = SampleImage.objects.filter(sample=sample).order_by("pk")
    assert (own.outcome, own.version_id, own.matched) == (
        "approved",
        approved_logo.pk,
        f"version:{approved_logo.pk}",
    )
    assert own.difference is not None and own.difference < 5, "re-encoded by the PDF writer"
    assert (rendition.outcome, rendition.version_id) == ("approved", approved_logo.pk)
    assert not UsageException.objects.filter(code__startswith="as_produced").exists()
    assert AuditEvent.objects.filter(action="usage.sample_read").count() == 1


def test_a_logo_superseded_before_the_run_is_unapproved_and_named(
    logo: Asset,
    approved_logo: Version,
    clearance: Clearance,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    clock: Any,
) -> None:
    clock.move_to(RUN_START - timedelta(hours=1))
    red = images.png(480, 240, (200, 30, 30))
    newer = version_approve(version=add_version(logo, data=red), actor=compliance_officer)
    clock.move_to(RUN_START + timedelta(days=1))
    report("R2", [{"version": newer.pk, **DE_PRINT}])
    run = ProductionRun.objects.get(run_id="R2")
    attach(run, document(read_content(approved_logo.file)), "customer-0001.pdf")
    read_samples()
    [exception] = found("as_produced_unapproved")
    assert exception.version_id == approved_logo.pk
    assert exception.detail == (
        "Sample customer-0001.pdf of run R2 shows brand.logo.primary v1 (version id "
        f"{approved_logo.pk}) on page 1, which was superseded when the run started."
    )
    assert exception.evidence["state_at_run"] == "superseded"
    assert exception.evidence["images"][0]["page"] == 1
    read_samples()
    assert len(found("as_produced_unapproved")) == 1, "nothing new the second time"


def test_a_jpeg_embedded_as_is_matches_by_its_hash_and_is_judged_by_the_runs_time(
    run: ProductionRun, logo: Asset, add_version: Callable[..., Version], compliance_officer: Any
) -> None:
    photo = io.BytesIO()
    Image.new("RGB", (640, 320), "#2e7d32").save(photo, "JPEG", quality=85)
    later = version_approve(
        version=add_version(logo, data=photo.getvalue()), actor=compliance_officer
    )
    attach(run, document(read_content(later.file)))
    read_samples()
    [image] = SampleImage.objects.all()
    assert (image.matched, image.distance, image.difference) == (f"version:{later.pk}", 0, None)
    [exception] = found("as_produced_unapproved")
    assert exception.evidence["state_at_run"] == "not yet approved"


def test_an_image_govern_never_knew_is_unknown(run: ProductionRun) -> None:
    sample = attach(run, document(stranger()))
    read_samples()
    [exception] = found("as_produced_unknown")
    assert "shows an image on page 1 that matches nothing Govern knows" in exception.detail
    assert exception.evidence["sample_sha256"] == sample.sha256
    [image] = SampleImage.objects.filter(sample=sample)
    assert image.outcome == "unknown"


def test_the_same_document_twice_is_one_sample(run: ProductionRun) -> None:
    data = document(stranger())
    first, created = sample_add(run=run, data=data, file_name="a.pdf", actor=None)
    again, created_again = sample_add(run=run, data=data, file_name="b.pdf", actor=None)
    assert (created, created_again, again.pk) == (True, False, first.pk)


def pages(count: int) -> bytes:
    """A letter of `count` pages, each with its own picture and words."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for n in range(count):
        pdf.add_page()
        output = io.BytesIO()
        Image.new("RGB", (300, 150), (40 * n, 90, 200 - 40 * n)).save(output, "PNG")
        pdf.image(io.BytesIO(output.getvalue()), x=10, y=10, w=80)
        pdf.set_xy(10, 200)
        pdf.multi_cell(180, 6, f"Page words {n + 1}.")
    return bytes(pdf.output())


def test_a_reader_that_died_mid_page_is_taken_over_from_its_progress(
    run: ProductionRun, clock: Any, settings: Any
) -> None:
    sample = attach(run, pages(3))
    claimed = sample_claim()
    assert claimed is not None and sample_claim() is None, "held under its lease"
    assert sample_read(sample=claimed, budget_seconds=0) == "paused", "after one page"
    claimed = sample_claim()
    assert claimed is not None and claimed.pages_read == 1
    # It dies halfway through page 2: an image written, the progress not.
    SampleImage.objects.create(
        sample=claimed,
        page=2,
        box=[0, 0, 1, 1],
        width=1,
        height=1,
        stream_sha256="0" * 64,
        outcome="unknown",
    )
    clock.shift(timedelta(seconds=settings.SAMPLE_LEASE_SECONDS + 1))
    assert read_samples() == {"read": 1}
    sample.refresh_from_db()
    assert sorted(SampleImage.objects.values_list("page", flat=True)) == [1, 2, 3]
    assert sample.text.split("\f") == ["Page words 1.", "Page words 2.", "Page words 3."]


def test_what_is_refused_at_once_is_not_kept(run: ProductionRun, settings: Any) -> None:
    pdf = pikepdf.open(io.BytesIO(document(stranger())))
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("1"))
    hostile = io.BytesIO()
    pdf.save(hostile)
    with pytest.raises(ValidationError, match="carries JavaScript"):
        attach(run, hostile.getvalue())
    with pytest.raises(ValidationError, match="PDF documents, HTML email"):
        attach(run, b"GIF89a: no document")
    settings.SAMPLE_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="at most 0 MB"):
        attach(run, document(stranger()))
    assert not ProductionSample.objects.exists()
    refused = AuditEvent.objects.get(action="usage.sample_refused")
    assert refused.data["reason"].startswith("The PDF carries JavaScript")
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.pdf")), "no file of it stored"


def api_post(client: Client, run: ProductionRun, data: bytes, **fields: str) -> Any:
    upload = io.BytesIO(data)
    upload.name = "letter.pdf"
    return client.post(f"/api/v1/usage/runs/{run.pk}/samples/", {"file": upload, **fields})


def test_production_attaches_a_sample_through_the_api_and_reads_it_back(
    run: ProductionRun, api: Client, client_for: Callable[[Any], Any], auditor: Any
) -> None:
    answer = api_post(api, run, document(stranger()), channel="print", region="de")
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert (body["state"], body["region"], body["pages_total"]) == ("queued", "DE", 1)
    assert api_post(api, run, document(stranger())).status_code == 200, "the same one again"
    read_samples()
    [listed] = client_for(auditor).get(f"/api/v1/usage/runs/{run.pk}/samples/").json()
    assert listed["state"] == "read" and listed["images"][0]["outcome"] == "unknown"


def test_the_api_refuses_bad_samples_with_a_reason(
    run: ProductionRun, api: Client, client_for: Callable[[Any], Any], designer: Any, outsider: Any
) -> None:
    refused = api_post(api, run, b"plain text")
    assert refused.status_code == 400
    assert "PDF documents" in str(refused.json())
    assert api_post(api, run, document(stranger()), region="Germany").status_code == 400
    assert api_post(api, run, document(stranger()), colour="red").status_code == 400
    url = f"/api/v1/usage/runs/{run.pk}/samples/"
    assert client_for(outsider).get(url).status_code == 404
    assert api_post(client_for(designer), run, document(stranger())).status_code == 403
    assert not ProductionSample.objects.exists()


def test_the_run_page_shows_each_sample_its_progress_and_what_its_images_are(
    run: ProductionRun,
    approved_logo: Version,
    client_for: Callable[[Any], Any],
    auditor: Any,
    outsider: Any,
) -> None:
    attach(run, document(read_content(approved_logo.file), stranger()), "customer-0042.pdf")
    page = client_for(auditor).get(f"/usage/runs/{run.pk}/").content.decode()
    assert "customer-0042.pdf" in page
    assert "0 of 1 pages read" in page
    assert f'hx-get="/usage/runs/{run.pk}/samples/"' in page, "polled while it is read"
    read_samples()
    fragment = client_for(auditor).get(f"/usage/runs/{run.pk}/samples/").content.decode()
    assert "Page 1: brand.logo.primary v1, approved then" in fragment
    assert "Page 1: <strong>unknown</strong>" in fragment
    assert "hx-get" not in fragment, "nothing left to read: no more polling"
    assert client_for(outsider).get(f"/usage/runs/{run.pk}/samples/").status_code == 404


def test_the_sample_page_draws_each_page_with_its_images_outlined_and_what_they_matched(
    run: ProductionRun,
    approved_logo: Version,
    client_for: Callable[[Any], Any],
    auditor: Any,
    designer: Any,
    outsider: Any,
) -> None:
    sample = attach(run, document(read_content(approved_logo.file), stranger()), "c-7.pdf")
    read_samples()
    run_page = client_for(auditor).get(f"/usage/runs/{run.pk}/samples/").content.decode()
    assert f'href="/usage/samples/{sample.pk}/"' in run_page
    page = client_for(auditor).get(f"/usage/samples/{sample.pk}/").content.decode()
    assert f'src="/usage/samples/{sample.pk}/pages/1.png"' in page
    assert 'viewBox="0 0 595.' in page, "the A4 page in points"
    assert page.count('<rect class="approved"') == 1 and page.count('<rect class="unknown"') == 1
    assert "brand.logo.primary v1: approved when the run started" in page
    assert "Unknown: matches nothing Govern knows" in page
    assert f'src="/assets/versions/{approved_logo.pk}/preview?size=row"' in page, "beside it"
    picture = client_for(auditor).get(f"/usage/samples/{sample.pk}/pages/1.png")
    assert picture["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(picture.content)).width == 800
    assert client_for(auditor).get(f"/usage/samples/{sample.pk}/pages/2.png").status_code == 404
    for path in (f"/usage/samples/{sample.pk}/", f"/usage/samples/{sample.pk}/pages/1.png"):
        assert client_for(outsider).get(path).status_code == 404
        assert client_for(designer).get(path).status_code == 403


def test_the_command_attaches_files_and_names_what_it_refused(
    run: ProductionRun, tmp_path: Any
) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    good, bad = tmp_path / "customer-1.pdf", tmp_path / "note.txt"
    good.write_bytes(document(stranger()))
    bad.write_bytes(b"not a document")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 of 2 files were refused"):
        call_command(
            "usage_samples", "R1", str(good), str(bad), "--channel", "print", stdout=out, stderr=err
        )
    assert "customer-1.pdf: sample" in out.getvalue() and "1 pages, queued" in out.getvalue()
    assert "refused" in err.getvalue() and "PDF documents" in err.getvalue()
    assert ProductionSample.objects.get().channel == "print"
    with pytest.raises(CommandError, match="No run R9"):
        call_command("usage_samples", "R9", str(good))


TERMS = "Interest rates may change. Terms and conditions apply to every policy."
OLD_TERMS = "Interest rates may change. Terms apply."


@pytest.fixture
def cleared_terms(
    disclaimer: Asset,
    letter: Any,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    second_compliance_officer: Any,
    designer: Any,
    deliver_all: Callable[[], Any],
    clock: Any,
) -> tuple[ProductionRun, Version, Version]:
    """A run cleared for a letter that carries the disclaimer's second version."""
    from assets.resolution import Context
    from templates_app.preflight import preflight_run
    from templates_app.services import binding_set
    from tests.conftest import signed

    def approve(text: str) -> Version:
        version = add_version(disclaimer, text=text)
        for officer in (compliance_officer, second_compliance_officer):
            version = version_approve(version=version, actor=officer, signature=signed(officer))
        return version

    clock.move_to(RUN_START - timedelta(days=2))
    old, new = approve(OLD_TERMS), approve(TERMS)
    binding_set(template=letter, slot="terms", asset=disclaimer, actor=designer)
    deliver_all()
    clock.move_to(RUN_START - timedelta(hours=1))
    context = Context(region="DE", language="de", channel="print")
    cleared = preflight_run(template=letter, run_at=RUN_START, contexts=[context], actor=designer)
    clock.move_to(RUN_START + timedelta(days=1))
    report("R5", [{"version": new.pk, **DE_PRINT}], clearance=cleared.pk)
    return ProductionRun.objects.get(run_id="R5"), old, new


def letter_saying(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(60, 6, "Dear customer,\n" + text)  # narrow: the text wraps over lines
    return bytes(pdf.output())


def read_terms(run: ProductionRun, text: str) -> list[UsageException]:
    sample_add(
        run=run,
        data=letter_saying(text),
        file_name="terms.pdf",
        actor=None,
        channel="print",
        region="DE",
        language="de",
    )
    read_samples()
    return list(
        UsageException.objects.filter(code__in=["as_produced_altered", "as_produced_outdated"])
    )


def test_the_cleared_disclaimer_in_a_sample_raises_nothing(
    cleared_terms: tuple[ProductionRun, Version, Version],
) -> None:
    run, _old, _new = cleared_terms
    assert read_terms(run, TERMS) == []
    assert "Terms and conditions apply" in ProductionSample.objects.get().text


def test_an_edited_disclaimer_is_altered_with_the_edited_words_shown(
    cleared_terms: tuple[ProductionRun, Version, Version],
    client_for: Callable[[Any], Any],
    auditor: Any,
) -> None:
    run, _old, new = cleared_terms
    edited = TERMS.replace("every policy", "most policies")
    [exception] = read_terms(run, edited)
    assert exception.code == "as_produced_altered" and exception.version_id == new.pk
    assert "[removed: every policy] [added: most policies]" in exception.detail
    assert exception.evidence["passage"].startswith("Interest rates may change.")
    sample = ProductionSample.objects.get(run=run)
    page = client_for(auditor).get(f"/usage/samples/{sample.pk}/").content.decode()
    assert "<del>every policy</del><ins>most policies</ins>" in page


def test_the_superseded_disclaimer_is_outdated_and_named(
    cleared_terms: tuple[ProductionRun, Version, Version],
) -> None:
    run, old, new = cleared_terms
    [exception] = read_terms(run, OLD_TERMS)
    assert exception.code == "as_produced_outdated"
    assert f"(version id {old.pk}) where the run was cleared for" in exception.detail
    assert exception.evidence["shown_version"] == old.pk


def test_a_missing_disclaimer_is_said_to_be_absent(
    cleared_terms: tuple[ProductionRun, Version, Version],
) -> None:
    run, _old, _new = cleared_terms
    [exception] = read_terms(run, "Thank you for your custom.")
    assert exception.detail.endswith("its text does not appear.")


def artwork_saying(text: str) -> bytes:
    """Legal artwork: the disclaimer as a picture, no text on the page."""
    from PIL import ImageDraw, ImageFont

    picture = Image.new("RGB", (1400, 160), "white")
    font = ImageFont.load_default(size=30)
    ImageDraw.Draw(picture).text((20, 50), text, font=font, fill="black")
    output = io.BytesIO()
    picture.save(output, "PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(output.getvalue()), x=10, y=10, w=190)
    return bytes(pdf.output())


def test_a_disclaimer_in_legal_artwork_is_read_by_ocr_and_checked(
    cleared_terms: tuple[ProductionRun, Version, Version],
) -> None:
    run, _old, new = cleared_terms
    context = {"channel": "print", "region": "DE", "language": "de"}
    sample_add(run=run, data=artwork_saying(TERMS), file_name="a.pdf", actor=None, **context)
    edited = TERMS.replace("every policy", "most policies")
    sample_add(run=run, data=artwork_saying(edited), file_name="b.pdf", actor=None, **context)
    read_samples()
    [altered] = UsageException.objects.filter(code="as_produced_altered")
    assert altered.evidence["sample"] == ProductionSample.objects.get(file_name="b.pdf").pk
    assert "[removed: every policy] [added: most policies]" in altered.detail
    assert SampleImage.objects.filter(text__contains="Terms and conditions").count() == 2


def test_a_machine_without_tesseract_keeps_samples_waiting_and_says_so(
    run: ProductionRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pytesseract

    from govern.models import SetupProblem

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    sample = attach(run, document(stranger()))
    assert read_samples() == {"waiting": 1}
    sample.refresh_from_db()
    assert (sample.state, sample.pages_read) == ("queued", 0)
    assert "install Debian's tesseract-ocr" in SetupProblem.objects.get(part="ocr").detail
    monkeypatch.undo()
    assert read_samples() == {"read": 1}
    assert not SetupProblem.objects.exists()


def test_the_runs_evidence_pack_lists_its_samples_hashes_and_matches(
    run: ProductionRun, approved_logo: Version, client_for: Callable[[Any], Any], auditor: Any
) -> None:
    from tests.usage.test_pages import pdf_text

    sample = attach(run, document(read_content(approved_logo.file)), "customer-0007.pdf")
    read_samples()
    answer = client_for(auditor).get(f"/api/v1/usage/runs/{run.pk}/evidence.pdf")
    text = pdf_text(answer.content)
    assert "Samples: 1 produced documents read" in text
    assert f"customer-0007.pdf (read, 1 pages) sha256 {sample.sha256}" in text
    assert "brand.logo.primary v1" in text and "Approved when the run started" in text
    assert "Page 1: " not in text, "an approved image needs no picture"


def test_the_evidence_pack_draws_each_exception_image_cut_from_its_page(
    run: ProductionRun, client_for: Callable[[Any], Any], auditor: Any
) -> None:
    from tests.usage.test_pages import pdf_text

    attach(run, document(stranger()), "customer-0008.pdf")
    read_samples()
    pack = client_for(auditor).get(f"/api/v1/usage/runs/{run.pk}/evidence.pdf").content
    assert "Page 1: Matches nothing Govern knows" in pdf_text(pack)
    with pikepdf.open(io.BytesIO(pack)) as opened:
        drawn = [
            pikepdf.PdfImage(image).as_pil_image()
            for page in opened.pages
            for image in page.get_images().values()
            if isinstance(image, pikepdf.Stream)
        ]
    purple = [image for image in drawn if image.convert("RGB").getpixel((5, 5)) == (123, 31, 162)]
    assert len(purple) == 1 and purple[0].width <= 240, "the stranger's own colour, cut small"


def test_an_approved_logo_out_of_rights_for_the_samples_context_is_unapproved(
    run: ProductionRun, approved_logo: Version, logo: Asset
) -> None:
    from datetime import timedelta as days

    from assets.models import LicensePurchase, LicenseTerm
    from tests.usage.conftest import APPROVED_AT

    purchase = LicensePurchase.objects.create(
        uuid="lpt-1", cart_uuid="c", asset=logo, state="completed", content_element_uuid="e"
    )
    LicenseTerm.objects.create(
        purchase=purchase,
        sequence_number=1,
        fingerprint="f1",
        allowed_geographies=["geography_germany"],
        allowed_usages=["usage_print"],
        created_at=APPROVED_AT - days(days=10),
    )
    Version.objects.filter(pk=approved_logo.pk).update(purchase=purchase)
    logo_bytes = read_content(approved_logo.file)
    for region, name in (("DE", "de.pdf"), ("FR", "fr.pdf")):
        sample_add(run=run, data=document(logo_bytes) + region.encode(), file_name=name,
                   actor=None, channel="print", region=region)  # fmt: skip
    while read_samples().get("read"):
        pass
    outcomes = dict(SampleImage.objects.values_list("sample__region", "outcome"))
    assert outcomes == {"DE": "approved", "FR": "unapproved"}
    [exception] = found("as_produced_unapproved")
    assert exception.evidence["state_at_run"] == (
        "out of rights for region FR, channel print: its licence is not for region FR"
    )
