"""Play two demo production runs through the Exstream sandbox once, for `make run`.

In insurance-de a cleared run of the policy letter reports its usage. In banking-uk the
primary logo is recalled, then the policy letter runs anyway from the package built before
the recall: Govern's reconciliation finds the unapproved use and the uncleared run.
"""

import json
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assets.models import Version, VersionState
from assets.services import version_withdraw
from govern.models import WorkerHeartbeat
from templates_app.models import DUE_STATES, Delivery
from usage.models import ProductionRun

WAIT_SECONDS = 60
RUNS = [
    # The welcome letter: no campaign reaches it, so its run goes while the policy letter's
    # footer waits for the demo campaign's review.
    ("DEMO-INSURANCE-1", "INSURANCE-WELCOME-LETTER", {}),
    ("DEMO-BANKING-1", "BANKING-POLICY-LETTER", {}),
    ("DEMO-BANKING-2", "BANKING-POLICY-LETTER", {"use_cached_manifest": True, "force": True}),
]
CONTEXTS = {
    "INSURANCE-WELCOME-LETTER": [{"region": "DE", "language": "de", "channel": "print"}],
    "BANKING-POLICY-LETTER": [{"region": "GB", "language": "en", "channel": "print"}],
}


def _post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310 - the configured sandbox on loopback
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310
            return
        except urllib.error.HTTPError:
            return  # it answers, if only with 503 while the worker starts
        except OSError:
            time.sleep(1)
    raise CommandError(f"{url} did not answer within {WAIT_SECONDS} s")


def _exceptions(codes: list[str]) -> str:
    """What reconciliation found, in words, and where to look."""
    if not codes:
        return "reconciliation found nothing wrong"
    words = ", ".join(code.replace("_", " ") for code in codes)
    return f"reconciliation found {words}: see Exceptions (/usage/exceptions/)"


def _wait_for_worker() -> None:
    """Wait for the worker's first heartbeat."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not WorkerHeartbeat.objects.exists() and time.monotonic() < deadline:
        time.sleep(1)


def _wait_for_deliveries() -> None:
    """Let the worker push the demo's renditions first: pre-flight wants them in Exstream."""
    deadline = time.monotonic() + WAIT_SECONDS
    due = Delivery.objects.filter(target="exstream", state__in=DUE_STATES)
    while due.exists() and time.monotonic() < deadline:
        time.sleep(1)


class Command(BaseCommand):
    help = "Run the demo's production runs through the Exstream sandbox (once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--govern-url", required=True)
        parser.add_argument(
            "--stay",
            action="store_true",
            help="Once played (or refused), wait until stopped: under `serve`, whose honcho "
            "stops everything when one process exits.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._play(options["govern_url"])
        except CommandError as refused:
            if not options["stay"]:
                raise
            self.stderr.write(f"Demo production runs not played: {refused}")
        while options["stay"]:
            time.sleep(3600)

    def _play(self, govern_url: str) -> None:
        if ProductionRun.objects.filter(run_id__startswith="DEMO-").exists():
            self.stdout.write("Demo production runs were played already.")
            return
        _wait_for_worker()  # else /healthz answers 503 (and logs it) while the worker starts
        _wait_for(f"{govern_url.rstrip('/')}/healthz")
        _wait_for(f"{settings.EXSTREAM_URL}/_sandbox/health")
        _wait_for_deliveries()
        for run_id, template, extra in RUNS:
            if run_id == "DEMO-BANKING-2":
                self._recall_banking_logo()
            body = {"run_id": run_id, "template": template, "contexts": CONTEXTS[template]}
            status, answer = _post(f"{settings.EXSTREAM_URL}/_sandbox/runs", {**body, **extra})
            if status >= 300:  # say why in words: the run was not produced
                why = (answer or {}).get("detail") or (answer or {}).get("error") or "no reason"
                self.stdout.write(f"  {run_id}: Exstream did not produce it ({status}): {why}")
                continue
            found = [e["code"] for e in (answer or {}).get("govern", {}).get("exceptions", [])]
            self.stdout.write(f"  {run_id}: produced; {_exceptions(found)}")

    def _recall_banking_logo(self) -> None:
        version = Version.objects.filter(
            variant__asset__key="banking.logo.primary", state=VersionState.APPROVED
        ).first()
        officer = get_user_model().objects.filter(username="carla").first()
        if version is not None and officer is not None:
            version_withdraw(
                version=version, actor=officer, comment="Demo: recalled after a trademark dispute."
            )
