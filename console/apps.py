from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Console"

    def ready(self) -> None:
        from console.audit_log.exports import events_table
        from govern.export_jobs import register_table

        register_table("audit_events", events_table)  # the other end: govern/export_jobs.py
