"""Sign the audit chain's head and append it to AUDIT_CHECKPOINT_DIR/checkpoints, now.

--new-key prints a fresh signing key for AUDIT_CHECKPOINT_KEY; --public-key prints the verifier
key (AUDIT_CHECKPOINT_PUBLIC_KEY) that auditors check the checkpoints with. Exit 2 when the key
or the directory is not configured.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import checkpoints
from audit.services import audit_checkpoint


class Command(BaseCommand):
    help = "Write a signed checkpoint of the audit chain outside the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--new-key", action="store_true", help="print a new signing key")
        parser.add_argument("--public-key", action="store_true", help="print the verifier key")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["new_key"]:
                self.stdout.write(checkpoints.new_key())
            elif options["public_key"]:
                public = checkpoints.signing_key().public_key()
                name = settings.AUDIT_CHECKPOINT_ORIGIN
                self.stdout.write(checkpoints.verifier_key(name, public))
            else:
                point = audit_checkpoint()
                self.stdout.write(
                    f"Checkpoint written: {point.size} events, head {point.head_hash}, "
                    f"at {point.time}, in {checkpoints.directory() / checkpoints.FILE_NAME}"
                )
        except checkpoints.CheckpointError as error:
            raise CommandError(str(error), returncode=2) from error
