"""Create the role groups and give each its permissions; safe to run again."""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from govern.roles import GROUP_PERMISSIONS, Role


def _permissions(names: tuple[str, ...]) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".")
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is None:
            raise CommandError(f"Permission {name} does not exist; run migrate first.")
        found.append(permission)
    return found


class Command(BaseCommand):
    help = "Create the role groups (brand_manager, compliance_officer, ...) and their permissions."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for role in Role:
            group, created = Group.objects.get_or_create(name=role.value)
            group.permissions.set(_permissions(GROUP_PERMISSIONS[role]))
            if options["verbosity"] > 0:
                self.stdout.write(f"{'Created' if created else 'Updated'} group {role.value}")
