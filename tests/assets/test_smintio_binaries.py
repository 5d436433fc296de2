"""A purchase's binaries as the SDK means them: culture is the variant's language, a binary is
known by its uuid (never its place in the list), and its recommended file name is kept, safely."""

import io
from typing import Any

import pytest
from PIL import Image

from assets.models import Version
from assets.smintio.sync import Binary, SyncReport, purchase_apply, safe_file_name
from assets.uploads import inspect_bytes
from govern.models import BusinessUnit
from tests.assets.test_licence_readings import sdk_test_purchase


def picture(colour: str) -> Any:
    output = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(output, "PNG")
    return inspect_bytes(output.getvalue())


def binary(uuid: str, colour: str, culture: str = "en", version: int = 1) -> Binary:
    return Binary(uuid, version, picture(colour), culture, "standard", "Main", f"{uuid}.png")


def apply(unit: BusinessUnit, *binaries: Binary) -> SyncReport:
    report = SyncReport()
    purchase_apply(lpt=sdk_test_purchase(), binaries=list(binaries), unit=unit, report=report)
    return report


def variants() -> set[tuple[str, str, str]]:
    return set(
        Version.objects.values_list(
            "metadata__smintio_binary", "variant__language", "variant__segment"
        )
    )


def test_binaries_of_one_culture_are_told_apart_by_uuid_not_position(
    unit: BusinessUnit, roles: None
) -> None:
    apply(unit, binary("B-front", "#111111"), binary("a-detail", "#222222"))
    assert variants() == {("B-front", "", "b-front"), ("a-detail", "", "a-detail")}
    # Listed the other way round, with a new version of one: it lands where it was.
    apply(unit, binary("a-detail", "#333333", version=2), binary("B-front", "#111111"))
    detail = Version.objects.filter(metadata__smintio_binary="a-detail")
    assert {v.variant.segment for v in detail} == {"a-detail"} and detail.count() == 2


def test_cultures_make_language_variants_and_keep_their_variant_later(
    unit: BusinessUnit, roles: None
) -> None:
    apply(unit, binary("de-1", "#111111", "de_DE"), binary("en-1", "#222222", "en"))
    assert variants() == {("de-1", "de-DE", ""), ("en-1", "en", "")}
    apply(unit, binary("de-1", "#444444", "de_DE", version=2))
    assert Version.objects.filter(variant__language="de-DE").count() == 2


def test_a_culture_that_is_no_language_is_noted_and_serves_every_language(
    unit: BusinessUnit, roles: None
) -> None:
    report = apply(unit, binary("x-1", "#111111", "not a tag!"), binary("y-1", "#222222", "en"))
    assert ("x-1", "", "") in variants()
    assert any("culture 'not a tag!' is no language" in p for p in report.problems)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("wind.png", "wind.png"),
        ("../../etc/passwd", "passwd"),
        ('a"b;c.png', "a_b_c.png"),
        ("C:\\photos\\x.jpg", "x.jpg"),
        ("...", ""),
    ],
)
def test_recommended_file_names_are_kept_without_paths_or_quotes(given: str, kept: str) -> None:
    assert safe_file_name(given) == kept
