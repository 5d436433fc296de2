from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self) -> None:
        from audit import checks
        from audit.exports import events_table
        from govern.export_jobs import register_table

        register_table("audit_events", events_table)  # the other end: govern/export_jobs.py
        post_migrate.connect(checks.restore, sender=self, dispatch_uid="audit-restore-triggers")
