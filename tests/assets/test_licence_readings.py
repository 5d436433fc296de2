"""Licences read as Smint.io means them: an empty list is not stated, words a machine cannot read
go to a compliance officer, whose signed reading is judged, shown and outdated by a change."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.models import Asset, LicenceReading, LicensePurchase, Version
from assets.resolution import Context
from assets.rights import Outcome, RightsBook, Use
from assets.services import version_approve
from assets.smintio.mapping import TERM_LISTS
from assets.smintio.sync import SyncReport, purchase_apply
from audit.models import AuditEvent
from govern.models import BusinessUnit
from govern.roles import Role
from tests.conftest import PASSWORD

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
EDITORIAL = "Editorial use only. No commercial use."
# A reading that finds the licence silent on every list: each is none.
EVERYTHING: dict[str, list[str]] = {name: [] for name in TERM_LISTS if name != "exclusivities"}


def sdk_test_purchase(**given: Any) -> dict[str, Any]:
    """A purchase shaped like the Java SDK's own test payload (purchase 79468): every one of
    the sixteen term lists empty, a demo-only German licence text, release states known."""
    lpt: dict[str, Any] = {
        "uuid": "9a0c6d2e-79468-4f7e-8c1d-5b2a7e3f0d11",
        "cart_purchase_transaction_uuid": "c7f1e2a4-1b3d-4e5f-9a8b-7c6d5e4f3a21",
        "state": "completed",
        "can_be_synced": True,
        "has_potentially_restrictive_license_terms": False,
        "content_element": {
            "uuid": "2:0:79468",
            "provider": "getty",
            "content_type": "image",
            "content_category": "creative",
            "name": [{"culture": "de", "value": "Testbild"}],
            "release_details": {
                "model_release_state": "released",
                "property_release_state": "released",
                "provider_allowed_use_comment": [],
                "provider_release_comment": [],
                "provider_usage_constraints": [],
            },
        },
        "offering": {"license_type": "rights_managed", "license_urls": []},
        "license_text": {
            "effective_text": [
                {"culture": "de", "value": "NUR DEMO - NICHT FÜR VERWENDUNG FREIGEGEBEN!"}
            ],
            "effective_text_is_safe_html": True,
        },
        "license_terms": [
            {
                "sequence_number": 1,
                "name": [{"culture": "de", "value": "Demo"}],
                **{name: [] for name in TERM_LISTS},
                "valid_from": None,
                "valid_until": None,
                "to_be_used_until": None,
                "is_editorial_use": False,
            }
        ],
        "license_download_constraints": {
            "effective_max_users": 0,
            "effective_max_downloads": 0,
            "effective_max_reuses": 0,
        },
    }
    return lpt | given


def licensed(version: Version, lpt: dict[str, Any], unit: BusinessUnit) -> LicensePurchase:
    """Apply a purchase as the sync does and let it license the version."""
    purchase = purchase_apply(lpt=lpt, binaries=[], unit=unit, report=SyncReport())
    Version.objects.filter(pk=version.pk).update(purchase=purchase)
    return purchase


def judged(version: Version, use: Use) -> Any:
    return RightsBook([Version.objects.get(pk=version.pk)]).judge(
        Version.objects.select_related("variant__asset").get(pk=version.pk), use
    )


@pytest.fixture
def version(logo: Asset, add_version: Callable[..., Version], compliance_officer: Any) -> Version:
    return version_approve(version=add_version(logo), actor=compliance_officer)


USES = st.builds(
    lambda region, language, channel, placement: Use(
        Context(region=region, language=language, channel=channel), AT, placement, 40
    ),
    st.sampled_from(["DE", "AT", "US", ""]),
    st.sampled_from(["de", "en", ""]),
    st.sampled_from(["print", "email", "web", ""]),
    st.sampled_from(["inside", "cover", ""]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(use=USES)
def test_the_sdks_test_purchase_is_never_covered(
    version: Version, unit: BusinessUnit, use: Use
) -> None:
    licensed(version, sdk_test_purchase(), unit)  # the same purchase again: updated in place
    rights = judged(version, use)
    assert rights.outcome == Outcome.UNKNOWN
    assert "its allowed geographies are not stated" in rights.unknown
    assert "its restricted usages are not stated" in rights.unknown


def post_reading(client: Client, bought: LicensePurchase, **given: Any) -> Any:
    body = {
        "purchase": bought.uuid,
        "terms": {},
        "reason": "Quoted from the licence.",
        "password": PASSWORD,
        "meaning": "read",
    } | given
    return client.post("/api/v1/licence-readings/", body, content_type="application/json")


def test_a_reading_states_what_the_licence_leaves_unstated_and_is_judged(
    version: Version, unit: BusinessUnit, compliance_officer: Any, client_for: Any
) -> None:
    purchase = licensed(version, sdk_test_purchase(), unit)
    answer = post_reading(
        client_for(compliance_officer),
        purchase,
        terms=EVERYTHING | {"restricted_usages": ["usage_print"]},
        reason="NUR DEMO: not released for print.",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["meaning"] == "read" and len(body["digest"]) == 64
    assert body["printed_name"] == "colin"
    print_de = Use(Context(region="DE", language="de", channel="print"), AT, "inside", 40)
    rights = judged(version, print_de)
    assert rights.outcome == Outcome.NOT_COVERED
    assert rights.reasons == ("restricted for channel print",)
    web = Use(Context(region="DE", language="de", channel="web"), AT, "inside", 40)
    assert judged(version, web).outcome == Outcome.COVERED
    event = AuditEvent.objects.get(action="licence.read")
    assert event.data["digest"] == body["digest"] and event.actor_id == compliance_officer.pk


def test_provider_words_make_every_use_unknown_until_an_officer_reads_them(
    version: Version, unit: BusinessUnit, compliance_officer: Any, client_for: Any
) -> None:
    lpt = sdk_test_purchase()
    lpt["content_element"]["release_details"]["provider_usage_constraints"] = [
        {"culture": "en", "value": EDITORIAL}
    ]
    purchase = licensed(version, lpt, unit)
    assert purchase.provider_texts == {"usage_constraints": {"en": EDITORIAL}}
    use = Use(Context(region="DE", channel="web"), AT, "inside", 40)
    LicenceReading.objects.create(  # a reading of another licence text: it does not apply
        purchase=purchase,
        terms=EVERYTHING,
        reason="x",
        licence_sha256="0" * 64,
        signer=compliance_officer,
        printed_name="colin",
        meaning="read",
        signed_at=AT,
    )
    before = judged(version, use)
    assert before.outcome == Outcome.UNKNOWN
    assert "no compliance officer has read its licence (the provider's usage constraints)" in (
        before.unknown
    )
    page = client_for(compliance_officer).get(f"/assets/versions/{version.pk}/").content.decode()
    assert EDITORIAL in page and "A person must read this licence" in page
    answer = post_reading(
        client_for(compliance_officer),
        purchase,
        terms=EVERYTHING | {"is_editorial_use": True},
        reason=EDITORIAL,
    )
    assert answer.status_code == 201, answer.content
    after = judged(version, use)
    assert after.outcome == Outcome.NOT_COVERED
    assert "for editorial use only, not commercial communications" in after.reasons
    page = client_for(compliance_officer).get(f"/assets/versions/{version.pk}/").content.decode()
    assert "Read by <strong>colin</strong>" in page and "A person must read" not in page


@pytest.mark.parametrize(
    ("terms", "conflict"),
    [
        ({"allowed_usages": ["usage_outdoor"]}, "term 1 restricts usage_outdoor"),
        ({"allowed_geographies": ["geography_world"]}, "the reading adds geography_world"),
        ({"allowed_geographies": []}, "narrow it with restricted_geographies"),
        ({"allowed_geographies": ["geography_germany"]}, "narrow it with restricted_geo"),
        ({"restricted_geographies": ["geography_bavaria"]}, ""),  # narrowing is welcome
        ({"valid_until": "2030-01-01T00:00:00Z"}, "valid_until: term 1 states 2027-06-30"),
        ({"is_editorial_use": False}, ""),
    ],
)
def test_a_reading_that_contradicts_the_stated_terms_is_refused_naming_it(
    version: Version,
    unit: BusinessUnit,
    compliance_officer: Any,
    client_for: Any,
    terms: dict[str, Any],
    conflict: str,
) -> None:
    lpt = sdk_test_purchase()
    lpt["license_terms"][0] |= {
        "allowed_geographies": ["geography_germany"],
        "restricted_usages": ["usage_outdoor"],
        "valid_until": "2027-06-30T23:59:59Z",
    }
    purchase = licensed(version, lpt, unit)
    answer = post_reading(client_for(compliance_officer), purchase, terms=terms)
    if not conflict:
        assert answer.status_code == 201
        return
    assert answer.status_code == 400
    assert conflict in str(answer.json())
    assert not LicenceReading.objects.exists()
    assert not AuditEvent.objects.filter(action="licence.read").exists()


@pytest.mark.parametrize(
    ("given", "status"),
    [
        ({"password": "wrong"}, 403),
        ({"reason": ""}, 400),
        ({"meaning": "approved"}, 400),
        ({"terms": {"allowed_planets": ["mars"]}}, 400),
        ({"terms": {"allowed_usages": "usage_print"}}, 400),
        ({"terms": {"allowed_usages": [""]}}, 400),
        ({"terms": {"allowed_usages": ["a\x00b"]}}, 400),
        ({"reason": "why\x00"}, 400),
        ({"terms": {"allowed_usages": ["k"] * 101}}, 400),
        ({"terms": {"valid_from": "soon"}}, 400),
        ({"terms": {"is_editorial_use": "yes"}}, 400),
        ({"terms": []}, 400),
        ({"purchase": "nope"}, 404),
    ],
)
def test_bad_readings_are_refused_and_record_nothing(
    version: Version,
    unit: BusinessUnit,
    compliance_officer: Any,
    client_for: Any,
    given: dict[str, Any],
    status: int,
) -> None:
    purchase = licensed(version, sdk_test_purchase(), unit)
    answer = post_reading(client_for(compliance_officer), purchase, **given)
    assert answer.status_code == status, answer.content
    assert isinstance(answer.json(), dict) and answer.json(), "a JSON reason"
    assert not LicenceReading.objects.exists()


def test_only_officers_of_the_purchase_unit_read_it(
    version: Version,
    unit: BusinessUnit,
    designer: Any,
    make_user: Callable[..., Any],
    client_for: Any,
) -> None:
    purchase = licensed(version, sdk_test_purchase(), unit)
    assert post_reading(client_for(designer), purchase).status_code == 403
    elsewhere = BusinessUnit.objects.create(name="Other", slug="other")
    stranger = make_user("olga", Role.COMPLIANCE_OFFICER, elsewhere)
    assert post_reading(client_for(stranger), purchase).status_code == 404
    assert not LicenceReading.objects.exists()


def test_a_changed_licence_outdates_its_reading_audited(
    version: Version, unit: BusinessUnit, compliance_officer: Any, client_for: Any
) -> None:
    purchase = licensed(version, sdk_test_purchase(), unit)
    post_reading(client_for(compliance_officer), purchase, terms=EVERYTHING)
    use = Use(Context(region="DE", channel="web"), AT, "inside", 40)
    assert judged(version, use).outcome == Outcome.COVERED
    same = sdk_test_purchase()
    purchase_apply(lpt=same, binaries=[], unit=unit, report=SyncReport())
    assert judged(version, use).outcome == Outcome.COVERED, "the same licence again keeps it"
    changed = sdk_test_purchase()
    changed["license_text"]["effective_text"][0]["value"] = "Nur Print."
    report = SyncReport()
    purchase_apply(lpt=changed, binaries=[], unit=unit, report=report)
    assert report.outdated_readings == 1
    assert judged(version, use).outcome == Outcome.UNKNOWN
    assert LicenceReading.objects.get().outdated_at is not None
    assert AuditEvent.objects.filter(action="licence.reading_outdated").count() == 1
    page = client_for(compliance_officer).get(f"/assets/versions/{version.pk}/").content.decode()
    assert "no longer applies" in page
    purchase_apply(lpt=same, binaries=[], unit=unit, report=SyncReport())
    assert judged(version, use).outcome == Outcome.UNKNOWN, "back to the text read: read again"


def test_a_past_use_is_judged_by_the_reading_in_force_then(
    version: Version, unit: BusinessUnit, compliance_officer: Any, client_for: Any
) -> None:
    purchase = licensed(version, sdk_test_purchase(), unit)
    before = timezone.now()
    post_reading(client_for(compliance_officer), purchase, terms=EVERYTHING)
    context = Context(region="DE", channel="web")
    then = Use(context, AT, "inside", 40, known_at=before)
    assert judged(version, then).outcome == Outcome.UNKNOWN, "nobody had read it then"
    later = Use(context, AT, "inside", 40, known_at=timezone.now())
    assert judged(version, later).outcome == Outcome.COVERED
    LicenceReading.objects.update(outdated_at=timezone.now() + timedelta(days=1))
    assert judged(version, later).outcome == Outcome.COVERED, "outdated only after that moment"


def test_the_reading_form_is_404_outside_the_unit(
    version: Version, unit: BusinessUnit, make_user: Callable[..., Any], client_for: Any
) -> None:
    purchase = licensed(version, sdk_test_purchase(), unit)
    elsewhere = BusinessUnit.objects.create(name="Other", slug="other")
    stranger = make_user("olga", Role.COMPLIANCE_OFFICER, elsewhere)
    url = f"/assets/versions/{version.pk}/licence-readings/"
    form = {"purchase": purchase.uuid, "reason": "x", "meaning": "read", "password": PASSWORD}
    assert client_for(stranger).post(url, form).status_code == 404
    assert not LicenceReading.objects.exists()


@pytest.mark.parametrize(
    ("constraints", "counters", "reason"),
    [
        ({"effective_max_downloads": 10}, {"current_downloads": 11}, "10 downloads (11 so far)"),
        ({"effective_max_downloads": 10}, {"current_downloads": 10}, ""),
        ({"effective_max_users": 0}, {"current_users": 500}, ""),
        ({"effective_max_users": 3}, {"current_users": 4}, "past its limit of 3 users"),
    ],
)
def test_a_use_past_a_download_limit_is_not_covered_naming_it(
    version: Version,
    unit: BusinessUnit,
    compliance_officer: Any,
    client_for: Any,
    constraints: dict[str, int],
    counters: dict[str, int],
    reason: str,
) -> None:
    lpt = sdk_test_purchase(**counters)
    lpt["license_download_constraints"] |= constraints
    purchase = licensed(version, lpt, unit)
    post_reading(client_for(compliance_officer), purchase, terms=EVERYTHING)
    rights = judged(version, Use(Context(region="DE", channel="web"), AT, "inside", 40))
    if not reason:
        assert rights.outcome == Outcome.COVERED
        return
    assert rights.outcome == Outcome.NOT_COVERED
    assert any(reason in said for said in rights.reasons)


def test_reuses_count_the_repurchases_govern_holds(
    version: Version, unit: BusinessUnit, compliance_officer: Any, client_for: Any
) -> None:
    lpt = sdk_test_purchase(current_reuses=0)
    lpt["license_download_constraints"]["effective_max_reuses"] = 1
    purchase = licensed(version, lpt, unit)
    post_reading(client_for(compliance_officer), purchase, terms=EVERYTHING)
    use = Use(Context(region="DE", channel="web"), AT, "inside", 40)
    for n in (1, 2):
        LicensePurchase.objects.create(
            uuid=f"again-{n}",
            cart_uuid="c",
            asset=purchase.asset,
            state="completed",
            content_element_uuid="2:0:79468",
            reused_uuid=purchase.uuid,
        )
        outcome = judged(version, use).outcome
    assert outcome == Outcome.NOT_COVERED
    assert "past its limit of 1 reuses (2 so far)" in judged(version, use).reasons


def test_the_licence_card_shows_every_list_and_limit_and_what_is_not_stated(
    version: Version, unit: BusinessUnit, compliance_officer: Any, client_for: Any
) -> None:
    lpt = sdk_test_purchase(current_downloads=3)
    lpt["license_download_constraints"] |= {"effective_max_downloads": 5}
    lpt["license_terms"][0] |= {"restricted_industries": ["industry_tobacco"]}
    licensed(version, lpt, unit)
    page = client_for(compliance_officer).get(f"/assets/versions/{version.pk}/").content.decode()
    assert "NUR DEMO" in page
    assert "Industries restricted</th><td>industry_tobacco" in page
    assert page.count(">not stated</td>") >= 14
    assert "<td>5</td><td>3 so far" in page
    assert "Record a reading of this licence" in page


def test_the_licence_card_form_signs_a_reading_and_a_wrong_password_records_nothing(
    version: Version, unit: BusinessUnit, compliance_officer: Any, designer: Any, client_for: Any
) -> None:
    purchase = licensed(version, sdk_test_purchase(), unit)
    url = f"/assets/versions/{version.pk}/licence-readings/"
    form = {
        "purchase": purchase.uuid,
        "restricted_usages": "usage_print, usage_outdoor",
        "allowed_geographies": "none",
        "is_editorial_use": "no",
        "reason": "Demo only: not for print.",
        "meaning": "read",
    }
    officer = client_for(compliance_officer)
    wrong = officer.post(url, form | {"password": "wrong"}, follow=True)
    assert "Nothing was recorded: That password is not yours" in wrong.content.decode()
    assert not LicenceReading.objects.exists()
    assert client_for(designer).post(url, form | {"password": PASSWORD}).status_code == 403
    signed = officer.post(url, form | {"password": PASSWORD}, follow=True)
    assert "is signed" in signed.content.decode()
    assert LicenceReading.objects.get().terms == {
        "restricted_usages": ["usage_outdoor", "usage_print"],
        "allowed_geographies": [],
        "is_editorial_use": False,
    }
