"""The rights function: every licence term kind, and the rules that hold whatever the terms."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.models import LicenceReading, LicensePurchase, LicenseTerm
from assets.resolution import Context
from assets.rights import Outcome, PurchaseUse, Rights, Use, judge
from assets.rights.readings import delivered_empty, licence_sha256
from assets.smintio.mapping import stated_empty
from govern.models import BusinessUnit

AT = datetime(2027, 1, 5, 12, tzinfo=UTC)
MAPPINGS = {
    "license_geographies": {"g_de": ["DE"], "g_fr": ["FR"], "g_all": ["*"], "g_dach": ["DE", "AT"]},
    "license_usages": {"u_print": ["print"], "u_web": ["web"], "u_outdoor": []},
    "license_languages": {"l_de": ["de"], "l_en": ["en"]},
    "license_placements": {"p_inside": ["inside"], "p_cover": ["cover"]},
    "license_industries": {"i_energy": ["energy"], "i_finance": ["banking", "insurance"]},
    "license_sizes": {"s_full": ["210mm"], "s_half": ["148mm"], "s_web": ["2000px"]},
    "license_distributions": {"d_100k": ["100000"], "d_any": ["*"]},
}
DE_PRINT = Use(Context(region="DE", language="de", channel="print"), AT, "inside", 40)


def term(**given: Any) -> LicenseTerm:
    """A term that limits nothing (every list delivered empty, which answer() has read as
    none), with the given fields."""
    values: dict[str, Any] = {
        **stated_empty(),
        "is_editorial_use": False,
        "active": True,
        "created_at": AT - timedelta(days=400),
        "sequence_number": 1,
    }
    return LicenseTerm(purchase_id=1, **(values | given))


def purchase(**given: Any) -> LicensePurchase:
    values = {"state": "completed", "model_release_state": "released"}
    values |= {"property_release_state": "no_release_required"}
    return LicensePurchase(pk=1, uuid="p", **(values | given))


UNIT = BusinessUnit(pk=1, name="Energy", slug="energy", industry="energy")


def answer(
    *terms: LicenseTerm,
    use: Use = DE_PRINT,
    unit: BusinessUnit = UNIT,
    bought: LicensePurchase | None = None,
    facts: PurchaseUse | None = None,
    mappings: dict[str, dict[str, list[str]]] = MAPPINGS,
    read: bool = True,
) -> Rights:
    """Judge the terms as a reader who found the licence silent on its empty lists would."""
    bought = bought or purchase()
    reading = LicenceReading(
        pk=1,
        purchase_id=1,
        terms=delivered_empty(terms),
        licence_sha256=licence_sha256(bought, terms),
        signed_at=AT - timedelta(days=300),
    )
    return judge(
        [(bought, list(terms))],
        unit,
        use,
        pixels=1200,
        facts={1: facts or PurchaseUse()},
        mappings=mappings,
        readings={1: [reading]} if read else {},
    )


def test_a_version_without_a_purchase_needs_no_licence() -> None:
    assert judge([], UNIT, DE_PRINT).outcome == Outcome.COVERED


@pytest.mark.parametrize(
    ("given", "outcome", "said"),
    [
        ({}, Outcome.COVERED, ""),
        ({"valid_from": AT + timedelta(days=1)}, Outcome.NOT_COVERED, "valid only from 2027-01-06"),
        ({"valid_until": AT - timedelta(days=1)}, Outcome.NOT_COVERED, "valid only until"),
        ({"allowed_geographies": ["g_fr"]}, Outcome.NOT_COVERED, "not for region DE"),
        ({"allowed_geographies": ["g_dach"]}, Outcome.COVERED, ""),
        ({"restricted_geographies": ["g_de"]}, Outcome.NOT_COVERED, "restricted for region DE"),
        ({"allowed_usages": ["u_web"]}, Outcome.NOT_COVERED, "not for channel print"),
        ({"restricted_usages": ["u_outdoor"]}, Outcome.COVERED, ""),
        ({"allowed_languages": ["l_en"]}, Outcome.NOT_COVERED, "not for language de"),
        ({"allowed_placements": ["p_cover"]}, Outcome.NOT_COVERED, "not for placement inside"),
        ({"restricted_industries": ["i_energy"]}, Outcome.NOT_COVERED, "industry energy"),
        ({"allowed_industries": ["i_finance"]}, Outcome.NOT_COVERED, "not for industry energy"),
        ({"allowed_sizes": ["s_half"]}, Outcome.COVERED, ""),
        ({"restricted_sizes": ["s_full"]}, Outcome.COVERED, ""),
        ({"allowed_sizes": ["s_web"]}, Outcome.UNKNOWN, "state nothing in mm"),
        ({"is_editorial_use": True}, Outcome.NOT_COVERED, "editorial use only"),
        ({"is_editorial_use": None}, Outcome.UNKNOWN, "editorial use only is not stated"),
        ({"allowed_placements": None}, Outcome.UNKNOWN, "allowed placements are not stated"),
        ({"allowed_geographies": ["g_mars"]}, Outcome.UNKNOWN, "g_mars are not mapped"),
        ({"restricted_languages": ["l_xx"]}, Outcome.UNKNOWN, "l_xx are not mapped"),
        ({"usage_limits": None}, Outcome.UNKNOWN, "usage limits are not stated"),
        ({"usage_limits": ["one_campaign"]}, Outcome.UNKNOWN, "one_campaign have no volume"),
        ({"exclusivities": ["x_energy_dach"]}, Outcome.COVERED, ""),
    ],
)
def test_each_term_kind_is_judged(given: dict[str, Any], outcome: Outcome, said: str) -> None:
    rights = answer(term(**given))
    assert rights.outcome == outcome
    assert said in rights.summary()


def test_malformed_term_lists_are_unknown_not_a_crash() -> None:
    odd = term(allowed_geographies="g_de", restricted_usages=[{"key": "u_web"}])
    rights = answer(odd)
    assert rights.outcome == Outcome.UNKNOWN
    assert "its allowed geographies are not stated" in rights.unknown


def test_a_slot_wider_than_the_allowed_size_or_inside_a_restricted_one_is_not_covered() -> None:
    wide = Use(DE_PRINT.context, AT, "inside", 200)
    assert "allowed only up to 148mm" in answer(term(allowed_sizes=["s_half"]), use=wide).summary()
    assert "restricted from 148mm" in answer(term(restricted_sizes=["s_half"]), use=wide).summary()
    unsized = Use(DE_PRINT.context, AT, "inside", None)
    assert answer(term(allowed_sizes=["s_half"]), use=unsized).outcome == Outcome.UNKNOWN
    web = Use(Context(region="DE", channel="web"), AT)
    assert answer(term(allowed_sizes=["s_web"]), use=web).outcome == Outcome.COVERED


def test_a_slot_without_placement_is_unknown_where_the_term_limits_placement() -> None:
    unplaced = Use(DE_PRINT.context, AT, "", 40)
    rights = answer(term(allowed_placements=["p_inside"]), use=unplaced)
    assert rights.outcome == Outcome.UNKNOWN
    assert rights.unknown == ("the use names no placement",)
    assert answer(term(), use=unplaced).outcome == Outcome.COVERED


def test_a_unit_that_did_not_say_its_industry_is_unknown_where_terms_name_industries() -> None:
    silent = BusinessUnit(pk=1, name="Bank", slug="bank", industry="")
    assert answer(term(allowed_industries=["i_energy"]), unit=silent).outcome == Outcome.UNKNOWN


def test_editorial_content_is_usable_by_a_unit_that_publishes_editorial_content() -> None:
    magazine = BusinessUnit(pk=1, name="Mag", slug="mag", industry="energy")
    magazine.publishes_editorial = True
    editorial = term(is_editorial_use=True)
    assert answer(editorial, unit=magazine).outcome == Outcome.COVERED
    unreleased = purchase(model_release_state="not_released")
    assert answer(term(), bought=unreleased, unit=magazine).outcome == Outcome.COVERED
    assert "without a model release" in answer(term(), bought=unreleased).summary()


@pytest.mark.parametrize(
    ("state", "outcome"),
    [("released", Outcome.COVERED), ("all", Outcome.COVERED), ("", Outcome.UNKNOWN)],
)
def test_release_states_open_ended_values_are_unknown(state: str, outcome: Outcome) -> None:
    assert answer(term(), bought=purchase(property_release_state=state)).outcome == outcome
    odd = purchase(property_release_state="pending_review")
    assert "not known (pending_review)" in answer(term(), bought=odd).summary()


def test_to_be_used_until_is_the_last_day_a_first_use_may_start() -> None:
    first_by = term(to_be_used_until=AT - timedelta(days=10))
    assert "to be first used by" in answer(first_by).summary()
    earlier = PurchaseUse(first_use=AT - timedelta(days=20), mapped_limits=frozenset())
    assert answer(first_by, facts=earlier).outcome == Outcome.COVERED
    assert answer(term(to_be_used_until=AT + timedelta(days=1))).outcome == Outcome.COVERED


def test_volumes_from_usage_reports_judge_distributions_and_limits() -> None:
    big = PurchaseUse(documents=150_000, mapped_limits=frozenset({"one_campaign"}))
    assert (
        "allowed only up to 100,000"
        in answer(term(allowed_distributions=["d_100k"]), facts=big).summary()
    )
    assert answer(term(allowed_distributions=["d_any"]), facts=big).outcome == Outcome.COVERED
    assert answer(term(usage_limits=["one_campaign"]), facts=big).outcome == Outcome.COVERED
    over = PurchaseUse(exceeded=("used for 2,000 documents, over its limit of 1,000",))
    assert "over its limit of 1,000" in answer(term(), facts=over).summary()
    not_counted = Use(DE_PRINT.context, AT, "inside", 40, volumes=False)
    assert answer(term(), facts=over, use=not_counted).outcome == Outcome.COVERED


def test_a_cancelled_purchase_covers_nothing_and_a_term_needs_to_be_held() -> None:
    assert "cancelled" in answer(term(), bought=purchase(state="cancelled")).summary()
    assert "no licence terms" in answer(term(active=False)).summary()
    judged_then = Use(DE_PRINT.context, AT, "inside", 40, known_at=AT - timedelta(days=500))
    assert answer(term(), use=judged_then).outcome == Outcome.NOT_COVERED


def test_every_reason_is_given_when_nothing_covers() -> None:
    rights = answer(
        term(allowed_geographies=["g_fr"], allowed_usages=["u_web"]),
        term(sequence_number=2, valid_until=AT - timedelta(days=1)),
    )
    assert rights.outcome == Outcome.NOT_COVERED
    assert set(rights.reasons) == {
        "not for region DE",
        "not for channel print",
        "valid only until 2027-01-04",
    }


# Properties: terms drawn from these lists, judged in the same use.
GEO_KEYS = st.sampled_from(["g_de", "g_fr", "g_all", "g_dach", "g_mars"])
USE_KEYS = st.sampled_from(["u_print", "u_web", "u_outdoor", "u_radio"])
key_lists = st.one_of(st.none(), st.lists(GEO_KEYS, max_size=3))
use_lists = st.one_of(st.none(), st.lists(USE_KEYS, max_size=3))
terms = st.builds(
    term,
    allowed_geographies=key_lists,
    restricted_geographies=key_lists,
    allowed_usages=use_lists,
    restricted_usages=use_lists,
    valid_from=st.one_of(st.none(), st.just(AT - timedelta(days=1)), st.just(AT + timedelta(1))),
    is_editorial_use=st.sampled_from([False, None, True]),
)
uses = st.builds(
    lambda region, channel: Use(Context(region=region, channel=channel), AT, "inside", 40),
    st.sampled_from(["DE", "FR", "AT", "US", ""]),
    st.sampled_from(["print", "web", ""]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(terms, max_size=4), uses)
def test_any_covering_term_is_enough(others: list[LicenseTerm], use: Use) -> None:
    assert answer(*others, term(), use=use).outcome == Outcome.COVERED


@settings(max_examples=300, deadline=None)
@given(terms, uses)
def test_a_restriction_that_applies_beats_any_permission(drawn: LicenseTerm, use: Use) -> None:
    drawn.allowed_geographies = ["g_all"]
    drawn.restricted_geographies = [*(drawn.restricted_geographies or []), "g_de", "g_fr"]
    if use.context.region in ("DE", "FR"):
        assert answer(drawn, use=use).outcome == Outcome.NOT_COVERED


@settings(max_examples=300, deadline=None)
@given(st.lists(terms, min_size=1, max_size=3), uses, st.sets(st.sampled_from(list(MAPPINGS))))
def test_unknown_is_never_false_nor_true(
    drawn: list[LicenseTerm], use: Use, forgotten: set[str]
) -> None:
    """Forgetting what keys mean can only make an answer unknown, never flip it."""
    known = answer(*drawn, use=use).outcome
    fewer = {name: keys for name, keys in MAPPINGS.items() if name not in forgotten}
    assert answer(*drawn, use=use, mappings=fewer).outcome in {known, Outcome.UNKNOWN}


@settings(max_examples=200, deadline=None)
@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_validity_is_judged_inclusively_on_its_bounds(start: int, end: int, at: int) -> None:
    valid_from, valid_until = AT + timedelta(hours=start), AT + timedelta(hours=end)
    moment = AT + timedelta(hours=at)
    use = Use(DE_PRINT.context, moment, "inside", 40)
    covered = answer(term(valid_from=valid_from, valid_until=valid_until), use=use).covered
    assert covered == (valid_from <= moment <= valid_until)


many_uses = st.lists(
    st.builds(
        lambda region, channel, language, later, volumes, known_at: Use(
            Context(region=region, channel=channel, language=language),
            AT + timedelta(days=400 * later),
            "inside",
            40,
            known_at=known_at,
            volumes=volumes,
        ),
        st.sampled_from(["DE", "FR", "AT", "US", ""]),
        st.sampled_from(["print", "web", ""]),
        st.sampled_from(["de", "en", "de-CH", ""]),
        st.integers(0, 1),
        st.booleans(),
        st.sampled_from([None, AT - timedelta(days=1), AT + timedelta(days=1)]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(terms, min_size=1, max_size=3), many_uses, st.booleans())
def test_judging_many_uses_at_once_answers_as_judging_each(
    drawn: list[LicenseTerm], uses: list[Use], cancelled: bool
) -> None:
    """A pre-flight judges a slot in all its contexts at once: every answer, reasons and their
    order included, is the one that use gets judged alone."""
    from assets.rights.judge import judge_many

    bought = purchase(state="cancelled", cancelled_at=AT) if cancelled else purchase()
    reading = LicenceReading(
        pk=1, purchase_id=1, terms=delivered_empty(drawn), signed_at=AT - timedelta(days=300)
    )
    facts = {1: PurchaseUse(documents=50_000, exceeded=("past 10 copies",))}
    readings = {1: [reading]}
    licences = [(bought, drawn)]
    together = judge_many(
        licences, UNIT, uses, pixels=1200, facts=facts, mappings=MAPPINGS, readings=readings
    )
    assert together == [
        judge(licences, UNIT, use, pixels=1200, facts=facts, mappings=MAPPINGS, readings=readings)
        for use in uses
    ]
