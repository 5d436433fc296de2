"""Run a simulator of an outside system in the foreground; Ctrl-C or SIGTERM stops it."""

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from sandboxes import das, exstream, receiver, smintio

# A system's serve function takes the common options and its own as keyword arguments and
# blocks until SIGINT or SIGTERM; the options of other systems are accepted and ignored.
# Adding a system means adding its entry here.
SYSTEMS: dict[str, tuple[Callable[..., None], tuple[str, ...]]] = {
    "exstream": (
        exstream.serve,
        (
            *("govern_url", "api", "api_prefix", "otds_tenant"),
            *("domains", "username", "password"),
        ),
    ),
    "smintio": (
        smintio.serve,
        (
            *("rate_limit_rate", "url_ttl", "refresh_token", "hook_url", "hook_secret"),
            *("pusher_port", "channel_id"),
        ),
    ),
    "receiver": (receiver.serve, ()),
}
SERVE_OPTIONS = (
    *("host", "port", "error_rate", "timeout_rate", "drop_rate", "latency_ms"),
    *("timeout_seconds", "token_ttl", "client_id", "client_secret", "seed"),
)


class Command(BaseCommand):
    help = (
        "Start a sandbox of an outside system (exstream, smintio) with injectable faults, or "
        "the webhook receiver (receiver)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("system", choices=sorted(SYSTEMS))
        parser.add_argument("--port", type=_number(int, 0, 65535), required=True)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--state", type=Path, help="SQLite file; default .sandbox/SYSTEM.sqlite3"
        )
        parser.add_argument("--error-rate", type=_number(float, 0, 1), default=0.0)
        parser.add_argument("--timeout-rate", type=_number(float, 0, 1), default=0.0)
        parser.add_argument("--drop-rate", type=_number(float, 0, 1), default=0.0)
        parser.add_argument("--latency-ms", type=_number(int, 0), default=0)
        parser.add_argument("--timeout-seconds", type=_number(float, 0), default=5.0)
        parser.add_argument("--token-ttl", type=_number(int, 1), default=300)
        parser.add_argument("--client-id", default="govern")
        parser.add_argument("--client-secret", default="sandbox-secret")
        parser.add_argument("--seed", type=int, default=None, help="makes the faults repeatable")
        exstream_options = parser.add_argument_group("exstream only")
        exstream_options.add_argument(
            "--govern-url", help="Govern for production runs (the API key: GOVERN_API_KEY)"
        )
        exstream_options.add_argument(
            "--api",
            choices=exstream.APIS,
            default="das",
            help="das: OpenText's Design API and OTDS token; proxy: Govern's own contract",
        )
        exstream_options.add_argument(
            "--api-prefix",
            default=exstream.DEFAULT_PREFIX,
            help="proxy only: where the resources live",
        )
        exstream_options.add_argument(
            "--otds-tenant",
            default=None,
            help="das: the token at /otdsws/otdstenant/TENANT and /otdstenant/TENANT (default "
            "govern); proxy: at /otdstenant/TENANT/otdsws (default none: /otdsws)",
        )
        exstream_options.add_argument(
            "--domain",
            dest="domains",
            action="append",
            type=_domain,
            metavar="NAME[:simple][:tracing]",
            help="das only, repeatable: a domain and its workflow (default: govern, standard); "
            "the first gets the seeded templates",
        )
        exstream_options.add_argument(
            "--username", default="govern-service", help="das only: the service account"
        )
        exstream_options.add_argument(
            "--password", default="sandbox-password", help="das only: its password"
        )
        smintio_options = parser.add_argument_group("smintio only")
        smintio_options.add_argument("--rate-limit-rate", type=_number(float, 0, 1), default=0.0)
        smintio_options.add_argument("--url-ttl", type=_number(int, 1), default=3600)
        smintio_options.add_argument("--refresh-token", default="sandbox-refresh-token")
        smintio_options.add_argument("--hook-url", help="POST a signed event here on changes")
        smintio_options.add_argument("--hook-secret", default="sandbox-hook-secret")
        smintio_options.add_argument(
            "--pusher-port",
            type=_number(int, 0, 65535),
            default=None,
            help="also serve Pusher notifications (websocket) on this port",
        )
        smintio_options.add_argument("--channel-id", type=_number(int, 1), default=4711)

    def handle(self, *args: Any, **options: Any) -> None:
        system = options["system"]
        suffix = ".json" if system == "receiver" else ".sqlite3"
        state = options["state"] or Path(settings.BASE_DIR) / ".sandbox" / f"{system}{suffix}"
        state = state.resolve()
        state.parent.mkdir(parents=True, exist_ok=True)
        serve, own_options = SYSTEMS[system]
        serve(state=state, **{name: options[name] for name in (*SERVE_OPTIONS, *own_options)})


def _domain(text: str) -> das.Domain:
    """An argparse type: a DAS domain as `NAME[:simple][:tracing]`."""
    try:
        return das.parse_domain(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _number(kind: Callable[[str], float], low: float, high: float | None = None) -> Any:
    """An argparse type: the text as `kind`, refused outside [low, high]."""

    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from error
        if value < low or (high is not None and value > high):
            limits = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{text} is not {limits}")
        return value

    return convert
