"""Judge a read sample's text against the texts its run's clearance chose.

The clearance names, per context, the version filling each slot; the text versions among those
of the sample's context must appear in the document. Both sides are compared after the same
normalising: Unicode compatibility forms (ligatures), soft hyphens dropped, a word hyphenated
across a line joined, and every run of whitespace one space. A text that appears as approved is
fine. One of the same asset's other versions appearing instead is `as_produced_outdated`, naming
it; otherwise the closest passage that shares most of the approved words is
`as_produced_altered`, with the word diff, and no such passage is `as_produced_altered` too
("does not appear").

A sample whose context the clearance did not check, or a run without a clearance, gets no text
findings: nothing says which texts it had to carry (the run's own `uncleared_run` says the rest).
"""

import difflib
import re
import unicodedata
from typing import Any

from assets.models import Version
from assets.previews import word_diff
from assets.resolution import Context
from usage.models import ExceptionCode, ProductionSample
from usage.reconcile import Finding, named

HYPHENATED = re.compile(r"(\w)-\s*\n\s*(\w)")
SPACES = re.compile(r"\s+")
# A passage sharing less of the approved words than this is not a variant of it, but absent.
SIMILAR = 0.6


def normalised(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = HYPHENATED.sub(r"\1\2", text.replace("\r\n", "\n"))
    return SPACES.sub(" ", text).strip()


def expected_texts(sample: ProductionSample) -> list[Version] | None:
    """The text versions the run's clearance chose for the sample's context, or None when
    nothing says (no clearance, or a context it did not check)."""
    clearance = sample.run.clearance
    if clearance is None:
        return None
    context = Context(
        language=sample.language,
        region=sample.region,
        segment=sample.segment,
        channel=sample.channel,
    ).describe()
    resolved = [e for e in clearance.evidence.get("resolved", []) if e.get("context") == context]
    if not resolved:
        return None
    ids = {entry["version"] for entry in resolved}
    versions = Version.objects.filter(pk__in=ids).select_related("variant__asset")
    return [version for version in versions if version.is_text]


def text_findings(sample: ProductionSample, document: str) -> list[Finding]:
    expected = expected_texts(sample)
    if not expected:
        return []
    said = normalised(document)
    findings = []
    for version in expected:
        finding = _judge_text(sample, version, said)
        if finding is not None:
            findings.append(finding)
    return findings


def _judge_text(sample: ProductionSample, version: Version, said: str) -> Finding | None:
    approved = normalised(version.text)
    if approved and approved in said:
        return None
    older = _other_version_shown(version, said)
    if older is not None:
        return _finding(
            sample,
            version,
            ExceptionCode.AS_PRODUCED_OUTDATED,
            f"shows {named(older)} where the run was cleared for {named(version)}",
            {"shown_version": older.pk},
        )
    passage = closest_passage(approved, said)
    if passage is None:
        return _finding(
            sample,
            version,
            ExceptionCode.AS_PRODUCED_ALTERED,
            f"does not carry {named(version)}: its text does not appear",
            {"passage": ""},
        )
    diff = word_diff(approved, passage)
    changed = " ".join(f"[{op}: {text.strip()}]" for op, text in diff if op != "same")
    return _finding(
        sample,
        version,
        ExceptionCode.AS_PRODUCED_ALTERED,
        f"carries {named(version)} altered: {changed}",
        {"passage": passage, "diff": [list(piece) for piece in diff]},
    )


def _other_version_shown(version: Version, said: str) -> Version | None:
    others = Version.objects.filter(variant__asset_id=version.variant.asset_id).exclude(
        pk=version.pk
    )
    for other in others.select_related("variant__asset").order_by("-number"):
        text = normalised(other.text)
        if text and text in said:
            return other
    return None


def closest_passage(approved: str, said: str) -> str | None:
    """The stretch of the document that shares most of the approved words, if it shares at
    least SIMILAR of them."""
    wanted, words = approved.split(" "), said.split(" ")
    matcher = difflib.SequenceMatcher(a=words, b=wanted, autojunk=False)
    blocks = [block for block in matcher.get_matching_blocks() if block.size]
    if not blocks:
        return None
    best = max(blocks, key=lambda block: block.size)
    start = max(0, best.a - best.b)
    end = min(len(words), start + len(wanted) + max(3, len(wanted) // 5))
    window = words[start:end]
    window_matcher = difflib.SequenceMatcher(a=wanted, b=window, autojunk=False)
    shared = sum(block.size for block in window_matcher.get_matching_blocks())
    if shared / len(wanted) < SIMILAR:
        return None
    last = max((b.b + b.size for b in window_matcher.get_matching_blocks() if b.size), default=0)
    return " ".join(window[: max(last, len(wanted))])  # a changed ending is part of it


def _finding(
    sample: ProductionSample,
    version: Version,
    code: ExceptionCode,
    said: str,
    evidence: dict[str, Any],
) -> Finding:
    run = sample.run
    kind = "altered" if code == ExceptionCode.AS_PRODUCED_ALTERED else "outdated"
    return Finding(
        key=f"as_produced_{kind}:sample:{sample.pk}:version:{version.pk}",
        code=code,
        run_id=run.pk,
        unit_id=sample.business_unit_id,
        version_id=version.pk,
        detail=f"Sample {sample.file_name or sample.sha256[:12]} of run {run.run_id} {said}.",
        evidence={
            "sample": sample.pk,
            "sample_sha256": sample.sha256,
            "version": version.pk,
            "approved_text": version.text,
            **evidence,
        },
    )
