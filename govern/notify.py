"""The one way any room tells people something: an in-product notice and an email.

notify() writes one Notification per person (once per key: a repeated cause notifies nobody
twice) in the caller's transaction, and after the commit queues the email for a worker, so a
slow or absent mail server never holds up a decision. send_email() marks what it sent; a
worker that dies before that sends it again on the next run (at least once).

Each person chooses (NotificationPreference): every notice by email as it happens (the
default), one daily digest of the day's notices (send_digests, scheduled), or no email.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from govern.models import EmailChoice, Notification, NotificationPreference


def notify(
    *, users: Iterable[User], key: str, subject: str, body: str = "", url: str = ""
) -> list[Notification]:
    """Tell each user once about this cause; return the notices that are new."""
    people = {user.pk: user for user in users if user.is_active}
    if not people:
        return []
    known = set(
        Notification.objects.filter(user_id__in=people, key=key).values_list("user_id", flat=True)
    )
    fresh = [
        Notification(user=user, key=key, subject=subject[:200], body=body, url=url[:500])
        for pk, user in people.items()
        if pk not in known
    ]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)  # a racing twin: one row
    created = list(
        Notification.objects.filter(user_id__in=[n.user_id for n in fresh], key=key).filter(
            emailed_at__isnull=True
        )
    )
    ids = [notice.pk for notice in created]
    if ids:
        transaction.on_commit(lambda: async_task("govern.notify.send_emails", ids))
    return created


def email_choice(user: Any) -> str:
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference.email if preference else EmailChoice.IMMEDIATELY


def email_choose(*, user: Any, email: str) -> NotificationPreference:
    """Set how a person receives their notices by email."""
    if email not in EmailChoice.values:
        raise ValidationError({"email": f"Choose one of: {', '.join(EmailChoice.values)}."})
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email}
    )
    return preference


def send_emails(ids: list[int]) -> int:
    """Email the notices not emailed yet to people who want each as it happens (and have an
    address); return how many."""
    sent = 0
    later = NotificationPreference.objects.exclude(email=EmailChoice.IMMEDIATELY).values("user")
    pending = Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).exclude(
        user__in=later
    )
    for notice in pending.select_related("user"):
        if notice.user.email:
            send_mail(
                subject=f"[Govern] {notice.subject}",
                message=_text(notice),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notice.user.email],
            )
            sent += 1
        Notification.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
    return sent


def send_digests(now: datetime | None = None) -> int:
    """Email each digest reader one message with their day's notices not emailed yet; return
    how many messages went."""
    now = now or timezone.now()
    readers = NotificationPreference.objects.filter(email=EmailChoice.DIGEST).select_related("user")
    sent = 0
    for preference in readers:
        notices = list(
            Notification.objects.filter(
                user=preference.user,
                emailed_at__isnull=True,
                created_at__gte=now - timedelta(days=1),
            ).order_by("created_at", "pk")
        )
        if not notices or not preference.user.email:
            continue
        send_mail(
            subject=f"[Govern] Your day: {len(notices)} notice{'s' if len(notices) != 1 else ''}",
            message="\n\n".join(f"* {notice.subject}\n{_text(notice)}" for notice in notices),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[preference.user.email],
        )
        Notification.objects.filter(pk__in=[n.pk for n in notices]).update(emailed_at=now)
        sent += 1
    return sent


def _text(notice: Notification) -> str:
    link = f"\n\n{settings.SITE_URL}{notice.url}" if notice.url else ""
    return f"{notice.body}{link}\n\nYour notices: {settings.SITE_URL}/notifications/\n"


def notification_read(*, notice: Notification) -> Notification:
    """Mark a notice read once (the page, its link and the API all come here)."""
    now = timezone.now()
    if Notification.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=now):
        notice.read_at = now
    else:
        notice.refresh_from_db(fields=["read_at"])
    return notice


def notifications_read_all(*, user: Any) -> int:
    """Mark every unread notice of a person read; return how many were unread."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
