"""Proofs before a run: for each context of a pre-flight asked for them, Exstream's Orchestration
produces one document from the driver data the template's owner stored for that context; Govern
reads it as it reads a sample and holds it to what pre-flight resolved for the context.

- Each image must match (assets/produced/matching.py) a version pre-flight resolved for the
  context, or one of its renditions; an image matching another version, or nothing Govern
  knows, is `proof_mismatch`, and so is a resolved image version that does not appear.
- Each resolved text version must appear as approved (assets/produced/texts.py); an outdated,
  altered or absent one is `proof_mismatch` with what differs.
- No driver data for the context, no communication of the template's name in DAS, an
  Orchestration that refuses or fails, or a document Govern will not read is
  `proof_unavailable`: a reason when the unit says so (`proof_unavailable_blocks`, the
  default), else a warning.
Each proof is stored under its sha256 (as samples are) and listed in the clearance's evidence.
"""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from assets.models import Version
from assets.produced.known import KnownContent, known_content
from assets.produced.matching import identify
from assets.produced.reading import FoundImage, Unreadable, look_over, read_pdf
from assets.produced.texts import normalised, text_difference
from assets.resolution import Context
from assets.storage import store_content
from assets.uploads import Content
from templates_app.exstream import das
from templates_app.exstream.client import ExstreamError
from templates_app.models import DriverSample, Template


class ProofUnavailable(Exception):
    """Exstream could not produce the proof, or Govern will not read what it produced."""


@dataclass
class Proofs:
    """What the proofs of one pre-flight found: reasons, warnings and their evidence."""

    reasons: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


def proofs_check(
    template: Template, contexts: list[Context], resolved: list[dict[str, Any]]
) -> Proofs:
    """Have a proof made and read for each context; say what differs from `resolved`."""
    found = Proofs()
    blocks = template.business_unit.proof_unavailable_blocks
    content: KnownContent | None = None
    for context in contexts:
        where = context.describe()
        try:
            data, sample = _produce(template, context)
        except ProofUnavailable as missing:
            said = {"code": "proof_unavailable", "detail": f"{where}: {missing}"}
            (found.reasons if blocks else found.warnings).append(said)
            found.evidence.append({"context": where, "unavailable": str(missing)})
            continue
        content = content or known_content(template.business_unit_id)
        expected = [entry for entry in resolved if entry["context"] == where]
        proof = _read(data, sample, where, expected, content)
        found.reasons += proof.pop("mismatches")
        found.evidence.append(proof)
    return found


def _produce(template: Template, context: Context) -> tuple[bytes, DriverSample]:
    sample = DriverSample.objects.filter(
        template=template,
        region=context.region,
        language=context.language,
        segment=context.segment,
        channel=context.channel,
    ).first()
    if sample is None:
        raise ProofUnavailable("no driver data is stored for this context")
    if settings.EXSTREAM_API != "das":
        raise ProofUnavailable("proofs are made through Orchestration (EXSTREAM_API=das)")
    try:
        gateway = das.gateway()
        communication = gateway.communication(template.exstream_id)
        if communication is None:
            raise ProofUnavailable(f"Exstream has no communication {template.exstream_id}")
        data = gateway.generate(
            communication.id, sample.data_source, sample.data.encode(), sample.media_type
        )
    except ExstreamError as failure:
        raise ProofUnavailable(f"Exstream did not produce it: {failure.detail}") from None
    try:
        pages = look_over(data)
    except Unreadable as refused:
        detail = f"the document Exstream produced is refused: {refused.reason}"
        raise ProofUnavailable(detail) from None
    if pages > settings.PROOF_MAX_PAGES:
        raise ProofUnavailable(f"{pages} pages; a proof has at most {settings.PROOF_MAX_PAGES}")
    return data, sample


def _read(
    data: bytes,
    sample: DriverSample,
    where: str,
    expected: list[dict[str, Any]],
    content: KnownContent,
) -> dict[str, Any]:
    """Read the proof and hold it to what pre-flight resolved for its context."""
    file = store_content(Content(data, "application/pdf", "pdf"))
    versions = Version.objects.filter(pk__in={e["version"] for e in expected}).select_related(
        "variant__asset"
    )
    wanted = {version.pk: version for version in versions}
    images, words, mismatches = [], [], []
    try:
        for page in read_pdf(data):
            words.append(page.text)
            words += [image.text for image in page.images if image.text]
            images += [_image(page.number, image, content) for image in page.images]
    except Unreadable as refused:
        mismatches.append({"code": "proof_unavailable", "detail": f"{where}: {refused.reason}"})
    shown = {image["version"] for image in images}
    for image in images:
        if image["version"] not in wanted:
            mismatches.append(_stray(where, image))
    for version in wanted.values():
        if not version.is_text and version.pk not in shown:
            mismatches.append(_missing(where, version, expected))
    said = normalised("\n".join(words))
    for version in wanted.values():
        if version.is_text:
            difference = text_difference(version, said)
            if difference is not None:
                mismatches.append(_text_mismatch(where, difference))
    return {
        "context": where,
        "driver_sample": sample.pk,
        "driver_sha256": sample.sha256,
        "sha256": Content(data, "application/pdf", "pdf").sha256,
        "file": file,
        "images": images,
        "mismatches": mismatches,
    }


def _image(page: int, image: FoundImage, content: KnownContent) -> dict[str, Any]:
    verdict = identify(
        content.index, stream_sha256=image.stream_sha256, pixels=image.pixels, load=content.load
    )
    match = verdict.match
    return {
        "page": page,
        "box": list(image.box),
        "version": content.versions[match.known.key] if match else None,
        "matched": match.known.key if match else "",
        "distance": match.distance if match else None,
        "problem": image.problem,
    }


def _stray(where: str, image: dict[str, Any]) -> dict[str, str]:
    if image["version"] is None:
        what = "an image that matches nothing Govern knows"
        if image["problem"]:
            what = f"an image Govern could not read ({image['problem']})"
        return {"code": "proof_mismatch", "detail": f"{where}: page {image['page']} shows {what}."}
    version = Version.objects.select_related("variant__asset").get(pk=image["version"])
    return {
        "code": "proof_mismatch",
        "detail": f"{where}: page {image['page']} shows {version}, which pre-flight did not "
        "resolve for any slot.",
        "object": f"version:{version.pk}",
    }


def _missing(where: str, version: Version, expected: list[dict[str, Any]]) -> dict[str, str]:
    slots = ", ".join(sorted({e["slot"] for e in expected if e["version"] == version.pk}))
    return {
        "code": "proof_mismatch",
        "detail": f"{where}: {slots} should show {version}; the proof does not.",
        "object": f"version:{version.pk}",
    }


def _text_mismatch(where: str, difference: Any) -> dict[str, str]:
    version = difference.version
    if difference.shown is not None:
        said = f"shows {difference.shown} instead of {version}"
    elif difference.kind == "absent":
        said = f"does not carry {version}"
    else:
        said = f"carries {version} altered: {difference.changed()}"
    return {
        "code": "proof_mismatch",
        "detail": f"{where}: the proof {said}.",
        "object": f"version:{version.pk}",
    }
