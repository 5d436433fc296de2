"""Seed a demo: two business units, one person per role and a few assets; safe to rerun."""

import io
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from console.demo import (
    seed_assets,
    seed_campaign,
    seed_criteria,
    seed_rights,
    seed_templates,
)
from govern.identity.services import group_map
from govern.models import BusinessUnit
from govern.roles import Role
from govern.services import role_grant, unit_create, user_create, user_password_set
from templates_app.models import WebhookEndpoint
from templates_app.webhooks.services import endpoint_register

# Demo people's addresses: their mail lands in the local catcher (.mail/new/) under `make run`.
MAIL_DOMAIN = "govern.example"
UNITS = [
    ("insurance-de", "Insurance DE", "Europe/Berlin"),
    ("banking-uk", "Banking UK", "Europe/London"),
]
PEOPLE = [
    ("bella", "Bella", "Brand", Role.BRAND_MANAGER),
    ("colin", "Colin", "Compliance", Role.COMPLIANCE_OFFICER),
    ("carla", "Carla", "Compliance", Role.COMPLIANCE_OFFICER),
    ("dana", "Dana", "Designer", Role.COMMUNICATION_DESIGNER),
    ("audrey", "Audrey", "Auditor", Role.AUDITOR),
]


class Command(BaseCommand):
    help = "Create the demo units, users (one per role, two compliance officers) and assets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Use this password for new demo users.")
        parser.add_argument(
            "--campaign-in",
            type=int,
            metavar="MINUTES",
            help="Schedule a demo campaign going live this many minutes from now (1 to 60).",
        )
        parser.add_argument(
            "--reset-passwords", action="store_true", help="Give existing demo users new ones."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("bootstrap", stdout=io.StringIO())
        with transaction.atomic():
            units = [self._unit(slug, name, zone) for slug, name, zone in UNITS]
            people = {}
            for username, first, last, role in PEOPLE:
                people[username] = self._person(username, first, last, role, options)
                for unit in units:
                    role_grant(user=people[username], role=role, unit=unit, actor=None)
            for unit in units:
                if seed_assets(unit, people["bella"], [people["carla"]]):
                    seed_templates(unit, people["dana"])
                    seed_rights(unit, people["bella"], [people["carla"]], people["dana"])
                    seed_criteria(unit, people["carla"])
                    self.stdout.write(f"  demo assets and templates created in {unit.slug}")
            if settings.OIDC_ISSUER:  # single sign-on: its compliance group gives the role
                group_map(
                    group="govern-compliance-insurance-de",
                    role=Role.COMPLIANCE_OFFICER,
                    unit=units[0],
                    actor=None,
                )
            if options["campaign_in"] is not None:
                self._campaign(units[0], people, options["campaign_in"])
            self._subscriber()
        self.stdout.write("Demo ready in units insurance-de and banking-uk.")

    def _campaign(self, unit: BusinessUnit, people: dict[str, Any], minutes: int) -> None:
        if not 1 <= minutes <= 60:
            raise CommandError("--campaign-in takes 1 to 60 minutes.")
        said = seed_campaign(unit, people["bella"], people["carla"], minutes)
        self.stdout.write(f"  campaign in {unit.slug}: {said}")

    def _subscriber(self) -> None:
        """Subscribe the local webhook receiver to every event, once; hand it the secret
        through its state directory, as an operator pastes it into a relay's settings."""
        url = settings.DEMO_WEBHOOK_URL
        if not url or WebhookEndpoint.objects.filter(url=url).exists():
            return
        _endpoint, secret = endpoint_register(
            url=url, event_types=["*"], description="The demo's local receiver", actor=None
        )
        pasted = Path(settings.BASE_DIR) / ".sandbox" / "receiver.secrets"
        pasted.parent.mkdir(parents=True, exist_ok=True)
        with pasted.open("a") as file:
            file.write(secret + "\n")
        self.stdout.write(f"  webhooks: every event goes to {url} (see its page at /)")

    def _unit(self, slug: str, name: str, zone: str) -> BusinessUnit:
        unit, _created = unit_create(slug=slug, name=name, time_zone=zone, actor=None)
        return unit

    def _person(
        self, username: str, first: str, last: str, role: Role, options: dict[str, Any]
    ) -> Any:
        password = options["password"] or secrets.token_urlsafe(9)
        user, created = user_create(
            username=username,
            password=password,
            actor=None,
            first_name=first,
            last_name=last,
            email=f"{username}@{MAIL_DOMAIN}",
        )
        if created or options["reset_passwords"]:
            if not created:
                user_password_set(user=user, password=password, actor=None)
            self.stdout.write(f"  {username:<8} {role.label:<24} password: {password}")
        else:
            self.stdout.write(
                f"  {username:<8} {role.label:<24} (exists; --reset-passwords prints a new one)"
            )
        return user
