"""Play the demo's production runs through the Exstream sandbox once, for `make run`.

In insurance-de a cleared run of the welcome letter reports its usage and attaches the document
it produced: its logo matches the approved one. In banking-uk the policy letter runs cleared,
with its document; the rates disclaimer is approved and the statement runs, but the sandbox
edits the disclaimer's words in its document (`as_produced_altered`, the edited words shown);
then the primary logo's new version is approved and pushed, and the policy letter runs anyway
from the package built before, embedding the superseded logo: Govern finds the unapproved use
and the uncleared run in the report, and `as_produced_unapproved` naming the old logo in the
document.
"""

import json
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assets.models import SignatureMeaning, Version, VersionState
from assets.services import version_approve
from assets.signatures import Intent
from govern.models import WorkerHeartbeat
from templates_app.models import DUE_STATES, Delivery
from usage.models import ProductionRun

WAIT_SECONDS = 60
SAMPLES = {"samples": True}
# The words the sandbox changes in the statement's disclaimer, as a careless edit would.
EDIT = ["Interest rates may change.", "Interest rates are fixed."]
RUNS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    # The welcome letter: no campaign reaches it, so its run goes while the policy letter's
    # footer waits for the demo campaign's review.
    ("DEMO-INSURANCE-1", "INSURANCE-WELCOME-LETTER", SAMPLES, {}),
    ("DEMO-BANKING-1", "BANKING-POLICY-LETTER", SAMPLES, {}),
    ("DEMO-BANKING-3", "BANKING-STATEMENT", SAMPLES, {"text_edits": [EDIT]}),
    (
        "DEMO-BANKING-2",
        "BANKING-POLICY-LETTER",
        {**SAMPLES, "use_cached_manifest": True, "force": True},
        {"stale_images": True},
    ),
]
GB = [{"region": "GB", "language": "en", "channel": "print"}]
CONTEXTS = {
    "INSURANCE-WELCOME-LETTER": [{"region": "DE", "language": "de", "channel": "print"}],
    "BANKING-POLICY-LETTER": GB,
    "BANKING-STATEMENT": GB,
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


def _attached(count: int) -> str:
    if not count:
        return "no document attached"
    documents = "document" if count == 1 else "documents"
    return f"{count} {documents} attached as a sample, read by the worker (see the run's page)"


def _switched(switches: dict[str, Any]) -> dict[str, Any]:
    """The sandbox's output switches: these on, the rest off."""
    off = {"stale_images": False, "local_image": False, "text_edits": [], "unavailable": False}
    return {**off, **switches}


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
        for run_id, template, extra, switches in RUNS:
            if run_id == "DEMO-BANKING-3":
                self._approve("banking.disclaimer.rates", "colin", "carla")
            if run_id == "DEMO-BANKING-2":
                self._approve("banking.logo.primary", "colin")
            body = {"run_id": run_id, "template": template, "contexts": CONTEXTS[template]}
            _post(f"{settings.EXSTREAM_URL}/_sandbox/output", _switched(switches))
            if settings.EXSTREAM_API != "das":  # documents are made by DAS mode's Orchestration
                extra = {key: value for key, value in extra.items() if key != "samples"}
            status, answer = _post(f"{settings.EXSTREAM_URL}/_sandbox/runs", {**body, **extra})
            _post(f"{settings.EXSTREAM_URL}/_sandbox/output", _switched({}))
            if status >= 300:  # say why in words: the run was not produced
                why = (answer or {}).get("detail") or (answer or {}).get("error") or "no reason"
                self.stdout.write(f"  {run_id}: Exstream did not produce it ({status}): {why}")
                continue
            found = [e["code"] for e in (answer or {}).get("govern", {}).get("exceptions", [])]
            attached = sum(1 for each in answer.get("samples", []) if each["status"] < 300)
            self.stdout.write(f"  {run_id}: produced; {_attached(attached)}; {_exceptions(found)}")

    def _approve(self, key: str, *officers: str) -> None:
        """Decide the asset's version in review (one decision per officer named), then let the
        worker push it into Exstream."""
        version = Version.objects.filter(
            variant__asset__key=key, state=VersionState.IN_REVIEW
        ).first()
        people = get_user_model().objects.filter(username__in=officers)
        for officer in people:
            if version is not None and version.state == VersionState.IN_REVIEW:
                version = version_approve(
                    version=version,
                    actor=officer,
                    comment="Demo: matches the product sheet.",
                    signature=Intent(officer, SignatureMeaning.APPROVED),  # as seed_demo signs
                )
        _wait_for_deliveries()
