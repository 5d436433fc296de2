from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self) -> None:
        from audit import checks

        post_migrate.connect(checks.restore, sender=self, dispatch_uid="audit-restore-triggers")
