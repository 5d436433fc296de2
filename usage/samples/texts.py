"""Judge a read sample's text against the texts its run's clearance chose.

The clearance names, per context, the version filling each slot; the text versions among those
of the sample's context must appear in the document, as assets/produced/texts.py compares them.
A text that appears as approved is fine; one of the same asset's other versions appearing
instead is `as_produced_outdated`, naming it; a variant of it, or its absence, is
`as_produced_altered` (with the word diff, or "does not appear").

A sample whose context the clearance did not check, or a run without a clearance, gets no text
findings: nothing says which texts it had to carry (the run's own `uncleared_run` says the rest).
"""

from typing import Any

from assets.models import Version
from assets.produced.texts import TextDifference, normalised, text_difference
from assets.resolution import Context
from templates_app.resolved import entries
from usage.models import ExceptionCode, ProductionSample
from usage.reconcile import Finding, named


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
    resolved = list(entries(clearance.evidence, context))
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
    difference = text_difference(version, said)
    if difference is None:
        return None
    return _finding(sample, version, *_described(difference))


def _described(difference: TextDifference) -> tuple[ExceptionCode, str, dict[str, Any]]:
    version = difference.version
    if difference.shown is not None:
        return (
            ExceptionCode.AS_PRODUCED_OUTDATED,
            f"shows {named(difference.shown)} where the run was cleared for {named(version)}",
            {"shown_version": difference.shown.pk},
        )
    if difference.kind == "absent":
        return (
            ExceptionCode.AS_PRODUCED_ALTERED,
            f"does not carry {named(version)}: its text does not appear",
            {"passage": ""},
        )
    return (
        ExceptionCode.AS_PRODUCED_ALTERED,
        f"carries {named(version)} altered: {difference.changed()}",
        {"passage": difference.passage, "diff": [list(piece) for piece in difference.diff]},
    )


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
