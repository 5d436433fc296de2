"""Run the web app, a django-q2 worker and (in development) the sandboxes under honcho, in one
foreground process; Ctrl-C stops them all."""

import argparse
import json
import os
import shlex
import shutil
import sys
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS, transaction
from honcho.manager import Manager

from govern.models import ApiKey, BusinessUnit
from govern.services import api_key_create, api_key_revoke

SANDBOX_KEY = "exstream-sandbox"


class Command(BaseCommand):
    help = "Start gunicorn and a qcluster worker (and the sandboxes); Ctrl-C or any exit stops all."
    requires_system_checks: list[str] = []  # run below with the database's (audit triggers)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument(
            "--sandboxes",
            action=argparse.BooleanOptionalAction,
            default=settings.START_SANDBOXES,
            help="Also run the sandboxes (default: START_SANDBOXES, on with DEBUG).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.check(databases=[DEFAULT_DB_ALIAS])
        default_site_url(options["bind"])
        manage = str(settings.BASE_DIR / "manage.py")
        commands = {
            "web": [
                *(sys.executable, "-m", "gunicorn", "govern.wsgi"),
                *("--bind", options["bind"], "--workers", str(options["web_workers"])),
                *("--worker-class", "gthread", "--threads", "4", "--access-logfile", "-"),
                # Idle connections stay open longer than a balancer's (60 s is common): a server
                # closing first races the next request on it, which then fails as a reset.
                *("--keep-alive", "75"),
                *("--limit-request-line", "8190"),  # gunicorn's largest: long filters reach Govern
            ],
            "worker": [sys.executable, manage, "qcluster"],
        }
        if settings.SMINTIO_CHANNEL_ID:  # Smint.io's push; the scheduled pull stays the fallback
            commands["smintio-listener"] = [sys.executable, manage, "smintio_listen"]
        environments: dict[str, dict[str, str]] = {}
        if options["sandboxes"]:
            commands.update(sandbox_commands(manage, options["bind"]))
            commands.update(mail_catcher())
            commands.update(identity_provider(manage, options["bind"]))
            if "exstream-sandbox" in commands:
                environments["exstream-sandbox"] = {**os.environ, "GOVERN_API_KEY": sandbox_key()}
                commands["demo-runs"] = [
                    *(sys.executable, manage, "demo_runs", "--stay"),
                    *("--govern-url", f"http://{options['bind']}"),
                ]
        # honcho runs each child in its own process group and prefixes its output with its name;
        # Ctrl-C (or SIGTERM) reaches honcho alone, which stops every child, and so does any
        # child that exits (demo-runs stays once its runs are played, for that reason).
        manager = Manager()
        for name, argv in commands.items():
            manager.add_process(name, shlex.join(argv), env=environments.get(name))
        self.stdout.write(f"Govern is running on http://{options['bind']}/ (Ctrl-C stops it)")
        self.stdout.flush()
        manager.loop()
        stopped_by_signal = manager.returncode in {130, 143}  # SIGINT, SIGTERM: as asked
        sys.exit(0 if stopped_by_signal else manager.returncode or 0)


def default_site_url(bind: str) -> str:
    """Let the links in emails point where this serves, unless SITE_URL says otherwise (the
    children read it from the environment they inherit)."""
    return os.environ.setdefault("SITE_URL", f"http://{bind}")


