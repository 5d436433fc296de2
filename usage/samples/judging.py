"""Judge a read sample's images against what was approved when its run started.

An image that is known content of a version approved at the run's start, and whose licence
covered the sample's context then, is approved; one of a version that was not approved (not yet
approved, superseded, withdrawn, retired, expired) or out of rights for that context (as Govern
knew the licence when the run started) is `as_produced_unapproved`, naming that version; one
that matches nothing Govern knows, or that could not be decoded, is `as_produced_unknown`. One
finding per sample and version, or per sample and unknown image, so reading the sample again
finds the same keys and adds nothing.
"""

from collections import defaultdict
from typing import Any

from assets.models import Version
from assets.resolution import Context
from assets.rights import Outcome as Rights
from assets.rights import RightsBook, Use
from usage.models import ExceptionCode, ProductionSample, SampleImage
from usage.reconcile import Finding, approval_history, named, periods_of, state_at

Outcome = SampleImage.Outcome


def judge(sample: ProductionSample) -> tuple[dict[int, str], list[Finding]]:
    """Return each image's outcome by its id, and the findings."""
    images = list(SampleImage.objects.filter(sample=sample).order_by("page", "pk"))
    started = sample.run.started_at
    history = approval_history({image.version_id for image in images if image.version_id})
    versions = Version.objects.select_related("variant__asset").in_bulk(
        [image.version_id for image in images if image.version_id]
    )
    rights = _rights_problems(sample, versions)
    outcomes: dict[int, str] = {}
    unapproved: dict[int, list[SampleImage]] = defaultdict(list)
    unknown: dict[str, list[SampleImage]] = defaultdict(list)
    for image in images:
        if image.version_id is None:
            outcomes[image.pk] = Outcome.UNKNOWN
            unknown[image.stream_sha256].append(image)
        elif state_at(history[image.version_id], started, approved="approved") == "approved" and (
            image.version_id not in rights
        ):
            outcomes[image.pk] = Outcome.APPROVED
        else:
            outcomes[image.pk] = Outcome.UNAPPROVED
            unapproved[image.version_id].append(image)
    findings = [
        _unapproved(sample, versions[pk], found, history[pk], rights.get(pk))
        for pk, found in unapproved.items()
    ]
    findings += [_unknown(sample, sha256, found) for sha256, found in unknown.items()]
    return outcomes, findings


def _rights_problems(sample: ProductionSample, versions: dict[int, Version]) -> dict[int, str]:
    """Per version, why its licence did not cover the sample's context when the run started
    (a version without a licence, or one Govern cannot judge, is not a finding)."""
    licensed = [version for version in versions.values() if version.purchase_id]
    if not licensed:
        return {}
    started = sample.run.started_at
    context = Context(sample.region, sample.language, sample.segment, sample.channel)
    use = Use(context, started, known_at=started, volumes=False)
    book = RightsBook(licensed)
    problems = {}
    for version in licensed:
        judged = book.judge(version, use)
        if judged.outcome == Rights.NOT_COVERED:
            problems[version.pk] = f"out of rights for {context.describe()}: {judged.summary()}"
    return problems


def _where(images: list[SampleImage]) -> list[dict[str, Any]]:
    return [
        {
            "page": image.page,
            "box": image.box,
            "matched": image.matched,
            "distance": image.distance,
            "difference": image.difference,
            "colour": image.colour,
            "problem": image.problem,
        }
        for image in images
    ]


def _pages(images: list[SampleImage]) -> str:
    pages = sorted({image.page for image in images})
    return ("page " if len(pages) == 1 else "pages ") + ", ".join(map(str, pages))


def _unapproved(
    sample: ProductionSample,
    version: Version,
    images: list[SampleImage],
    periods: list[Any],
    rights: str | None,
) -> Finding:
    run = sample.run
    state = state_at(periods, run.started_at, approved="approved")
    if state == "approved" and rights:
        state = rights
    return Finding(
        key=f"as_produced_unapproved:sample:{sample.pk}:version:{version.pk}",
        code=ExceptionCode.AS_PRODUCED_UNAPPROVED,
        run_id=run.pk,
        unit_id=sample.business_unit_id,
        version_id=version.pk,
        detail=f"Sample {sample.file_name or sample.sha256[:12]} of run {run.run_id} shows "
        f"{named(version)} on {_pages(images)}, which was {state} when the run started.",
        evidence={
            "sample": sample.pk,
            "sample_sha256": sample.sha256,
            "version": version.pk,
            "state_at_run": state,
            "run_started_at": run.started_at.isoformat(),
            "approval_periods": periods_of(periods),
            "images": _where(images),
        },
    )


def _unknown(sample: ProductionSample, sha256: str, images: list[SampleImage]) -> Finding:
    run = sample.run
    # An image looked at by its pixels has a fingerprint; one without could not be decoded.
    why = "matches nothing" if images[0].fingerprint else "could not be decoded, so matches nothing"
    return Finding(
        key=f"as_produced_unknown:sample:{sample.pk}:image:{sha256}",
        code=ExceptionCode.AS_PRODUCED_UNKNOWN,
        run_id=run.pk,
        unit_id=sample.business_unit_id,
        detail=f"Sample {sample.file_name or sample.sha256[:12]} of run {run.run_id} shows an "
        f"image on {_pages(images)} that {why} Govern knows.",
        evidence={
            "sample": sample.pk,
            "sample_sha256": sample.sha256,
            "image_sha256": sha256,
            "images": _where(images),
        },
    )
