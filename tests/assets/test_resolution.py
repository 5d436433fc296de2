"""Resolution picks the most specific approved variant: de-CH, then de, then any."""

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assets.models import Asset, Variant, Version
from assets.resolution import Context, language_candidates, resolve, specificity
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
    assert language_candidates("zh-Hant-TW") == ["zh-Hant-TW", "zh-Hant", "zh", ""]
    assert language_candidates("") == [""]


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
