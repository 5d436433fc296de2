"""Install the schedules declared in govern/schedules.py; safe to run again."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django_q.models import Schedule

from govern.schedules import SCHEDULES


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules declared in code; remove stale ones."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        names = []
        for declared in SCHEDULES:
            fields = {key: value for key, value in declared.items() if key != "name"}
            Schedule.objects.update_or_create(name=declared["name"], defaults=fields)
            names.append(declared["name"])
        stale, _ = Schedule.objects.exclude(name__in=names).delete()
        self.stdout.write(f"Installed {len(names)} schedules; removed {stale} stale.")
