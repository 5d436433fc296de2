"""A clearance keeps one resolved entry per slot and outcome, naming the contexts it holds for;
readers take that form and the one entry per context of clearances stored before it."""

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from assets.models import Asset, Version
from assets.resolution import Context
from assets.services import version_approve
from templates_app.models import Template
from templates_app.preflight import preflight_run
from templates_app.resolved import contexts_of, entries, grouped
from templates_app.services import binding_set


def _entry(context: str, version: int = 7, **more: Any) -> dict[str, Any]:
    base = {"binding": 1, "slot": "Letter.logo", "version": version, "rights": "covered"}
    return {**base, "renditions": ["print"], "skipped": [], "context": context, **more}


def test_entries_that_say_the_same_of_a_slot_become_one_naming_their_contexts() -> None:
    merged = grouped(
        [
            _entry("region DE"),
            _entry("region AT", version=8),
            _entry("region CH"),
            _entry("region FR", skipped=[{"version": 8, "reason": "out of rights"}]),
        ]
    )
    assert [(e["version"], e["contexts"]) for e in merged] == [
        (7, ["region DE", "region CH"]),
        (8, ["region AT"]),
        (7, ["region FR"]),  # the same version, but it passed over another to get there
    ]
    assert all("context" not in entry for entry in merged)


def test_a_campaign_or_other_renditions_keep_entries_apart() -> None:
    merged = grouped(
        [_entry("a"), _entry("b", campaign=3), _entry("c", renditions=["email"]), _entry("d")]
    )
    assert [entry["contexts"] for entry in merged] == [["a", "d"], ["b"], ["c"]]


def test_readers_see_one_entry_per_context_in_either_form() -> None:
    new = {"resolved": grouped([_entry("region DE"), _entry("region AT")])}
    old = {"resolved": [_entry("region DE"), _entry("region AT")]}
    for evidence in (new, old):
        assert [e["context"] for e in entries(evidence)] == ["region DE", "region AT"]
        assert [e["version"] for e in entries(evidence, "region AT")] == [7]
        assert list(entries(evidence, "region FR")) == []
    assert contexts_of(new["resolved"][0]) == ["region DE", "region AT"]
    assert contexts_of(old["resolved"][1]) == ["region AT"]


def test_a_preflight_stores_a_slot_filled_alike_in_many_contexts_once(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    make_template: Callable[..., Template],
    deliver_all: Callable[[], Any],
) -> None:
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    deliver_all()
    letter = make_template("Letter", exstream_id="EX-LETTER", channels=["print"])
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    contexts = [Context(region=region, channel="print") for region in ("DE", "AT", "CH")]
    clearance = preflight_run(
        template=letter, run_at=timezone.now(), contexts=contexts, actor=designer
    )
    [filled] = clearance.evidence["resolved"]
    assert filled["version"] == version.pk
    assert filled["contexts"] == [context.describe() for context in contexts]
