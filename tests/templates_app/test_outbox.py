"""The delivery outbox: written with the approval, claimed under a lease, retried, never lost."""

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from assets.models import Asset, Version
from assets.selectors import clean_selectors
from assets.services import version_approve, version_withdraw
from audit.models import AuditEvent
from govern.errors import Conflict
from govern.models import Notification
from templates_app import notices
from templates_app.exstream import hotfolder
from templates_app.exstream.client import ExstreamError, ImageVersion
from templates_app.models import Delivery
from templates_app.outbox import services as deliveries
from templates_app.outbox import worker as outbox
from tests import images

AddVersion = Callable[..., Version]


class FakeExstream:
    """Stand in for gateway.push_image: record pushes, fail on demand."""

    def __init__(self) -> None:
        self.pushed: list[dict[str, Any]] = []
        self.failures: list[ExstreamError] = []

    def __call__(self, **push: Any) -> ImageVersion:
        if self.failures:
            raise self.failures.pop(0)
        self.pushed.append(push)
        return ImageVersion("r1", len(self.pushed), "approved", "")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, settings: Any) -> FakeExstream:
    settings.DELIVERY_BACKOFF_SECONDS = 0
    fake = FakeExstream()
    monkeypatch.setattr(outbox.gateway, "push_image", fake)
    return fake


@pytest.fixture
def approved_logo(logo: Asset, add_version: AddVersion, compliance_officer: Any) -> Version:
    version = add_version(
        logo, data=images.png(600, 300), selectors=clean_selectors(channels=["email", "web"])
    )
    return version_approve(version=version, actor=compliance_officer)


def test_approval_writes_one_delivery_per_profile_in_its_transaction(
    approved_logo: Version,
) -> None:
    rows = Delivery.objects.filter(version=approved_logo)
    assert sorted(rows.values_list("profile", flat=True)) == ["email", "web"]
    assert set(rows.values_list("state", flat=True)) == {"pending"}
    event = AuditEvent.objects.get(action="version.approved")
    assert event.data["deliveries"] == 2


def test_drain_pushes_each_rendition_once_with_its_key(
    approved_logo: Version, fake: FakeExstream
) -> None:
    assert outbox.drain() == {"delivered": 2}
    assert outbox.drain() == {}
    names = sorted(push["name"] for push in fake.pushed)
    assert names == ["brand.logo.primary/email+web/email", "brand.logo.primary/email+web/web"]
    keys = {push["key"] for push in fake.pushed}
    assert keys == {str(k) for k in Delivery.objects.values_list("idempotency_key", flat=True)}
    assert set(Delivery.objects.values_list("remote_reference", flat=True)) == {"r1:1", "r1:2"}
    for delivery in Delivery.objects.select_related("rendition"):
        assert delivery.rendition is not None and delivery.rendition.profile == delivery.profile
        assert delivery.rendition.version_id == approved_logo.pk


def test_a_failed_push_is_retried_later_and_a_dead_one_is_audited(
    approved_logo: Version,
    fake: FakeExstream,
    settings: Any,
    brand_manager: Any,
    compliance_officer: Any,
    auditor: Any,
) -> None:
    settings.DELIVERY_MAX_ATTEMPTS = 2
    Delivery.objects.filter(profile="web").delete()
    fake.failures = [ExstreamError("503 unavailable", retryable=True)] * 2
    assert outbox.drain(until_idle=False) == {"retrying": 1}
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (
        "retrying",
        1,
        "503 unavailable",
    )
    assert outbox.drain() == {"dead": 1}
    assert AuditEvent.objects.get(action="delivery.dead").data["error"] == "503 unavailable"
    dead = Notification.objects.filter(key__startswith=f"delivery-dead:{delivery.pk}:")
    assert sorted(dead.values_list("user__username", flat=True)) == ["bella", "colin"]
    assert "503 unavailable" in dead.first().body  # type: ignore[union-attr]


def test_a_refusal_from_exstream_is_dead_at_once(
    approved_logo: Version, fake: FakeExstream
) -> None:
    fake.failures = [ExstreamError("400 bad image", retryable=False)]
    outcomes = outbox.drain()
    assert outcomes["dead"] == 1 and outcomes["delivered"] == 1


