"""The Smint.io sync against the sandbox over real HTTP: purchases, terms, binaries, cancellations,
rotating refresh tokens; nothing is written back (subscribers get signed webhooks)."""

import threading
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from assets.models import (
    Asset,
    LicensePurchase,
    LicenseTerm,
    QuarantinedPurchase,
    SmintioConnection,
    Version,
    VocabularyLabel,
)
from assets.resolution import Context
from assets.rights import Outcome, RightsBook, Use
from assets.services import version_approve, version_retire
from assets.smintio.connection import _make_client
from assets.smintio.sync import smintio_sync
from audit.models import AuditEvent
from templates_app.models import Delivery, WebhookDelivery
from templates_app.outbox import worker as outbox
from tests.sandboxes.runner import call, post_json, write_log


def purchases(base_url: str) -> list[dict[str, Any]]:
    token = post_form_token(base_url)
    response = call(
        "GET",
        f"{base_url}/consumer/v1/license-purchase-transactions?limit=100",
        headers={"Authorization": f"Bearer {token}"},
    )
    return list(response.json()["license_purchase_transactions"])


def post_form_token(base_url: str) -> str:
    connection = SmintioConnection.objects.get(pk=1)
    body = (
        f"grant_type=refresh_token&refresh_token={connection.refresh_token}"
        "&client_id=govern&client_secret=sandbox-secret"
    ).encode()
    answer = call(
        "POST",
        f"{base_url}/connect/token",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ).json()
    SmintioConnection.objects.filter(pk=1).update(refresh_token=answer["refresh_token"])
    return str(answer["access_token"])


def test_first_sync_maps_purchases_to_assets_terms_and_versions_in_review(
    smintio_sandbox: str, roles: None
) -> None:
    report = smintio_sync()
    assert report.purchases == 8 and report.cancelled == 1, "one purchase arrives cancelled"
    assert (report.skipped, report.quarantined, report.licences) == (2, 1, 1)
    assert not LicensePurchase.objects.get(state="cancelled").versions.exists()
    assert LicensePurchase.objects.count() == 8, "seven purchases and one re-purchase"
    assert Asset.objects.filter(source="smintio").count() == 7
    versions = Version.objects.filter(purchase__isnull=False)
    assert versions.count() == report.versions >= 5
    assert set(versions.values_list("state", flat=True)) == {"in_review"}, "never approved by sync"
    compound = [p for p in LicensePurchase.objects.all() if p.versions.count() == 2]
    assert len(compound) == 1, "the compound purchase brings two binaries"
    languages = compound[0].versions.values_list("variant__language", "variant__segment")
    assert set(languages) == {("de", ""), ("en", "")}, "a German and an English binary"
    german = compound[0].versions.get(variant__language="de")
    assert german.metadata["file_name"] == "smart-meter-de.png"
    assert german.metadata["smintio_binary"] == "697f19d2-804f-4130-8a01-bf1389f70758"
    assert (german.metadata["binary_type"], german.metadata["culture"]) == ("standard", "de")
    single = Version.objects.get(metadata__file_name="wind-turbines-at-sunrise.png")
    assert single.variant.language == "", "one culture alone serves every language"
    assert VocabularyLabel.objects.filter(vocabulary="license_geographies").exists()
    connection = SmintioConnection.objects.get(pk=1)
    assert connection.continuation_uuid and connection.refresh_token != "sandbox-refresh-token"


def test_terms_keep_unknown_apart_from_false_and_licence_html_is_sanitised(
    smintio_sandbox: str, roles: None
) -> None:
    smintio_sync()
    editorial = set(LicensePurchase.objects.values_list("is_editorial_use", flat=True))
    assert editorial == {True, False, None}
    unknown = LicenseTerm.objects.filter(allowed_geographies__isnull=True)
    assert unknown.exists(), "a term with unknown geographies stays unknown (null)"
    texts = "".join(LicensePurchase.objects.values_list("license_text", flat=True))
    assert "<script" not in texts


def test_a_second_sync_changes_nothing(smintio_sandbox: str, roles: None) -> None:
    smintio_sync()
    counts = (Version.objects.count(), LicenseTerm.objects.count())
    again = smintio_sync()
    assert again.purchases == 0 and again.versions == 0
    assert (Version.objects.count(), LicenseTerm.objects.count()) == counts


def test_cancellation_withdraws_approved_versions_and_flags_through_the_services(
    smintio_sandbox: str, compliance_officer: Any
) -> None:
    smintio_sync()
    purchase = (
        LicensePurchase.objects.exclude(state="cancelled").filter(versions__isnull=False).first()
    )
    assert purchase is not None
    version = purchase.versions.first()
    assert version is not None
    version_approve(version=version, actor=compliance_officer)
    post_json(f"{smintio_sandbox}/_sandbox/purchases/{purchase.uuid}/cancel", {})
    report = smintio_sync()
    assert report.cancelled == 1
    version.refresh_from_db()
    assert version.state == "withdrawn"
    decision = version.decisions.get(action="withdraw")
    assert decision.actor is None and "cancelled" in decision.comment
    cancelled = AuditEvent.objects.filter(
        action="smintio.purchase_cancelled", data__purchase=purchase.uuid
    )
    assert cancelled.count() == 1


