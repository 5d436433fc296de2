"""A run's use of a Smint.io purchase is a usage.reported event, sent through the outbox to its
subscribers, signed, retried after a failure and received once."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from assets.models import Version
from assets.services import version_approve
from assets.smintio.sync import smintio_sync
from templates_app.models import Delivery, WebhookDelivery, WebhookEvent
from templates_app.outbox import worker as outbox
from templates_app.services import binding_set, template_create
from tests.usage.conftest import report


def test_usage_of_a_purchase_is_an_event_received_once_despite_failures(
    smintio_sandbox: str, compliance_officer: Any, designer: Any, unit: Any, receiver: Any
) -> None:
    smintio_sync()
    version = Version.objects.filter(purchase__isnull=False, state="in_review").first()
    assert version is not None
    version_approve(version=version, actor=compliance_officer)
    Delivery.objects.all().delete()  # the renditions for Exstream are not this test's concern
    receiver.subscribe("usage.reported")
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
    event = WebhookEvent.objects.get(type="usage.reported")
    assert event.data["license_purchase_transaction_uuid"] == version.purchase.uuid  # type: ignore[union-attr]
    assert event.data["documents"] == 42
    assert event.data["documents_by_channel"] == {"print": 40, "email": 2}
    receiver.answer(503)
    assert outbox.drain(until_idle=False) == {"webhook retrying": 1}
    assert WebhookDelivery.objects.get().last_error == "It answered 503."
    assert outbox.drain() == {"webhook delivered": 1}
    assert outbox.drain() == {}
    [sent] = receiver.events()
    assert sent["verified"] and sent["id"] == str(event.pk)
    assert (sent["body"]["data"]["run_id"], sent["body"]["data"]["documents"]) == ("R1", 42)