def test_backoff_waits_before_the_next_attempt(
    approved_logo: Version, fake: FakeExstream, settings: Any
) -> None:
    settings.DELIVERY_BACKOFF_SECONDS = 60
    fake.failures = [ExstreamError("timeout", retryable=True)] * 2
    outbox.drain()
    waiting = Delivery.objects.filter(state="retrying")
    assert waiting.count() == 2
    assert all(row.next_attempt_at <= timezone.now() + timedelta(seconds=60) for row in waiting)
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert outbox.drain() == {"delivered": 2}


def test_a_version_no_longer_approved_is_skipped(
    approved_logo: Version, fake: FakeExstream, compliance_officer: Any
) -> None:
    version_withdraw(version=approved_logo, actor=compliance_officer, comment="Recall")
    assert outbox.drain() == {"skipped": 2}
    assert fake.pushed == []


def test_a_leased_row_is_not_claimed_twice_until_the_lease_ends(
    approved_logo: Version, settings: Any
) -> None:
    first = deliveries.claim()
    assert len(first) == 2 and deliveries.claim() == []
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS + 1)
    ):
        taken_over = deliveries.claim()
    assert {pk for pk, _ in taken_over} == {pk for pk, _ in first}
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {2}


def test_a_worker_that_lost_its_lease_cannot_record_an_outcome(
    approved_logo: Version, fake: FakeExstream, settings: Any
) -> None:
    [(pk, stale_lease), _other] = deliveries.claim()
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS + 1)
    ):
        deliveries.claim()
    assert outbox.deliver(pk, stale_lease) == "delivered"
    assert Delivery.objects.get(pk=pk).state == "pending", "the new holder decides"


def test_retrying_a_dead_delivery_is_audited_and_settles_its_notices(
    approved_logo: Version,
    fake: FakeExstream,
    compliance_officer: Any,
    brand_manager: Any,
    auditor: Any,
) -> None:
    Delivery.objects.update(state="dead", attempts=8, last_error="gone")
    delivery = Delivery.objects.first()
    assert delivery is not None
    notices.delivery_dead(delivery, "gone")
    told = Notification.objects.get(user=brand_manager, key__startswith="delivery-dead:")
    with pytest.raises(PermissionDenied):
        deliveries.delivery_retry(delivery=delivery, actor=auditor)
    retried = deliveries.delivery_retry(delivery=delivery, actor=compliance_officer)
    assert (retried.state, retried.attempts) == ("pending", 0)
    assert AuditEvent.objects.filter(action="delivery.retried").count() == 1
    told.refresh_from_db()
    assert told.settled_by == compliance_officer.username, "someone retried it"
    with pytest.raises(Conflict):
        deliveries.delivery_retry(delivery=delivery, actor=compliance_officer)


def test_hot_folder_transport_writes_files_and_a_manifest(
    approved_logo: Version, settings: Any, tmp_path: Path
) -> None:
    settings.EXSTREAM_TRANSPORT = "hotfolder"
    settings.EXSTREAM_HOTFOLDER = tmp_path / "hot"
    assert outbox.drain() == {"delivered": 2}
    manifest = json.loads((tmp_path / "hot" / "manifest.json").read_text())
    entry = manifest["renditions"]["brand.logo.primary/email+web/email"]
    assert entry["file"] == "brand.logo.primary__email+web__email.png"
    assert (tmp_path / "hot" / entry["file"]).stat().st_size > 0
    assert entry["source_sha256"] == approved_logo.sha256
    assert len(entry["afp_name"]) == 8 and len(entry["metacode_name"]) == 6, "print streams' limits"
    other = manifest["renditions"]["brand.logo.primary/email+web/web"]
    assert entry["afp_name"] != other["afp_name"], "each name its own short name"
    assert entry["afp_name"] == hotfolder.short_name("brand.logo.primary/email+web/email", 8)


