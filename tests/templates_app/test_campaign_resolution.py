"""Property: for random campaigns and instants, a slot resolves to a campaign's version exactly
when the instant lies in that campaign's window, its state lets it run, and its contexts match;
among several, the one naming the slot, then the most specific, then the latest go-live."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.resolution import Context
from templates_app.campaigns.book import CampaignBook
from templates_app.models import Binding, Campaign, CampaignItem, CampaignState

pytestmark = pytest.mark.django_db

ORIGIN = datetime(2027, 3, 1, tzinfo=UTC)
REGIONS, LANGUAGES = ["", "DE", "AT"], ["", "de", "de-CH", "fr"]

campaign_specs = st.fixed_dictionaries(
    {
        "start": st.integers(0, 40),
        "length": st.one_of(st.none(), st.integers(1, 30)),
        # Mostly states that run, so that matches are common; every state appears.
        "state": st.one_of(
            st.sampled_from([CampaignState.APPROVED, CampaignState.LIVE]),
            st.sampled_from(CampaignState.values),
        ),
        "blocked": st.sampled_from([False, False, False, True]),
        "whole_asset": st.booleans(),
        "region": st.sampled_from(REGIONS),
        "language": st.sampled_from(LANGUAGES),
    }
)


def expected(spec: dict[str, Any], at: datetime, region: str, language: str) -> bool:
    """The rule, written out apart from the code under test."""
    start = ORIGIN + timedelta(days=spec["start"])
    end = start + timedelta(days=spec["length"]) if spec["length"] else None
    in_window = start <= at and (end is None or at < end)
    runs = spec["state"] in ("approved", "live") and not spec["blocked"]
    region_fits = spec["region"] in ("", region)
    language_fits = spec["language"] in ("", language) or language.startswith(
        spec["language"] + "-"
    )
    return in_window and runs and region_fits and language_fits


def bounds(specs: list[dict[str, Any]]) -> list[datetime]:
    """Each campaign's go-live and end, where an off-by-one would show."""
    found = []
    for spec in specs:
        found.append(ORIGIN + timedelta(days=spec["start"]))
        if spec["length"]:
            found.append(ORIGIN + timedelta(days=spec["start"] + spec["length"]))
    return found


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    specs=st.lists(campaign_specs, max_size=4),
    data=st.data(),
    region=st.sampled_from(REGIONS[1:]),
    language=st.sampled_from(["de-CH", "de", "de-CH", "fr", "en"]),
)
def test_a_slot_resolves_to_a_campaign_exactly_inside_its_window_and_contexts(
    scene: dict[str, Any], specs: list[dict[str, Any]], data: Any, region: str, language: str
) -> None:
    anywhere = st.integers(0, 80 * 24 * 60).map(lambda minutes: ORIGIN + timedelta(minutes=minutes))
    near_a_bound = st.tuples(
        st.sampled_from(bounds(specs) or [ORIGIN]), st.sampled_from([-1, 0, 1])
    )
    starts = [ORIGIN + timedelta(days=spec["start"]) for spec in specs] or [ORIGIN]
    inside = st.tuples(st.sampled_from(starts), st.integers(0, 24 * 60)).map(
        lambda pair: pair[0] + timedelta(minutes=pair[1])
    )
    at = data.draw(
        st.one_of(
            inside, near_a_bound.map(lambda pair: pair[0] + timedelta(seconds=pair[1])), anywhere
        )
    )
    binding = Binding.objects.get(template=scene["header"], slot="header_logo")
    with transaction.atomic():
        items = {}
        for n, spec in enumerate(specs):
            start = ORIGIN + timedelta(days=spec["start"])
            campaign = Campaign.objects.create(
                name=f"c{n}",
                business_unit=scene["header"].business_unit,
                go_live_at=start,
                ends_at=start + timedelta(days=spec["length"]) if spec["length"] else None,
                state=spec["state"],
                blocked=spec["blocked"],
            )
            target = (
                {"asset": scene["logo"]}
                if spec["whole_asset"]
                else {"template": scene["header"], "slot": "header_logo"}
            )
            made = CampaignItem.objects.create(
                campaign=campaign,
                version=scene["visual"],
                region=spec["region"],
                language=spec["language"],
                **target,
            )
            items[made.pk] = spec
        chosen = CampaignBook([binding], at).item_for(binding, Context(region, language))
        transaction.set_rollback(True)
    matching = {pk for pk, spec in items.items() if expected(spec, at, region, language)}
    if not matching:
        assert chosen is None
        return
    assert chosen is not None and chosen.pk in matching
    best = max(
        matching,
        key=lambda pk: (
            not items[pk]["whole_asset"],
            bool(items[pk]["region"]) + bool(items[pk]["language"]),
            len(items[pk]["language"]),
            items[pk]["start"],
            pk,
        ),
    )
    assert chosen.pk == best


def test_the_item_naming_the_slot_beats_the_asset_wide_one_then_the_more_specific(
    scene: dict[str, Any],
) -> None:
    binding = Binding.objects.get(template=scene["header"], slot="header_logo")

    def running(name: str, **target: Any) -> CampaignItem:
        campaign = Campaign.objects.create(
            name=name,
            business_unit=scene["header"].business_unit,
            go_live_at=ORIGIN,
            ends_at=ORIGIN + timedelta(days=10),
            state=CampaignState.LIVE,
        )
        return CampaignItem.objects.create(campaign=campaign, version=scene["visual"], **target)

    wide = running("wide", asset=scene["logo"], region="DE", language="de")
    slot = running("slot", template=scene["header"], slot="header_logo")
    german = running("german", template=scene["header"], slot="header_logo", language="de")

    def chosen(at: datetime, language: str = "de-CH") -> Any:
        found = CampaignBook([binding], at).item_for(binding, Context("DE", language))
        return found.pk if found else None

    inside = ORIGIN + timedelta(days=1)
    assert chosen(inside) == german.pk
    assert chosen(inside, "fr") == slot.pk
    CampaignItem.objects.filter(pk__in=[slot.pk, german.pk]).delete()
    assert chosen(inside) == wide.pk
    assert chosen(ORIGIN + timedelta(days=10)) is None
    assert chosen(ORIGIN + timedelta(days=10) - timedelta(microseconds=1)) == wide.pk
