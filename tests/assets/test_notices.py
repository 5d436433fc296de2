"""Notices of the version workflow, the API over one's own notices, and the polled count."""

from collections.abc import Callable
from typing import Any

from django.core import mail
from django.test import Client

from assets.models import Asset, Version
from assets.services import version_approve, version_reject
from govern.models import Notification
from govern.notify import send_emails
from govern.roles import Role

ClientFor = Callable[[Any], Client]
AddVersion = Callable[..., Version]


def subjects(user: Any) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("subject", flat=True))


def test_a_submitted_version_notifies_the_units_officers_but_not_its_own_people(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    brand_manager: Any,
    make_user: Callable[..., Any],
    other_unit: Any,
    unit: Any,
) -> None:
    elsewhere = make_user("otto", Role.COMPLIANCE_OFFICER, other_unit)
    submitting_officer = make_user("sofia", Role.COMPLIANCE_OFFICER, unit)
    from govern.services import role_grant

    role_grant(user=submitting_officer, role=Role.BRAND_MANAGER, unit=unit, actor=None)
    version = add_version(logo)
    assert subjects(compliance_officer) == [f"{version} waits for your decision"]
    assert subjects(submitting_officer) == [f"{version} waits for your decision"]
    assert subjects(elsewhere) == [] and subjects(brand_manager) == []
    own = add_version(logo, actor=submitting_officer)
    assert f"{own} waits for your decision" not in subjects(submitting_officer)
    notice = Notification.objects.get(user=compliance_officer, key=f"version-waiting:{version.pk}")
    assert notice.url == f"/assets/versions/{version.pk}/"


def test_a_decision_notifies_the_submitter_with_the_reason_and_is_emailed(
    logo: Asset, add_version: AddVersion, compliance_officer: Any, brand_manager: Any
) -> None:
    brand_manager.email = "bella@govern.example"
    brand_manager.save()
    approved = version_approve(version=add_version(logo), actor=compliance_officer)
    rejected = version_reject(
        version=add_version(logo), actor=compliance_officer, comment="Old palette"
    )
    assert subjects(brand_manager) == [f"{rejected} rejected", f"{approved} approved"]
    decided = Notification.objects.get(
        user=brand_manager, key__startswith=f"version-decided:{rejected.pk}:"
    )
    assert "Old palette" in decided.body
    ids = list(Notification.objects.filter(user=brand_manager).values_list("pk", flat=True))
    assert send_emails(ids) == 2
    assert sorted(message.subject for message in mail.outbox) == sorted(
        f"[Govern] {subject}" for subject in subjects(brand_manager)
    )
    assert subjects(compliance_officer) == [
        f"{rejected} waits for your decision",
        f"{approved} waits for your decision",
    ]


def test_the_api_lists_only_ones_own_notices_newest_first_and_marks_them_read(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    brand_manager: Any,
    client_for: ClientFor,
) -> None:
    first, second = add_version(logo), add_version(logo)
    client = client_for(compliance_officer)
    listed = client.get("/api/v1/notifications/").json()
    assert [row["subject"] for row in listed["results"]] == [
        f"{second} waits for your decision",
        f"{first} waits for your decision",
    ]
    assert [row["read"] for row in listed["results"]] == [False, False]
    notice = listed["results"][1]["id"]
    marked = client.post(f"/api/v1/notifications/{notice}/read/")
    assert marked.status_code == 200 and marked.json()["read"] is True
    assert client.post(f"/api/v1/notifications/{notice}/read/").status_code == 200
    assert client_for(brand_manager).get("/api/v1/notifications/").json()["results"] == []
    assert (
        client_for(brand_manager).post(f"/api/v1/notifications/{notice}/read/").status_code == 404
    )
    assert Client().get("/api/v1/notifications/").status_code == 401


def test_the_header_count_is_polled_and_says_nothing_without_a_session(
    logo: Asset, add_version: AddVersion, compliance_officer: Any, client_for: ClientFor
) -> None:
    add_version(logo)
    add_version(logo)
    fragment = client_for(compliance_officer).get("/notifications/count").content.decode()
    assert 'hx-trigger="every 30s"' in fragment
    assert 'aria-label="2 unread">2<' in fragment
    assert Client().get("/notifications/count").status_code == 204


def test_each_person_chooses_email_now_a_daily_digest_or_none(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    second_compliance_officer: Any,
    make_user: Callable[..., Any],
    unit: Any,
    client_for: ClientFor,
) -> None:
    from govern.notify import send_digests

    quiet = make_user("quinn", Role.COMPLIANCE_OFFICER, unit)
    for person in (compliance_officer, second_compliance_officer, quiet):
        person.email = f"{person.username}@govern.example"
        person.save()
    client_for(compliance_officer).post("/notifications/preferences", {"email": "immediately"})
    client_for(quiet).post("/notifications/preferences", {"email": "off"})
    assert client_for(quiet).post("/notifications/preferences", {"email": "x"}).status_code == 400
    first, second = add_version(logo), add_version(logo)
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert send_emails(ids) == 2  # only the officer who wants each at once (digest by default)
    assert {m.to[0] for m in mail.outbox} == {compliance_officer.email}
    mail.outbox.clear()
    assert send_digests() == 1
    [digest] = mail.outbox
    assert digest.to == [second_compliance_officer.email]
    assert digest.subject == "[Govern] Your day: 2 notices"
    assert str(first) in digest.body and str(second) in digest.body
    assert send_digests() == 0, "a digest sends each notice once"
    assert subjects(quiet) == [
        f"{second} waits for your decision",
        f"{first} waits for your decision",
    ]
    assert not Notification.objects.filter(user=quiet, emailed_at__isnull=False).exists()
    page = client_for(quiet).get("/notifications/").content.decode()
    assert 'value="off" checked' in page


def test_a_decided_version_settles_the_other_officers_notices(
    logo: Asset,
    add_version: AddVersion,
    compliance_officer: Any,
    second_compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    from govern.notify import send_digests, unread_count

    second_compliance_officer.email = "carl@govern.example"
    second_compliance_officer.save()
    version = add_version(logo)
    assert unread_count(second_compliance_officer) == 1
    version_approve(version=version, actor=compliance_officer)
    settled = Notification.objects.get(
        user=second_compliance_officer, key=f"version-waiting:{version.pk}"
    )
    assert settled.settled_at is not None and settled.settled_by == "colin"
    assert unread_count(second_compliance_officer) == 0, "the badge falls as others decide"
    mine = Notification.objects.get(user=compliance_officer, key=f"version-waiting:{version.pk}")
    assert mine.read_at is not None and mine.settled_at is None
    assert send_emails([settled.pk]) == 0 and send_digests() == 0, "nothing settled is mailed"
    page = client_for(second_compliance_officer).get("/notifications/").content.decode()
    assert "done by colin" in page


def test_repeated_notices_group_and_urgent_ones_are_mailed_at_once(
    logo: Asset, add_version: AddVersion, compliance_officer: Any, client_for: ClientFor
) -> None:
    from govern.notify import notify

    compliance_officer.email = "colin@govern.example"
    compliance_officer.save()
    for _ in range(3):
        add_version(logo)
    page = client_for(compliance_officer).get("/notifications/").content.decode()
    assert "3 versions wait for your decision" in page
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert send_emails(ids) == 0, "a daily digest by default"
    [urgent] = notify(users=[compliance_officer], key="overdue:x", subject="Late", urgent=True)
    assert send_emails([urgent.pk]) == 1