def test_hot_folder_manifest_is_never_seen_half_written(tmp_path: Path) -> None:
    folder, problems, done = tmp_path / "hot", [], threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                manifest = folder / "manifest.json"
                if manifest.exists():
                    json.loads(manifest.read_text())
            except (json.JSONDecodeError, FileNotFoundError) as error:
                problems.append(error)

    def write(worker: int) -> None:
        for n in range(60):
            hotfolder.publish(
                directory=folder,
                name=f"asset-{worker}-{n}/any/web",
                data=b"x" * 5000,
                extension="png",
                entry={"n": n, "pad": "y" * 2000},
            )

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(worker,)) for worker in range(3)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()
    assert problems == []
    assert len(json.loads((folder / "manifest.json").read_text())["renditions"]) == 180


def test_an_unexpected_error_is_retried_then_dead_and_never_stalls_the_batch(
    approved_logo: Version, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.DELIVERY_BACKOFF_SECONDS = 0
    settings.DELIVERY_MAX_ATTEMPTS = 2

    def broken(**push: Any) -> ImageVersion:
        raise OSError("disk full")

    monkeypatch.setattr(outbox.gateway, "push_image", broken)
    assert outbox.drain(until_idle=False) == {"retrying": 2}
    assert outbox.drain() == {"dead": 2}
    assert set(Delivery.objects.values_list("last_error", flat=True)) == {"OSError: disk full"}


def test_a_version_superseded_while_rendering_is_not_pushed(
    approved_logo: Version, fake: FakeExstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = outbox.rendition_for

    def render_then_supersede(*args: Any, **kwargs: Any) -> Any:
        made = real(*args, **kwargs)
        Version.objects.filter(pk=approved_logo.pk).update(state="superseded")
        return made

    monkeypatch.setattr(outbox, "rendition_for", render_then_supersede)
    assert outbox.drain() == {"skipped": 2}
    assert fake.pushed == []


def test_a_missing_cmyk_profile_keeps_the_print_delivery_waiting_never_dead(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    fake: FakeExstream,
    settings: Any,
    tmp_path: Path,
) -> None:
    version = add_version(logo, selectors=clean_selectors(channels=["print"]))
    version_approve(version=version, actor=compliance_officer)
    settings.RENDITION_CMYK_ICC = tmp_path / "missing.icc"
    settings.DELIVERY_MAX_ATTEMPTS = 1
    assert outbox.drain(until_idle=False) == {"waiting": 1}
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("retrying", 0)
    assert "missing.icc is missing" in delivery.last_error
    assert not AuditEvent.objects.filter(action="delivery.dead").exists()


def test_every_outcome_of_a_delivery_is_audited_once_with_what_landed(
    approved_logo: Version,
    fake: FakeExstream,
    compliance_officer: Any,
    add_version: AddVersion,
    logo: Asset,
) -> None:
    fake.failures.append(ExstreamError("Exstream is down", retryable=True))
    assert outbox.drain(until_idle=False) == {"retrying": 1, "delivered": 1}
    retrying = AuditEvent.objects.get(action="delivery.retrying")
    assert retrying.data["error"] == "Exstream is down" and retrying.data["attempts"] == 1
    assert outbox.drain() == {"delivered": 1}
    delivered = AuditEvent.objects.filter(action="delivery.delivered")
    assert delivered.count() == 2
    for event in delivered:
        delivery = Delivery.objects.select_related("rendition").get(pk=event.target_id)
        assert delivery.rendition is not None
        assert event.data["rendition_sha256"] == delivery.rendition.sha256
        assert event.data["remote_reference"] == delivery.remote_reference
        assert event.business_unit_id == logo.business_unit_id
    newer = add_version(logo, selectors=clean_selectors(channels=["email", "web"]))
    version_approve(version=newer, actor=compliance_officer)
    Version.objects.filter(pk=newer.pk).update(state="withdrawn")  # gone before the worker ran
    assert outbox.drain() == {"skipped": 2}
    skipped = AuditEvent.objects.filter(action="delivery.skipped")
    assert [event.data["reason"] for event in skipped] == ["Version is withdrawn now."] * 2
    assert outbox.drain() == {}
    assert AuditEvent.objects.filter(action__startswith="delivery.").count() == 5
