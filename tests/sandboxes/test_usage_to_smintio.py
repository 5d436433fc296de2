"""A run's use of a Smint.io purchase goes back to Smint.io through the outbox, exactly once."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from assets.models import Version
from assets.services import version_approve
from assets.smintio.sync import smintio_sync
from templates_app.models import Delivery
from templates_app.outbox import worker as outbox
from templates_app.services import binding_set, template_create
from tests.sandboxes.runner import call, set_faults
from tests.usage.conftest import report


def usage_reports(base_url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = call("GET", f"{base_url}/_sandbox/usage-reports").json()["items"]
    return items


def test_usage_of_a_purchase_is_reported_once_despite_failures(
    smintio_sandbox: str, compliance_officer: Any, designer: Any, unit: Any, settings: Any
) -> None:
    settings.DELIVERY_BACKOFF_SECONDS = 0
    smintio_sync()
    version = Version.objects.filter(purchase__isnull=False, state="in_review").first()
    assert version is not None
    version_approve(version=version, actor=compliance_officer)
    Delivery.objects.all().delete()  # the renditions for Exstream are not this test's concern
    letter = template_create(
        exstream_id="EX-LETTER",
        name="Letter",
        kind="communication",
        channels=["print"],
        unit=unit,
        actor=designer,
    )
    binding_set(template=letter, slot="visual", asset=version.variant.asset, actor=designer)
    started = timezone.now() - timedelta(hours=1)
    lines = [
        {"version": version.pk, "channel": "print", "region": "DE", "documents": 40},
        {"version": version.pk, "channel": "email", "region": "DE", "documents": 2},
    ]
    report("R1", lines, started=started)
    queued = Delivery.objects.get(target="smintio")
    assert queued.payload["license_purchase_transaction_uuid"] == version.purchase.uuid  # type: ignore[union-attr]
    assert queued.payload["documents"] == 42
    assert queued.payload["documents_by_channel"] == {"print": 40, "email": 2}
    set_faults(smintio_sandbox, error_rate=1.0)
    assert outbox.drain(until_idle=False) == {"retrying": 1}
    set_faults(smintio_sandbox, error_rate=0.0)
    assert outbox.drain() == {"delivered": 1}
    assert outbox.drain() == {}
    [sent] = usage_reports(smintio_sandbox)
    assert (sent["run_id"], sent["documents"]) == ("R1", 42)
    assert sent["idempotency_key"] == str(queued.idempotency_key)
