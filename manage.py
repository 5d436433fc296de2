#!/usr/bin/env python
"""Django's command-line utility for Govern."""

import os
import sys

CONFIGURATION_ERROR = 2  # not 1: audit_verify exits 1 when the chain is broken


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govern.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018  (load the settings now, to report them plainly)
    except ImproperlyConfigured as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        sys.exit(CONFIGURATION_ERROR)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
