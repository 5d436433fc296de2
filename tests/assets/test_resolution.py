"""Resolution picks the most specific approved variant: de-CH, then de, then any."""

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.models import Asset, Variant, Version
from assets.resolution import Catalogue, Context, language_candidates, resolve, specificity
from assets.selectors import clean_selectors
from assets.services import version_approve

AddVersion = Callable[..., Version]


@pytest.fixture
def approve(add_version: AddVersion, compliance_officer: Any) -> Callable[..., Version]:
    def approved(asset: Asset, **selectors: Any) -> Version:
        version = add_version(asset, selectors=clean_selectors(**selectors))
        return version_approve(version=version, actor=compliance_officer)

    return approved


def test_language_falls_back_from_region_specific_to_language_to_any(
    logo: Asset, approve: Callable[..., Version]
) -> None:
    anywhere = approve(logo)
    german = approve(logo, language="de")
    swiss = approve(logo, language="de-CH")
    assert resolve(logo, Context(language="de-CH")).version == swiss
    assert resolve(logo, Context(language="de-AT")).version == german
    assert resolve(logo, Context(language="fr")).version == anywhere


def test_region_segment_and_channel_must_fit(logo: Asset, approve: Callable[..., Version]) -> None:
    approve(logo, region="DE", channels=["print"])
    gold = approve(logo, region="DE", segment="gold")
    assert resolve(logo, Context(region="DE", segment="gold", channel="email")).version == gold
    result = resolve(logo, Context(region="FR", channel="print"))
    assert result.version is None
    assert result.reason == "No variant of brand.logo.primary fits region FR, channel print."


def test_a_fitting_variant_without_approval_falls_back_and_says_why(
    logo: Asset, approve: Callable[..., Version], add_version: AddVersion
) -> None:
    add_version(logo, selectors=clean_selectors(language="de"))  # in review only
    assert resolve(logo, Context(language="de")).version is None
    assert resolve(logo, Context(language="de")).reason == (
        "Variants of brand.logo.primary fit (de) but none has an approved version."
    )
    anywhere = approve(logo)
    assert resolve(logo, Context(language="de")).version == anywhere


def test_language_candidates_run_from_most_specific_to_any() -> None:
    assert language_candidates("zh-Hant-TW") == ("zh-Hant-TW", "zh-Hant", "zh", "")
    assert language_candidates("") == ("",)


selectors = st.fixed_dictionaries(
    {
        "language": st.sampled_from(["", "de", "de-CH", "fr"]),
        "region": st.sampled_from(["", "DE", "CH"]),
        "segment": st.sampled_from(["", "gold"]),
        "channels": st.sampled_from(["", "print", "email,print"]),
    }
)
contexts = st.builds(
    Context,
    language=st.sampled_from(["de", "de-CH", "fr", ""]),
    region=st.sampled_from(["DE", "CH", ""]),
    segment=st.sampled_from(["gold", ""]),
    channel=st.sampled_from(["print", "email", "web"]),
)


@given(variant=selectors, context=contexts)
def test_a_variant_fits_exactly_when_each_selector_is_empty_or_equal(
    variant: dict[str, str], context: Context
) -> None:
    candidate = Variant(**variant)
    fits = (
        variant["language"] in language_candidates(context.language)
        and variant["region"] in {"", context.region}
        and variant["segment"] in {"", context.segment}
        and (not variant["channels"] or context.channel in variant["channels"].split(","))
    )
    assert (specificity(candidate, context) is not None) == fits


@given(context=contexts)
def test_the_more_specific_language_always_ranks_higher(context: Context) -> None:
    ranks = [
        specificity(Variant(language=tag), context) for tag in language_candidates(context.language)
    ]
    assert all(rank is not None for rank in ranks)
    assert ranks == sorted(ranks, reverse=True)  # type: ignore[type-var]


def test_a_variant_the_judge_keeps_out_is_skipped_for_the_next_most_specific(
    logo: Asset, approve: Callable[..., Version]
) -> None:
    anywhere = approve(logo)
    german = approve(logo, language="de")
    catalogue = Catalogue([logo.pk])

    def ended_in_german(version: Version) -> tuple[str | None, Any]:
        return ("its licence ended", None) if version == german else (None, "ok")

    result = catalogue.resolve(logo, Context(language="de"), ended_in_german)
    assert result.version == anywhere and result.verdict == "ok"
    assert [(s.version, s.reason) for s in result.skipped] == [(german, "its licence ended")]
    nothing = catalogue.resolve(logo, Context(language="de"), lambda v: ("out of rights", None))
    assert nothing.version is None and len(nothing.skipped) == 2
    assert nothing.reason.startswith("No approved version of brand.logo.primary may be used")


SELECTORS: list[dict[str, Any]] = [
    {},
    {"language": "de"},
    {"language": "de-CH"},
    {"region": "DE"},
    {"language": "de", "region": "DE"},
    {"channels": ["print"]},
    {"language": "de", "channels": ["print"]},
    {"segment": "gold"},
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    blocked=st.sets(st.integers(0, len(SELECTORS) - 1)),
    language=st.sampled_from(["", "de", "de-CH", "fr"]),
    region=st.sampled_from(["", "DE", "FR"]),
    channel=st.sampled_from(["", "print", "web"]),
    segment=st.sampled_from(["", "gold"]),
)
def test_resolution_chooses_the_most_specific_variant_the_judge_lets_through(
    variants_of_logo: tuple[Asset, list[Version]],
    blocked: set[int],
    language: str,
    region: str,
    channel: str,
    segment: str,
) -> None:
    logo, versions = variants_of_logo
    context = Context(region=region, language=language, segment=segment, channel=channel)
    kept_out = {versions[index].pk for index in blocked}
    result = Catalogue([logo.pk]).resolve(
        logo, context, lambda v: ("blocked", None) if v.pk in kept_out else (None, None)
    )
    fitting = [
        (rank, version)
        for version in versions
        if (rank := specificity(version.variant, context)) is not None
    ]
    allowed = [(rank, v) for rank, v in fitting if v.pk not in kept_out]
    if not allowed:
        assert result.version is None
        return
    best = max(rank for rank, _ in allowed)
    assert result.version is not None
    assert specificity(result.version.variant, context) == best
    assert all(rank >= best for rank, v in fitting if v in [s.version for s in result.skipped])
    assert {s.version.pk for s in result.skipped} <= kept_out


@pytest.fixture
def variants_of_logo(logo: Asset, approve: Callable[..., Version]) -> tuple[Asset, list[Version]]:
    return logo, [approve(logo, **selectors) for selectors in SELECTORS]
