"""The one way any room tells people something: an in-product notice and an email.

notify() writes one Notification per person (once per key: a repeated cause notifies nobody
twice) in the caller's transaction, and after the commit queues the email for a worker, so a
slow or absent mail server never holds up a decision. send_email() marks what it sent; a
worker that dies before that sends it again on the next run (at least once).

Each person chooses (NotificationPreference): one daily digest of the day's notices (the
default; send_digests, scheduled) with what is urgent (overdue, or theirs by name) mailed at once,
every notice as it happens, or no email. A notice whose cause someone else dealt with settles
(notices_settle): it is marked done by them, is no longer new or counted, and is not mailed.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from govern.models import EmailChoice, Notification, NotificationPreference


def notify(
    *,
    users: Iterable[User],
    key: str,
    subject: str,
    body: str = "",
    url: str = "",
    urgent: bool = False,
) -> list[Notification]:
    """Tell each user once about this cause; return the notices that are new. An urgent one
    is mailed at once to everyone who has not turned email off."""
    people = {user.pk: user for user in users if user.is_active}
    if not people:
        return []
    known = set(
        Notification.objects.filter(user_id__in=people, key=key).values_list("user_id", flat=True)
    )
    fresh = [
        Notification(
            user=user, key=key, subject=subject[:200], body=body, url=url[:500], urgent=urgent
        )
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


def notices_settle(*, keys: Iterable[str] = (), prefix: str = "", by: Any) -> int:
    """Settle the open notices of these causes (or of every key starting with prefix):
    someone (by) did what they asked. The one who did it has read theirs; return how many
    settled."""
    keys = list(keys)
    if not keys and not prefix:
        return 0
    now = timezone.now()
    name = (by.get_full_name() or by.get_username()) if by is not None else "Govern"
    which = Q(key__startswith=prefix) if prefix else Q(key__in=keys)
    open_ = Notification.objects.filter(which, settled_at__isnull=True)
    if by is not None:
        open_.filter(user=by, read_at__isnull=True).update(read_at=now)
        open_ = open_.exclude(user=by)
    return open_.update(settled_at=now, settled_by=name[:150])


def email_choice(user: Any) -> str:
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference.email if preference else EmailChoice.DIGEST


def email_choose(*, user: Any, email: str) -> NotificationPreference:
    """Set how a person receives their notices by email."""
    if email not in EmailChoice.values:
        raise ValidationError({"email": f"Choose one of: {', '.join(EmailChoice.values)}."})
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email}
    )
    return preference


def send_emails(ids: list[int]) -> int:
    """Email the notices not emailed yet to people who want each as it happens, and the urgent
    ones to all but those who turned email off (with an address, not settled meanwhile);
    return how many."""
    sent = 0
    now_wanted = NotificationPreference.objects.filter(email=EmailChoice.IMMEDIATELY).values("user")
    off = NotificationPreference.objects.filter(email=EmailChoice.OFF).values("user")
    pending = (
        Notification.objects.filter(pk__in=ids, emailed_at__isnull=True, settled_at__isnull=True)
        .filter(Q(user__in=now_wanted) | Q(urgent=True))
        .exclude(user__in=off)
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
    elsewhere = NotificationPreference.objects.exclude(email=EmailChoice.DIGEST).values("user")
    waiting = Notification.objects.filter(
        emailed_at__isnull=True,
        settled_at__isnull=True,
        created_at__gte=now - timedelta(days=1),
    ).exclude(user__in=elsewhere)
    sent = 0
    for user in User.objects.filter(pk__in=waiting.values("user")).exclude(email=""):
        notices = list(waiting.filter(user=user).order_by("created_at", "pk"))
        send_mail(
            subject=f"[Govern] Your day: {len(notices)} notice{'s' if len(notices) != 1 else ''}",
            message="\n\n".join(f"* {notice.subject}\n{_text(notice)}" for notice in notices),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
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
    """What still needs the person: unread and not settled by someone else."""
    return Notification.objects.filter(
        user=user, read_at__isnull=True, settled_at__isnull=True
    ).count()
