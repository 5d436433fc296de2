"""Every recurring task, declared once; `manage.py install_schedules` installs them."""

from django.conf import settings
from django_q.models import Schedule

SCHEDULES = [
    {
        "name": "worker-heartbeat",
        "func": "govern.tasks.heartbeat",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        # Approvals nudge the worker; this re-drain means nothing depends on that nudge.
        "name": "drain-deliveries",
        "func": "templates_app.tasks.drain_deliveries",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        # Campaigns go live and end on time; a missed minute is caught up on the next.
        "name": "campaign-tick",
        "func": "templates_app.tasks.move_campaigns",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        "name": "smintio-sync",
        "func": "assets.tasks.smintio_sync_task",
        "schedule_type": Schedule.MINUTES,
        "minutes": 30,
    },
    {
        "name": "licence-expiry",
        "func": "assets.tasks.licences_expire",
        "schedule_type": Schedule.HOURLY,
    },
    {
        "name": "licence-expiry-warnings",
        "func": "templates_app.tasks.warn_of_expiry",
        "schedule_type": Schedule.DAILY,
    },
    {
        "name": "review-overdue",
        "func": "assets.due.escalate",
        "schedule_type": Schedule.HOURLY,
    },
    {
        "name": "notification-digest",
        "func": "govern.notify.send_digests",
        "schedule_type": Schedule.DAILY,
    },
    {
        # Usage records live in a partition per month (PostgreSQL): made before they are due.
        "name": "usage-partitions",
        "func": "usage.tasks.make_partitions",
        "schedule_type": Schedule.DAILY,
    },
    {
        "name": "usage-inbox",
        "func": "usage.tasks.import_usage_inbox",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        # Produced documents attached to runs; a reader that died is taken over after its lease.
        "name": "usage-samples",
        "func": "usage.tasks.read_samples",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    {
        "name": "exstream-import",
        "func": "templates_app.tasks.import_templates",
        "schedule_type": Schedule.HOURLY,
    },
    {
        # Exstream's own links against Govern's where-used graph (templates_app/exstream/).
        "name": "exstream-cross-check",
        "func": "templates_app.tasks.cross_check_exstream",
        "schedule_type": Schedule.HOURLY,
    },
    {
        # Signed heads of the audit chain outside the database (audit/checkpoints.py).
        "name": "audit-checkpoint",
        "func": "audit.tasks.write_checkpoint",
        "schedule_type": Schedule.MINUTES,
        "minutes": settings.AUDIT_CHECKPOINT_MINUTES,
    },
]
