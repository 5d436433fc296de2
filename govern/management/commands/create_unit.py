"""Create a business unit; running it again with the same slug and name changes nothing."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govern.models import Industry
from govern.services import unit_create


class Command(BaseCommand):
    help = "Create the business unit <slug> named <name> (audited); safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="letters, digits, - and _ (e.g. banking-uk)")
        parser.add_argument("name", help="the name people see (e.g. 'Banking UK')")
        parser.add_argument("--industry", default="", choices=["", *Industry.values])
        parser.add_argument(
            "--publishes-editorial",
            action="store_true",
            help="the unit publishes editorial content (editorial-only licences may be used)",
        )
        parser.add_argument(
            "--time-zone",
            default="",
            help="the IANA zone its people plan in (e.g. Europe/Berlin; default: TIME_ZONE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            unit, created = unit_create(
                slug=options["slug"],
                name=options["name"],
                industry=options["industry"],
                publishes_editorial=options["publishes_editorial"],
                time_zone=options["time_zone"],
                actor=None,
            )
        except ValidationError as error:
            raise CommandError(_reasons(error)) from error
        verb = "Created" if created else "Unit already exists:"
        self.stdout.write(f"{verb} {unit.slug} ({unit.name}).")


def _reasons(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)
