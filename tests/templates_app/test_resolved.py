"""A clearance keeps one resolved entry per slot and outcome, naming the contexts it holds for;
readers take that form and the one entry per context of clearances stored before it."""

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from assets.models import Asset, Version
from assets.resolution import Context
from assets.services import version_approve
from templates_app.models import Template
from templates_app.preflight import preflight_run
from templates_app.resolved import Resolved, contexts_of, entries
from templates_app.services import binding_set


def _entry(context: str, version: int = 7, **more: Any) -> dict[str, Any]:
    base = {"binding": 1, "slot": "Letter.logo", "version": version, "rights": "covered"}
    return {**base, "renditions": ["print"], "skipped": [], "context": context, **more}


def test_contexts_with_one_outcome_share_its_entry_in_the_order_they_came() -> None:
    resolved = Resolved()
    for context, version in (("DE", 7), ("AT", 8), ("CH", 7), ("FR", 8), ("IT", 9)):
        if not resolved.add(("slot", version), context):
            resolved.first(("slot", version), context, {"version": version})
    assert resolved.entries() == [
        {"version": 7, "contexts": ["DE", "CH"]},
        {"version": 8, "contexts": ["AT", "FR"]},
        {"version": 9, "contexts": ["IT"]},
    ]


def test_readers_see_one_entry_per_context_in_either_form() -> None:
    grouped = [{k: v for k, v in _entry("").items() if k != "context"}]
    grouped[0]["contexts"] = ["region DE", "region AT"]
    new = {"resolved": grouped}
    old = {"resolved": [_entry("region DE"), _entry("region AT")]}
    for evidence in (new, old):
        assert [e["context"] for e in entries(evidence)] == ["region DE", "region AT"]
        assert [e["version"] for e in entries(evidence, "region AT")] == [7]
        assert list(entries(evidence, "region FR")) == []
    assert contexts_of(new["resolved"][0]) == ["region DE", "region AT"]
    assert contexts_of(old["resolved"][1]) == ["region AT"]


@pytest.fixture
def letter(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    make_template: Callable[..., Template],
    deliver_all: Callable[[], Any],
) -> Template:
    """A letter in print and e-mail whose logo slot has one approved version, delivered."""
    version_approve(version=add_version(logo), actor=compliance_officer)
    deliver_all()
    letter = make_template("Letter", exstream_id="EX-LETTER", channels=["print", "email"])
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    return letter


def _resolved(letter: Template, designer: Any, contexts: list[Context]) -> list[dict[str, Any]]:
    clearance = preflight_run(
        template=letter, run_at=timezone.now(), contexts=contexts, actor=designer
    )
    return list(clearance.evidence["resolved"])


def test_a_preflight_stores_a_slot_filled_alike_in_many_contexts_once(
    letter: Template, designer: Any
) -> None:
    contexts = [Context(region=region, channel="print") for region in ("DE", "AT", "CH")]
    [filled] = _resolved(letter, designer, contexts)
    assert filled["version"] == Version.objects.get(state="approved").pk
    assert filled["contexts"] == [context.describe() for context in contexts]


def test_a_slot_filled_differently_by_channel_keeps_an_entry_per_outcome(
    letter: Template, designer: Any
) -> None:
    contexts = [
        Context(region=region, channel=channel)
        for region in ("DE", "AT")
        for channel in ("print", "email")
    ]
    filled = _resolved(letter, designer, contexts)
    assert [entry["contexts"] for entry in filled] == [
        ["region DE, channel print", "region AT, channel print"],
        ["region DE, channel email", "region AT, channel email"],
    ]
    assert filled[0]["renditions"] != filled[1]["renditions"]  # each channel its own
