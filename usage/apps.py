from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "usage"
    verbose_name = "Usage and reconciliation"

    def ready(self) -> None:
        from assets.rights import register_usage_facts
        from govern.export_jobs import register_table
        from usage.exports import records_table
        from usage.limits import purchase_facts

        register_table("usage_records", records_table)  # the other end: govern/export_jobs.py

        # What usage counted per purchase, for the rights judge and licence-expiry warnings
        # (the registry's other end: assets/rights/judge.py, register_usage_facts).
        register_usage_facts(purchase_facts)
