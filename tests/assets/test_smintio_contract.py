"""Smint.io's contract as its public SDKs define it: real HTTP against the sandbox for what a
tenant sends, and payloads written from the SDKs' model classes through the real mapping."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from django.test import Client

from assets.models import (
    LicensePurchase,
    QuarantinedPurchase,
    Version,
    VersionLicence,
    VocabularyLabel,
)
from assets.resolution import Context
from assets.rights import Outcome, RightsBook, Use
from assets.services import version_approve
from assets.smintio.client import SmintioClient
from assets.smintio.mapping import MappingError, check_purchase, licence_text, vocabulary_labels
from assets.smintio.sync import (
    SyncReport,
    quarantine,
    quarantine_dismiss,
    quarantine_retry,
    smintio_sync,
)
from audit.models import AuditEvent
from govern.errors import Conflict
from tests.sandboxes.runner import call

NO_CONTENT_ELEMENT = "0b5e2c7e-61d4-4c0a-9a43-5d1f0c7a9e10"
NOT_SYNCABLE = "6f7a9d2b-3c1e-4e8f-b5a6-2d9c8e7f1a04"
FAMILY = "4e947f6d-e372-4f9e-a3f1-38584aaaddc6"
REPURCHASE = "a31f6c55-8b2e-4f0d-9e71-0c4b5d6e7f82"
UNMAPPABLE = "e94d0a7c-2b5f-4c3e-8d16-7a0f9b2c4e53"
GERMANY_PRINT = "eb484002-e1a1-41d7-be11-037c0627cf4e"


def test_a_purchase_that_cannot_be_mapped_is_quarantined_while_the_rest_arrives(
    smintio_sandbox: str, roles: None
) -> None:
    report = smintio_sync()
    held = QuarantinedPurchase.objects.get()
    assert (held.uuid, held.state) == (UNMAPPABLE, "open")
    assert held.error == "license_terms[0].valid_until: '31/12/2027' is not an ISO 8601 date-time"
    assert held.payload["uuid"] == UNMAPPABLE, "the payload is kept whole"
    assert not LicensePurchase.objects.filter(uuid=UNMAPPABLE).exists()
    assert LicensePurchase.objects.filter(uuid=GERMANY_PRINT).exists()
    assert AuditEvent.objects.filter(action="smintio.purchase_quarantined").count() == 1
    assert report.quarantined == 1
    again = smintio_sync()
    assert again.purchases == 0 and QuarantinedPurchase.objects.count() == 1, "the feed moved on"


def test_purchases_without_content_or_that_cannot_be_synced_are_skipped_and_said(
    smintio_sandbox: str, roles: None
) -> None:
    report = smintio_sync()
    uuids = set(LicensePurchase.objects.values_list("uuid", flat=True))
    assert not {NO_CONTENT_ELEMENT, NOT_SYNCABLE} & uuids
    said = " ".join(report.problems)
    assert f"Purchase {NO_CONTENT_ELEMENT} skipped: it has no content element." in said
    assert f"Purchase {NOT_SYNCABLE} skipped: Smint.io says it cannot be synced." in said


def test_licence_texts_urls_notices_and_labels_arrive_per_culture(
    smintio_sandbox: str, roles: None
) -> None:
    smintio_sync()
    germany = LicensePurchase.objects.get(uuid=GERMANY_PRINT)
    assert "<script>" not in germany.license_text and "Germany" in germany.license_text
    assert germany.license_urls == [
        {
            "culture": "en",
            "key": "license",
            "name": "License",
            "url": "https://www.gettyimages.com/eula",
        }
    ]
    assert germany.copyright_notices == [
        {"culture": "en", "value": "© Lena Hartmann / Getty Images"}
    ]
    assert [k["name"] for k in germany.keywords] == ["wind energy", "sunrise", "renewable"]
    assert germany.has_restrictive_terms is True
    labels = dict(
        VocabularyLabel.objects.filter(key="geography_germany").values_list("culture", "label")
    )
    assert labels == {"en": "Germany", "de": "Deutschland"}


def test_a_repurchase_attaches_to_the_version_and_keeps_it_in_use_after_a_cancellation(
    smintio_sandbox: str, roles: None, compliance_officer: Any
) -> None:
    report = smintio_sync()
    assert report.licences == 1
    family = LicensePurchase.objects.get(uuid=FAMILY)
    (version,) = Version.objects.filter(purchase=family)
    assert Version.objects.filter(variant__asset=family.asset).count() == 1, "no second copy"
    assert VersionLicence.objects.filter(version=version, purchase__uuid=REPURCHASE).exists()
    assert AuditEvent.objects.filter(action="smintio.licence_attached").count() == 1
    version = version_approve(version=version, actor=compliance_officer)

    call("POST", f"{smintio_sandbox}/_sandbox/purchases/{FAMILY}/cancel")
    smintio_sync()
    version.refresh_from_db()
    assert version.state == "approved", "the re-purchase still licenses it"
    use = Use(Context(region="DE", channel="print"), datetime(2027, 1, 5, tzinfo=UTC))
    rights = RightsBook([version]).judge(version, use)
    assert rights.outcome != Outcome.NOT_COVERED, rights

    call("POST", f"{smintio_sandbox}/_sandbox/purchases/{REPURCHASE}/cancel")
    smintio_sync()
    version.refresh_from_db()
    assert version.state == "withdrawn", "no valid purchase is left"


def test_an_administrator_retries_or_dismisses_a_quarantined_purchase(
    smintio_sandbox: str, roles: None, make_user: Any, client_for: Any, compliance_officer: Any
) -> None:
    smintio_sync()
    held = QuarantinedPurchase.objects.get()
    admin = make_user("root")
    admin.is_staff = True
    admin.save()
    page = client_for(admin).get("/assets/smintio/quarantine/").content.decode()
    assert UNMAPPABLE in page and "is not an ISO 8601 date-time" in page
    assert "1 Smint.io purchase could not be mapped." in page
    assert client_for(compliance_officer).get("/assets/smintio/quarantine/").status_code == 302

    held.payload["license_terms"][0]["valid_until"] = "2027-12-31T23:59:59Z"
    held.save()
    quarantine_retry(item=held, actor=admin)
    held.refresh_from_db()
    assert held.state == "resolved"
    assert LicensePurchase.objects.filter(uuid=UNMAPPABLE).exists()
    with pytest.raises(Conflict, match="already"):
        quarantine_retry(item=held, actor=admin)

    other = QuarantinedPurchase.objects.create(uuid="x", payload={"uuid": "x"}, error="bad")
    response: Client = client_for(admin)
    response.post(f"/assets/smintio/quarantine/{other.pk}/", {"action": "dismiss", "reason": ""})
    other.refresh_from_db()
    assert other.state == "open", "a dismissal needs a reason"
    quarantine_dismiss(item=other, actor=admin, reason="A test purchase, never licensed.")
    other.refresh_from_db()
    assert (other.state, other.decided_by) == ("dismissed", admin)


# Payloads written from the SDKs' model classes (SyncLicensePurchaseTransaction and friends).


def sdk_purchase(**given: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "uuid": "lpt-1",
        "cart_purchase_transaction_uuid": "cart-1",
        "reused_license_purchase_transaction_uuid": None,
        "state": "completed",
        "can_be_synced": True,
        "has_potentially_restrictive_license_terms": None,
        "content_element": {
            "uuid": "2:0:1",
            "provider": "getty",
            "content_type": "image",
            "content_category": "creative",
            "name": [{"culture": "en", "value": "Sunrise"}],
            "description": [],
            "keywords": [{"culture": "en", "metadata_element": {"name": "sun"}}],
            "copyright_notices": [{"culture": "en", "value": "© A"}],
            "release_details": None,
        },
        "offering": {"license_type": "royalty_free", "license_urls": []},
        "license_text": {
            "effective_text": [{"culture": "en", "value": "<p>Text</p>"}],
            "effective_text_is_safe_html": True,
        },
        "license_terms": [{"sequence_number": 1, "valid_until": "2027-01-01T00:00:00+01:00"}],
        "license_download_constraints": None,
    }
    return values | given


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"uuid": None}, "uuid"),
        ({"cart_purchase_transaction_uuid": 7}, "cart_purchase_transaction_uuid"),
        ({"state": ["completed"]}, "state"),
        ({"can_be_synced": "yes"}, "can_be_synced"),
        ({"content_element": "2:0:1"}, "content_element"),
        ({"license_terms": {"sequence_number": 1}}, "license_terms"),
        ({"license_terms": [{"valid_until": "2027-01-01"}]}, "license_terms[0].sequence_number"),
        (
            {"license_terms": [{"sequence_number": 1, "allowed_usages": "print"}]},
            "license_terms[0].allowed_usages",
        ),
        (
            {"license_terms": [{"sequence_number": 1, "is_editorial_use": "no"}]},
            "license_terms[0].is_editorial_use",
        ),
        (
            {"license_download_constraints": {"effective_max_users": "5"}},
            "license_download_constraints.effective_max_users",
        ),
        ({"license_text": "Text"}, "license_text"),
        ({"offering": {"license_urls": "https://x"}}, "offering.license_urls"),
    ],
)
def test_a_payload_with_a_missing_or_mistyped_field_names_it(
    given: dict[str, Any], field: str
) -> None:
    with pytest.raises(MappingError) as raised:
        check_purchase(sdk_purchase(**given))
    assert raised.value.field == field


def test_the_sdk_shapes_map_and_dates_keep_their_offset() -> None:
    checked = check_purchase(sdk_purchase())
    (term,) = checked["terms"]
    assert term["valid_until"] == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    assert term["allowed_usages"] is None, "unknown stays unknown"
    older = sdk_purchase(license_text=None)
    older["offering"]["license_text"] = {"effective_text": [{"culture": "de", "value": "Alt"}]}
    assert licence_text(older) == ([{"culture": "de", "value": "Alt"}], None)


def test_vocabulary_elements_of_another_shape_are_skipped_not_fatal() -> None:
    rows, skipped = vocabulary_labels(
        {
            "license_usages": [
                {"culture": "en", "metadata_element": {"key": "usage_print", "name": "Print"}},
                {"culture": "de", "metadata_element": {"key": "usage_print", "name": "Druck"}},
                {"key": "usage_web", "name": [{"culture": "en", "value": "Web"}]},
                "usage_radio",
            ],
            "license_sizes": {"not": "a list"},
        }
    )
    assert rows == [
        ("license_usages", "usage_print", "en", "Print"),
        ("license_usages", "usage_print", "de", "Druck"),
    ]
    assert skipped == 3


class Tokens:
    def __init__(self) -> None:
        self.token = "first-refresh"

    def exchange(self, trade: Any) -> None:
        self.token = trade(self.token)


def test_a_refresh_without_a_new_refresh_token_keeps_the_old_and_binaries_may_be_wrapped() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            return httpx.Response(200, json={"access_token": "a", "expires_in": 300})
        if request.url.path.endswith("/lpt-1/binaries"):
            return httpx.Response(200, json=[{"uuid": "b1"}])
        return httpx.Response(200, json={"binaries": [{"uuid": "b2"}]})

    tokens = Tokens()
    client = SmintioClient(
        api_url="https://tenant.clapi.smint.io/consumer/v1",
        token_url="https://tenant.smint.io/connect/token",
        client_id="c",
        client_secret="s",
        tokens=tokens,
        http=httpx.Client(transport=httpx.MockTransport(answer)),
    )
    assert client.binaries("cart", "lpt-1") == [{"uuid": "b1"}]
    assert client.binaries("cart", "lpt-2") == [{"uuid": "b2"}]
    assert tokens.token == "first-refresh"


def test_payloads_without_a_uuid_are_each_kept(db: None) -> None:
    report = SyncReport()
    quarantine({"state": "completed"}, "uuid: must be a non-empty string", report)
    quarantine(["not", "an", "object"], "purchase: must be an object", report)
    assert QuarantinedPurchase.objects.filter(uuid="", state="open").count() == 2
    assert {str(item.payload) for item in QuarantinedPurchase.objects.all()} == {
        "{'state': 'completed'}",
        "['not', 'an', 'object']",
    }
