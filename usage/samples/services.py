"""A sample's life: added (stored under its sha256, audited), read by a worker under a lease
(page by page, each page's images, text and progress saved together), judged into usage
exceptions.

A task reads for a bounded time (under the worker's task timeout) and hands the sample back with
its progress; the next one goes on from the page after. A worker that dies mid-page leaves its
lease to run out; the next claim drops what that page had half written and goes on, so nothing
is lost or counted twice.
"""

import hashlib
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django_q.tasks import async_task

from assets.produced.known import KnownContent, known_content
from assets.produced.markup import MESSAGE, kind_of, look_over_markup, read_markup
from assets.produced.matching import Verdict, identify
from assets.produced.reading import (
    FoundImage,
    FoundPage,
    OcrUnavailable,
    Unreadable,
    look_over,
    read_pdf,
)
from assets.storage import read_content, store_content
from assets.uploads import Content
from audit.services import audit_record
from govern.services import setup_problem_clear, setup_problem_report
from usage.models import ProductionRun, ProductionSample, SampleImage, SampleState
from usage.reconcile import findings_record
from usage.samples.judging import judge
from usage.samples.texts import text_findings

PDF_MAGIC = b"%PDF-"
PDF = "application/pdf"
CONTEXT = ("channel", "region", "language", "segment")


def sample_add(
    *, run: ProductionRun, data: bytes, file_name: str, actor: Any, **context: str
) -> tuple[ProductionSample, bool]:
    """Attach a produced document to the run; the same document twice is one sample. Refuse
    what is no PDF, too large, or refused whole on a first look (nothing of it is stored)."""
    if len(data) > settings.SAMPLE_MAX_BYTES:
        raise ValidationError(
            {"file": f"A sample may be at most {settings.SAMPLE_MAX_BYTES // 1_000_000} MB."}
        )
    media_type, extension = _kind(data, file_name)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        pages = look_over(data) if media_type == PDF else look_over_markup(data, media_type)
    except Unreadable as refused:
        _audit_refused(run, sha256, refused.reason, actor)
        raise ValidationError({"file": refused.reason}) from None
    with transaction.atomic():
        sample, created = ProductionSample.objects.get_or_create(
            run=run,
            sha256=sha256,
            defaults={
                "business_unit_id": run.business_unit_id,
                "file": store_content(Content(data, media_type, extension)),
                "media_type": media_type,
                "file_name": file_name[:300],
                "size": len(data),
                "pages_total": pages,
                "added_by": actor if getattr(actor, "is_authenticated", False) else None,
                **{name: context.get(name, "") for name in CONTEXT},
            },
        )
        if created:
            audit_record(
                action="usage.sample_added",
                actor=actor,
                target=sample,
                unit_id=run.business_unit_id,
                data={"run": run.run_id, "sha256": sha256, "pages": pages, "size": len(data)},
            )
            transaction.on_commit(lambda: async_task("usage.tasks.read_samples"))
    return sample, created


def _kind(data: bytes, file_name: str) -> tuple[str, str]:
    """The sample's media type and the extension it is stored with; refuse anything else."""
    if data.startswith(PDF_MAGIC):
        return PDF, "pdf"
    kind = kind_of(data, file_name)
    if kind is None:
        raise ValidationError(
            {"file": "Samples are PDF documents, HTML email (.html) or messages (.eml)."}
        )
    return kind, "eml" if kind == MESSAGE else "html"


def _pages(sample: ProductionSample) -> Iterator[FoundPage]:
    data = read_content(sample.file)
    if sample.media_type == PDF:
        return read_pdf(data, first_page=sample.pages_read + 1)
    return read_markup(data, sample.media_type)


def _audit_refused(run: ProductionRun, sha256: str, reason: str, actor: Any) -> None:
    audit_record(
        action="usage.sample_refused",
        actor=actor,
        target=run,
        unit_id=run.business_unit_id,
        data={"run": run.run_id, "sha256": sha256, "reason": reason},
    )


def sample_claim() -> ProductionSample | None:
    """Take the next sample waiting, or one whose reader's lease ran out, under a new lease."""
    now = timezone.now()
    waiting = ProductionSample.objects.filter(
        Q(state=SampleState.QUEUED) | Q(state=SampleState.READING, lease_until__lt=now)
    ).order_by("pk")
    for pk in waiting.values_list("pk", flat=True)[:10]:
        taken = (
            ProductionSample.objects.filter(pk=pk)
            .filter(Q(state=SampleState.QUEUED) | Q(lease_until__lt=now))
            .update(state=SampleState.READING, lease_until=_lease())
        )
        if taken:
            return ProductionSample.objects.select_related("run").get(pk=pk)
    return None


