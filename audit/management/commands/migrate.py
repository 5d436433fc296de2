"""Django's migrate; its checks let it run while the audit triggers are missing, since its
post_migrate restores them (audit/checks.py)."""

from typing import Any

from django.core.management.commands import migrate

from audit.checks import restoring


class Command(migrate.Command):
    def check(self, *args: Any, **kwargs: Any) -> None:
        with restoring():
            super().check(*args, **kwargs)
