"""Check, read-only, that Govern can work with the configured Exstream: `manage.py
exstream_check` asks for a token, reads the domain and its workflow, lists the images and makes
one link query; it prints what holds and what does not, and exits 1 on any failure."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from templates_app.exstream import client as proxy
from templates_app.exstream import das
from templates_app.exstream.client import ExstreamError

Check = tuple[str, Callable[[], str]]


def das_checks(gateway: das.Das) -> list[Check]:
    def token() -> str:
        gateway.token(renew=True)
        grant = (
            f"password grant as {gateway.otds.username}"
            if gateway.otds.username
            else (f"client credentials of {gateway.otds.client_id}")
        )
        return f"{grant}, scope {gateway.otds.scope!r}, from {gateway.otds.token_url}"

    def links() -> str:
        found = gateway.images()
        if not found:
            return "no image to ask about yet (the first push makes one)"
        users = gateway.used_by(found[0].id)
        return f"{found[0].name} is used by {len(users)} communication(s), through any depth"

    return [
        ("token", token),
        ("domain", lambda: f"{gateway.domain}: {gateway.workflow()} workflow"),
        ("images", lambda: f"{len(gateway.images())} image resource(s), latest versions"),
        ("links", links),
    ]


def proxy_checks(client: proxy.ExstreamClient) -> list[Check]:
    def token() -> str:
        client.token()
        return f"client credentials from {client.token_url}"

    return [("token", token), ("templates", lambda: f"{len(client.templates())} template(s)")]


class Command(BaseCommand):
    help = "Check, read-only, the token, domain, images and links of the configured Exstream."

    def handle(self, *args: Any, **options: Any) -> None:
        mode = settings.EXSTREAM_API
        self.stdout.write(f"Exstream at {settings.EXSTREAM_URL}, speaking {mode}:")
        try:
            checks = das_checks(das.gateway()) if mode == "das" else proxy_checks(proxy.client())
        except ExstreamError as error:
            raise CommandError(f"not configured: {error.detail}") from error
        failed = 0
        for name, check in checks:
            try:
                self.stdout.write(f"  ok      {name}: {check()}")
            except ExstreamError as error:
                failed += 1
                self.stdout.write(f"  FAILED  {name}: {error.detail}")
        if failed:
            raise CommandError(f"{failed} of {len(checks)} checks failed.")
        self.stdout.write(f"All {len(checks)} checks hold.")
