"""Versions whose licence ended expire on the hourly run, and their templates are flagged."""

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from assets.models import Asset, LicensePurchase, LicenseTerm, Version, VersionLicence
from assets.rights.licences import licence_ends, versions_expire
from assets.services import version_approve
from audit.models import AuditEvent
from templates_app.models import Review, Template
from templates_app.services import binding_set, template_create


def licensed(logo: Asset, version: Version, valid_until: Any) -> None:
    purchase = LicensePurchase.objects.create(
        uuid="lpt-1",
        cart_uuid="cart-1",
        asset=logo,
        state="completed",
        content_element_uuid="2:0:1",
    )
    LicenseTerm.objects.create(
        purchase=purchase, sequence_number=1, fingerprint="f", valid_until=valid_until
    )
    Version.objects.filter(pk=version.pk).update(purchase=purchase)


def test_an_ended_licence_expires_the_version_and_flags_its_templates(
    logo: Asset, add_version: Any, compliance_officer: Any, designer: Any, unit: Any
) -> None:
    end = timezone.now() + timedelta(days=30)
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    licensed(logo, version, end)
    letter = template_create(
        exstream_id="EX-1",
        name="Letter",
        kind="communication",
        channels=["print"],
        unit=unit,
        actor=designer,
    )
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    assert versions_expire() == 0
    with time_machine.travel(end + timedelta(hours=1)):
        assert versions_expire() == 1
        assert versions_expire() == 0, "safe to run again"
    version.refresh_from_db()
    assert version.state == "expired"
    decision = version.decisions.get(action="expire")
    assert decision.actor is None and decision.comment == f"The licence ended on {end:%Y-%m-%d}."
    review = Review.objects.get(template=letter)
    assert (review.action, review.old_version) == ("expired", version)
    assert Template.objects.get(pk=letter.pk).state == "needs_review"
    assert AuditEvent.objects.filter(action="version.expired", target_id=str(version.pk)).exists()


def test_versions_without_an_end_date_never_expire(
    logo: Asset, add_version: Any, compliance_officer: Any
) -> None:
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    licensed(logo, version, None)
    with time_machine.travel(timezone.now() + timedelta(days=3650)):
        assert versions_expire() == 0


def test_a_version_expires_only_when_its_last_running_term_has_ended(
    logo: Asset, add_version: Any, compliance_officer: Any
) -> None:
    first_end = timezone.now() + timedelta(days=5)
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    licensed(logo, version, first_end)
    LicenseTerm.objects.create(
        purchase=LicensePurchase.objects.get(),
        sequence_number=2,
        fingerprint="g",
        valid_until=first_end + timedelta(days=30),
    )
    with time_machine.travel(first_end + timedelta(days=1)):
        assert versions_expire() == 0, "the second term still covers"
    with time_machine.travel(first_end + timedelta(days=31)):
        assert versions_expire() == 1
    decision = version.decisions.get(action="expire")
    assert decision.comment == f"The licence ended on {first_end + timedelta(days=30):%Y-%m-%d}."


def test_a_second_purchase_still_running_keeps_the_version(
    logo: Asset, add_version: Any, compliance_officer: Any
) -> None:
    end = timezone.now() + timedelta(days=5)
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    licensed(logo, version, end)
    again = LicensePurchase.objects.create(
        uuid="lpt-2", cart_uuid="cart-2", asset=logo, state="completed", content_element_uuid="e"
    )
    LicenseTerm.objects.create(
        purchase=again, sequence_number=1, fingerprint="g", valid_until=end + timedelta(days=60)
    )
    VersionLicence.objects.create(version=version, purchase=again)
    with time_machine.travel(end + timedelta(days=1)):
        assert versions_expire() == 0, "the re-purchase still covers"
    LicensePurchase.objects.filter(pk=again.pk).update(state="cancelled")
    with time_machine.travel(end + timedelta(days=1)):
        assert versions_expire() == 1, "a cancelled purchase keeps nothing alive"


def ends_of(version: Version) -> Any:
    return licence_ends(Version.objects.filter(pk=version.pk))


def test_a_licence_ends_with_the_last_term_of_its_valid_purchases(
    logo: Asset, add_version: Any, compliance_officer: Any
) -> None:
    now = timezone.now()
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    assert ends_of(version) == {}, "an unlicensed version has no end"
    licensed(logo, version, now + timedelta(days=10))
    version.refresh_from_db()
    assert ends_of(version)[version.pk].ends_at == now + timedelta(days=10)

    again = LicensePurchase.objects.create(
        uuid="lpt-2", cart_uuid="cart-2", asset=logo, state="completed", content_element_uuid="e2"
    )
    LicenseTerm.objects.create(
        purchase=again,
        sequence_number=1,
        fingerprint="g",
        valid_until=now + timedelta(days=40),
        to_be_used_until=now + timedelta(days=5),
    )
    VersionLicence.objects.create(version=version, purchase=again)
    end = ends_of(version)[version.pk]
    assert (end.ends_at, end.first_use_by) == (now + timedelta(days=40), now + timedelta(days=5))
    assert end.purchase_ids == {version.purchase_id, again.pk}

    LicenseTerm.objects.create(purchase=again, sequence_number=2, fingerprint="h")
    assert ends_of(version)[version.pk].ends_at is None, "a term without end runs on"

    LicensePurchase.objects.filter(pk=again.pk).update(state="cancelled")
    end = ends_of(version)[version.pk]
    assert end.ends_at == now + timedelta(days=10), "a cancelled purchase licenses nothing"
    assert end.purchase_ids == {version.purchase_id}
