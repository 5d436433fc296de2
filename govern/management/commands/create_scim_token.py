"""Issue the SCIM bearer token of an identity provider's provisioning client (shown once)."""

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import audit_record
from govern.identity.scim import token_create


class Command(BaseCommand):
    help = "Issue <provider>'s SCIM token (replacing its earlier one); it is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("provider", help="A name for the provider, e.g. entra or okta.")

    def handle(self, *args: Any, **options: Any) -> None:
        provider = options["provider"]
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,99}", provider):
            raise CommandError("A provider's name is lower-case letters, digits, '-' and '_'.")
        raw = token_create(provider)
        audit_record(action="scim.token_issued", data={"provider": provider, "prefix": raw[:12]})
        self.stdout.write(f"SCIM token for {provider}, shown once: {raw}")