def test_a_cancellation_lands_even_when_the_rest_of_the_purchase_is_malformed(
    smintio_sandbox: str, compliance_officer: Any
) -> None:
    smintio_sync()
    purchase = (
        LicensePurchase.objects.exclude(state="cancelled").filter(versions__isnull=False).first()
    )
    assert purchase is not None
    version = purchase.versions.first()
    assert version is not None
    version_approve(version=version, actor=compliance_officer)
    post_json(f"{smintio_sandbox}/_sandbox/purchases/{purchase.uuid}/cancel", {"malformed": True})
    report = smintio_sync()
    assert report.cancelled == 1
    assert any(purchase.uuid in problem for problem in report.problems), "the rest kept aside"
    purchase.refresh_from_db()
    assert purchase.state == "cancelled" and purchase.cancelled_at is not None
    version.refresh_from_db()
    assert version.state == "withdrawn"
    held = QuarantinedPurchase.objects.get(uuid=purchase.uuid)
    assert "valid_until" in held.error
    assert (
        AuditEvent.objects.filter(
            action="smintio.purchase_cancelled", data__purchase=purchase.uuid
        ).count()
        == 1
    )
    again = smintio_sync()
    assert again.cancelled == 0, "cancelled once"


def test_a_changed_term_is_a_new_row_and_the_old_one_inactive(
    smintio_sandbox: str, roles: None
) -> None:
    smintio_sync()
    purchase = LicensePurchase.objects.first()
    assert purchase is not None
    post_json(
        f"{smintio_sandbox}/_sandbox/purchases/{purchase.uuid}/terms",
        {"allowed_geographies": ["geography_worldwide"], "is_editorial_use": False},
    )
    smintio_sync()
    assert purchase.terms.filter(active=False).count() >= 1
    assert purchase.terms.filter(active=True, allowed_geographies=["geography_worldwide"]).exists()


def test_a_refused_refresh_token_stops_the_sync_and_says_so(
    smintio_sandbox: str, roles: None, brand_manager: Any, client_for: Any
) -> None:
    SmintioConnection.objects.update_or_create(pk=1, defaults={"refresh_token": "stolen"})
    with pytest.raises(CommandError, match="invalid_grant"):
        call_command("smintio_sync", stdout=StringIO())
    assert SmintioConnection.objects.get(pk=1).state == "needs_authorization"
    with pytest.raises(CommandError, match="invalid_grant"):  # refused again: no second event
        call_command("smintio_sync", stdout=StringIO())
    lost = AuditEvent.objects.get(action="smintio.authorization_lost")
    assert "invalid_grant" in lost.data["error"]
    page = client_for(brand_manager).get("/").content.decode()
    assert "The Smint.io sync has stopped." in page
    call_command("smintio_authorize", "sandbox-refresh-token", stdout=StringIO())
    assert SmintioConnection.objects.get(pk=1).state == "ok"
    authorized = AuditEvent.objects.get(action="smintio.authorized")
    assert authorized.data == {"via": "manage.py smintio_authorize"}
    call_command("smintio_sync", stdout=StringIO())


def test_retiring_a_licensed_version_is_a_signed_event_once_and_nothing_goes_to_smintio(
    smintio_sandbox: str, compliance_officer: Any, receiver: Any
) -> None:
    smintio_sync()
    receiver.subscribe("version.retired")
    version = Version.objects.filter(purchase__isnull=False).first()
    assert version is not None
    version_approve(version=version, actor=compliance_officer)
    version_retire(version=version, actor=compliance_officer, comment="Campaign over")
    Delivery.objects.filter(target="exstream").delete()  # only the event matters here
    assert outbox.drain() == {"webhook delivered": 1}
    WebhookDelivery.objects.update(state="pending")  # a worker that died after sending
    outbox.drain()
    [received] = receiver.events()
    assert received["verified"] and received["type"] == "version.retired"
    data = received["body"]["data"]
    assert (data["comment"], data["by"]) == ("Campaign over", "colin")
    assert version.purchase is not None
    assert data["version"]["smintio"]["license_purchase_transaction_uuid"] == version.purchase.uuid
    assert write_log(smintio_sandbox) == [], "nothing is written to Smint.io"


def test_two_workers_refreshing_at_once_take_turns_with_the_rotating_token(
    transactional_db: None, smintio_sandbox: str
) -> None:
    start, failures = threading.Barrier(3), []

    def work() -> None:
        try:
            api = _make_client()  # a worker process of its own, with no access token yet
            start.wait()
            api.generic_metadata()
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert SmintioConnection.objects.get(pk=1).state == "ok"


def test_the_sandbox_delivers_unstated_lists_provider_words_and_counters_as_the_sdks_do(
    smintio_sandbox: str, roles: None
) -> None:
    smintio_sync()
    demo = LicensePurchase.objects.get(content_element_uuid="2:0:79468")
    assert "NUR DEMO" in demo.license_text
    version = Version.objects.select_related("variant__asset").get(purchase=demo)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    for channel in ("print", "web", "email"):
        use = Use(Context(region="DE", language="de", channel=channel), at, "inside", 40)
        assert RightsBook([version]).judge(version, use).outcome == Outcome.UNKNOWN
    turbines = LicensePurchase.objects.get(content_element_uuid="2:0:61019726")
    assert turbines.provider_texts["allowed_use_comment"]["de"].startswith("Nicht für politische")
    assert (turbines.max_downloads, turbines.current_downloads) == (10, 4)
    editorial = LicensePurchase.objects.get(content_element_uuid="4:0:302948571")
    assert editorial.provider_texts == {
        "usage_constraints": {"en": "Editorial use only. No commercial use."}
    }
