"""What Smint.io's vocabulary keys mean is data people edit; licences are judged by it."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assets.models import Asset, LicenseTerm, Version, VocabularyMapping
from assets.resolution import Context
from assets.smintio.services import vocabulary_map
from audit.models import AuditEvent
from templates_app.models import Template
from templates_app.preflight import preflight_run
from tests.templates_app.conftest import license_version

AT = datetime(2027, 1, 5, tzinfo=UTC)


@pytest.fixture
def letter(
    logo: Asset, delivered_logo: Version, letter_showing: Callable[..., Template]
) -> Template:
    """A letter whose logo is licensed for Germany, in German."""
    license_version(
        delivered_logo,
        "lpt-v",
        allowed_geographies=["geography_germany"],
        allowed_languages=["language_german"],
    )
    return letter_showing(logo)


def verdict(
    letter: Template, designer: Any, region: str = "", language: str = ""
) -> tuple[str, list[str]]:
    context = Context(region=region, language=language)
    clearance = preflight_run(template=letter, run_at=AT, contexts=[context], actor=designer)
    return clearance.verdict, [reason["detail"] for reason in clearance.reasons]


def test_the_defaults_are_seeded_as_data(db: None) -> None:
    mapping = VocabularyMapping.objects.get(
        vocabulary="license_geographies", key="geography_germany"
    )
    assert mapping.values == ["DE"]
    assert VocabularyMapping.objects.filter(vocabulary="license_languages").exists()


@pytest.mark.parametrize(
    ("language", "expected"), [("de", "go"), ("de-CH", "go"), ("fr", "no-go"), ("", "go")]
)
def test_the_run_language_is_judged_by_the_mapped_tags(
    letter: Template, designer: Any, language: str, expected: str
) -> None:
    result, details = verdict(letter, designer, region="DE", language=language)
    assert result == expected
    if expected == "no-go":
        assert details[0].endswith(f"its licence is not for language {language}.")


def test_an_unmapped_language_key_is_unknown_never_not_covered(
    letter: Template, designer: Any
) -> None:
    LicenseTerm.objects.update(allowed_languages=["language_klingon"])
    context = Context(region="DE", language="fr")
    clearance = preflight_run(template=letter, run_at=AT, contexts=[context], actor=designer)
    assert (clearance.verdict, clearance.reasons) == ("go", [])
    assert "allowed languages language_klingon are not mapped" in clearance.warnings[0]["detail"]


def test_changing_a_mapping_changes_the_verdict_and_is_audited(
    letter: Template, designer: Any, make_user: Any
) -> None:
    assert verdict(letter, designer, region="LU")[0] == "no-go"
    admin = make_user("root")
    admin.is_staff = True
    vocabulary_map(
        vocabulary="license_geographies", key="geography_germany", values=["DE", "LU"], actor=admin
    )
    assert verdict(letter, designer, region="LU") == ("go", [])
    event = AuditEvent.objects.get(action="vocabulary.mapped")
    assert event.data == {
        "vocabulary": "license_geographies",
        "key": "geography_germany",
        "values": ["DE", "LU"],
    }


@pytest.mark.parametrize(
    ("vocabulary", "values"),
    [
        ("license_geographies", ["Germany"]),
        ("license_usages", ["fax"]),
        ("license_languages", ["German"]),
        ("license_geographies", []),
        ("license_geographies", ["XX"]),
        ("license_geographies", ["DE", "EU"]),
        ("license_languages", ["xx"]),
        ("license_languages", ["de-XX"]),
        ("license_placements", ["sidebar"]),
        ("license_industries", ["mining"]),
        ("license_sizes", ["210"]),
        ("license_sizes", ["0mm"]),
        ("license_distributions", ["many"]),
        ("license_distributions", ["1e9"]),
        ("license_colours", ["red"]),
    ],
)
def test_a_mapping_with_values_of_the_wrong_kind_is_refused(
    compliance_officer: Any, vocabulary: str, values: list[str]
) -> None:
    with pytest.raises(ValidationError):
        vocabulary_map(vocabulary=vocabulary, key="k", values=values, actor=compliance_officer)
    assert not VocabularyMapping.objects.filter(key="k").exists()


@pytest.mark.parametrize(
    ("vocabulary", "values", "stored"),
    [
        ("license_geographies", ["*"], ["*"]),
        ("license_languages", ["de-CH", "zh-Hant-TW", "gsw"], ["de-CH", "gsw", "zh-Hant-TW"]),
        ("license_placements", ["cover", "inside"], ["cover", "inside"]),
        ("license_industries", ["banking"], ["banking"]),
        ("license_sizes", ["210mm", "2000px"], ["2000px", "210mm"]),
        ("license_distributions", ["100000"], ["100000"]),
        ("license_usages", ["none"], []),
    ],
)
def test_every_vocabulary_takes_its_own_kind_of_value(
    compliance_officer: Any, vocabulary: str, values: list[str], stored: list[str]
) -> None:
    mapping = vocabulary_map(
        vocabulary=vocabulary, key="k", values=values, actor=compliance_officer
    )
    assert mapping.values == stored


def test_only_administrators_and_compliance_officers_map(designer: Any) -> None:
    with pytest.raises(PermissionDenied):
        vocabulary_map(
            vocabulary="license_usages", key="usage_print", values=["email"], actor=designer
        )
    assert VocabularyMapping.objects.get(key="usage_print").values == ["print"]