def sandbox_commands(manage: str, bind: str) -> dict[str, list[str]]:
    """Return the commands that serve each sandbox on the loopback port its URL points at."""
    commands = {}
    for system, url in (("exstream", settings.EXSTREAM_URL), ("smintio", settings.SMINTIO_API_URL)):
        address = urlsplit(url)
        if address.hostname in {"127.0.0.1", "localhost"} and address.port is not None:
            argv = [sys.executable, manage, "sandbox", system, "--port", str(address.port)]
            if system == "smintio":  # changes are notified through Pusher, as Smint.io does,
                # or else to Govern's relay hook, signed
                argv += _pusher_options() or ["--hook-url", f"http://{bind}/hooks/smintio"]
            if system == "exstream":  # its production runs ask Govern and report usage
                argv += ["--govern-url", f"http://{bind}"]
                argv += ["--api", settings.EXSTREAM_API]  # the contract Govern speaks
                argv += ["--api-prefix", settings.EXSTREAM_API_PREFIX]
                argv += ["--otds-tenant", settings.EXSTREAM_OTDS_TENANT]
                if settings.EXSTREAM_DOMAIN:
                    argv += ["--domain", settings.EXSTREAM_DOMAIN]
            commands[f"{system}-sandbox"] = argv
    receiver = urlsplit(settings.DEMO_WEBHOOK_URL)
    if receiver.hostname in {"127.0.0.1", "localhost"} and receiver.port is not None:
        argv = [sys.executable, manage, "sandbox", "receiver", "--port", str(receiver.port)]
        commands["webhook-receiver"] = argv
    return commands


# The demo's people at the local identity provider (`make run-sso`) and the groups it puts
# them in; seed_demo maps these groups to roles.
DEMO_SSO_ACCOUNTS = {
    "colin": {"groups": ["govern-compliance-insurance-de"], "email": "colin@govern.example"},
    "olivia": {"groups": ["govern-compliance-insurance-de"], "email": "olivia@govern.example"},
    "nemo": {"groups": ["staff"], "email": "nemo@govern.example"},
}


def identity_provider(manage: str, bind: str) -> dict[str, list[str]]:
    """Serve the local OpenID provider (tests/oidc, panva's oidc-provider under Node.js) where
    OIDC_ISSUER points on loopback, with Govern as its client."""
    address = urlsplit(settings.OIDC_ISSUER)
    script = settings.BASE_DIR / "tests" / "oidc" / "provider.mjs"
    if address.hostname not in {"127.0.0.1", "localhost"} or address.port is None:
        return {}
    config = {
        "clients": [
            {
                "client_id": settings.OIDC_CLIENT_ID,
                "client_secret": settings.OIDC_CLIENT_SECRET,
                "redirect_uris": [f"{default_site_url(bind).rstrip('/')}/login/sso/callback/"],
            }
        ],
        "accounts": DEMO_SSO_ACCOUNTS,
    }
    path = settings.BASE_DIR / ".sandbox" / "oidc.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(config))
    node = shutil.which("node") or "node"
    return {"identity-provider": [node, str(script), str(address.port), str(path)]}


def mail_catcher() -> dict[str, list[str]]:
    """Catch the mail Govern sends to a loopback SMTP port in MAIL_CATCHER_DIR (a Maildir)."""
    if settings.EMAIL_HOST not in {"127.0.0.1", "localhost"}:
        return {}
    listen = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    handler = ["-c", "aiosmtpd.handlers.Mailbox", str(settings.MAIL_CATCHER_DIR)]
    return {"mail-catcher": [sys.executable, "-m", "aiosmtpd", "-n", "-l", listen, *handler]}


def _pusher_options() -> list[str]:
    """Serve Pusher beside the Smint.io sandbox when Govern listens to it on loopback."""
    address = urlsplit(settings.SMINTIO_PUSHER_URL)
    if not settings.SMINTIO_CHANNEL_ID or address.hostname not in {"127.0.0.1", "localhost"}:
        return []
    port = address.port or 80
    return ["--pusher-port", str(port), "--channel-id", str(settings.SMINTIO_CHANNEL_ID)]


def sandbox_key() -> str:
    """Issue a fresh integration key for the Exstream sandbox in every unit (the old one goes)."""
    units = list(BusinessUnit.objects.all())
    if not units:
        return ""
    with transaction.atomic():
        for active in ApiKey.objects.filter(name=SANDBOX_KEY, revoked_at__isnull=True):
            api_key_revoke(api_key=active, actor=None)
        _key, raw_key = api_key_create(name=SANDBOX_KEY, units=units, actor=None)
    return raw_key
