"""Licences about to end warn the unit's brand managers and the owners of every template that
uses the asset, once per threshold, in the product and by email; the board shows it too."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from assets.models import Asset, LicensePurchase, LicenseTerm, Version
from assets.services import version_approve
from govern.models import Notification
from govern.notify import notify, send_emails
from templates_app.expiry import endings, expiry_warnings
from templates_app.models import Template
from templates_app.services import binding_set, composition_add
from tests.templates_app.conftest import license_version

END = datetime(2027, 3, 31, 23, 0, tzinfo=UTC)


@pytest.fixture
def licensed(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    brand_manager: Any,
    designer: Any,
    make_template: Callable[..., Template],
) -> Version:
    """An approved logo licensed until END, in a header component inside a letter."""
    version = version_approve(version=add_version(logo), actor=compliance_officer)
    license_version(version, "lpt-x", valid_until=END)
    header = make_template("Header", kind="component")
    binding_set(template=header, slot="logo", asset=logo, actor=designer)
    composition_add(parent=make_template("Letter"), child=header, actor=designer)
    brand_manager.email, designer.email = "bella@example.test", "dana@example.test"
    brand_manager.save()
    designer.save()
    return version


def warn(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return expiry_warnings()


def test_people_are_told_once_per_threshold(
    licensed: Version, brand_manager: Any, designer: Any, compliance_officer: Any
) -> None:
    assert warn(END - timedelta(days=40)) == 0
    assert warn(END - timedelta(days=20)) == 2
    assert warn(END - timedelta(days=19)) == 0, "the 30-day notice is not repeated"
    assert warn(END - timedelta(days=5)) == 2
    notices = Notification.objects.filter(user=designer).order_by("created_at")
    assert [n.subject for n in notices] == [
        "brand.logo.primary v1: licence ends in 20 days (2027-03-31)",
        "brand.logo.primary v1: licence ends in 5 days (2027-03-31)",
    ]
    assert "Header, Letter" in notices[0].body
    assert notices[0].url == licensed.get_absolute_url()
    expiry = Notification.objects.filter(key__startswith="expiry:")
    assert not expiry.filter(user=compliance_officer).exists()
    assert expiry.filter(user=brand_manager).count() == 2


def test_a_term_without_end_or_a_cancelled_purchase_warns_nobody(licensed: Version) -> None:
    LicenseTerm.objects.create(
        purchase=LicensePurchase.objects.get(), sequence_number=2, fingerprint="g"
    )
    assert endings(END - timedelta(days=5), 30) == []
    LicenseTerm.objects.filter(sequence_number=2).delete()
    LicensePurchase.objects.update(state="cancelled")
    assert endings(END - timedelta(days=5), 30) == []


def test_a_first_use_deadline_warns_until_a_use_is_reported(licensed: Version) -> None:
    LicenseTerm.objects.update(valid_until=None, to_be_used_until=END)
    [ending] = endings(END - timedelta(days=3), 30)
    assert ending.describe(END - timedelta(days=3)) == "first use must start in 3 days (2027-03-31)"


def test_notices_are_emailed_by_the_worker_after_the_commit(
    brand_manager: Any, django_capture_on_commit_callbacks: Any
) -> None:
    brand_manager.email = "bella@example.test"
    brand_manager.save()
    with django_capture_on_commit_callbacks() as callbacks:
        [notice] = notify(
            users=[brand_manager], key="k", subject="Hello", body="Body", url="/x/", urgent=True
        )
    assert len(callbacks) == 1 and mail.outbox == []
    assert notify(users=[brand_manager], key="k", subject="Hello") == []
    assert send_emails([notice.pk]) == 1
    assert send_emails([notice.pk]) == 0, "a notice is emailed once"
    [email] = mail.outbox
    assert email.to == ["bella@example.test"] and email.subject == "[Govern] Hello"
    assert "Body" in email.body and "/x/" in email.body


def test_the_notices_page_lists_marks_read_and_keeps_to_its_owner(
    brand_manager: Any, designer: Any, client_for: Callable[[Any], Client]
) -> None:
    [notice] = notify(users=[brand_manager], key="k", subject="Licence ends", url="/assets/1/")
    client = client_for(brand_manager)
    page = client.get("/notifications/").content.decode()
    assert "Licence ends" in page and 'aria-label="1 unread"' in page
    assert client_for(designer).post(f"/notifications/{notice.pk}/read").status_code == 404
    followed = client.post(f"/notifications/{notice.pk}/read")
    assert followed.status_code == 302 and followed["Location"] == "/assets/1/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    empty = client_for(designer).get("/notifications/").content.decode()
    assert "Nothing to tell you yet" in empty


def test_an_offsite_link_is_never_followed(
    brand_manager: Any, client_for: Callable[[Any], Client]
) -> None:
    [notice] = notify(users=[brand_manager], key="k", subject="x", url="https://evil.example/")
    response = client_for(brand_manager).post(f"/notifications/{notice.pk}/read")
    assert response["Location"] == "/notifications/"


def test_the_board_says_when_a_licence_ends(
    licensed: Version, designer: Any, client_for: Callable[[Any], Client]
) -> None:
    with time_machine.travel(END - timedelta(days=6), tick=False):
        html = client_for(designer).get("/templates/").content.decode()
    assert html.count("brand.logo.primary: licence ends in 6 days") == 2