def _lease() -> Any:
    return timezone.now() + timedelta(seconds=settings.SAMPLE_LEASE_SECONDS)


def sample_read(*, sample: ProductionSample, budget_seconds: float) -> str:
    """Read a claimed sample on from the page after its progress, for about `budget_seconds`;
    once every page is read, match and judge it. Return the outcome."""
    started = time.monotonic()
    # What a reader that died wrote of a page it did not finish.
    SampleImage.objects.filter(sample=sample, page__gt=sample.pages_read).delete()
    content = known_content(sample.business_unit_id)
    try:
        for page in _pages(sample):
            _keep_page(sample, page, content)
            if time.monotonic() - started > budget_seconds and page.number < sample.pages_total:
                return _pause(sample)
    except Unreadable as refused:
        return _unreadable(sample, refused.reason)
    except OcrUnavailable as missing:
        return _wait_for_setup(sample, str(missing))
    setup_problem_clear(part="ocr")
    return _judged(sample)


def _pause(sample: ProductionSample) -> str:
    """Hand the sample back with its progress: the next task goes on from there."""
    ProductionSample.objects.filter(pk=sample.pk).update(state=SampleState.QUEUED, lease_until=None)
    return "paused"


def _judged(sample: ProductionSample) -> str:
    sample.refresh_from_db(fields=["text"])
    outcomes, findings = judge(sample)
    findings += text_findings(sample, sample.text)
    with transaction.atomic():
        for outcome in {*outcomes.values()}:
            chosen = [pk for pk, said in outcomes.items() if said == outcome]
            SampleImage.objects.filter(pk__in=chosen).update(outcome=outcome)
        ProductionSample.objects.filter(pk=sample.pk).update(
            state=SampleState.READ, lease_until=None, read_at=timezone.now()
        )
        found = findings_record(findings)
        audit_record(
            action="usage.sample_read",
            target=sample,
            unit_id=sample.business_unit_id,
            data={"sha256": sample.sha256, "exceptions": [e.code for e in found]},
        )
    return "read"


def _keep_page(sample: ProductionSample, page: FoundPage, content: KnownContent) -> None:
    """Save a page's images, its words (the page's and those OCR read in its images) and the
    progress together, renewing the lease."""
    rows = [_image_row(sample, page.number, image, content) for image in page.images]
    words = "\n".join(part for part in (page.text, *(i.text for i in page.images)) if part)
    with transaction.atomic():
        SampleImage.objects.bulk_create(rows)
        ProductionSample.objects.filter(pk=sample.pk).update(
            pages_read=page.number,
            text=Concat("text", Value("\f" if page.number > 1 else ""), Value(words)),
            lease_until=_lease(),
        )
    sample.pages_read = page.number


def _image_row(
    sample: ProductionSample, page: int, image: FoundImage, content: KnownContent
) -> SampleImage:
    verdict = identify(
        content.index, stream_sha256=image.stream_sha256, pixels=image.pixels, load=content.load
    )
    match = verdict.match
    return SampleImage(
        sample=sample,
        page=page,
        box=list(image.box),
        width=image.width,
        height=image.height,
        stream_sha256=image.stream_sha256,
        fingerprint=verdict.fingerprint,
        version_id=content.versions[match.known.key] if match else None,
        matched=match.known.key if match else "",
        distance=match.distance if match else None,
        difference=match.difference if match else None,
        colour=match.colour if match else None,
        outcome=SampleImage.Outcome.UNKNOWN,  # judged once the sample is read
        problem=image.problem or _nearest(verdict),
        text=image.text,
    )


def _nearest(verdict: Verdict) -> str:
    near = verdict.nearest
    if verdict.match is not None or near is None:
        return ""
    return (
        f"nearest: {near.known.key} at distance {near.distance}, difference "
        f"{near.difference}, colour {near.colour}"
    )


def _wait_for_setup(sample: ProductionSample, detail: str) -> str:
    """Give the sample back, waiting, until the machine can read it (named on /healthz)."""
    setup_problem_report(part="ocr", detail=detail)
    ProductionSample.objects.filter(pk=sample.pk).update(state=SampleState.QUEUED, lease_until=None)
    return "waiting"


def _unreadable(sample: ProductionSample, reason: str) -> str:
    """Mark the sample unreadable and keep nothing of the document but its hash."""
    with transaction.atomic():
        ProductionSample.objects.filter(pk=sample.pk).update(
            state=SampleState.UNREADABLE, reason=reason, lease_until=None, file="", text=""
        )
        SampleImage.objects.filter(sample=sample).delete()
        _audit_refused(sample.run, sample.sha256, reason, None)
    if not ProductionSample.objects.filter(file=sample.file).exclude(pk=sample.pk).exists():
        default_storage.delete(sample.file)
    return "unreadable"
