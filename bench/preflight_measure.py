"""Pre-flight of a template with N bindings in 20 contexts, every version licensed and its
licence read by an officer, in-process.

Baseline: GET /healthz through the same test client and middleware, in the same database.
Each pre-flight is a real API call (it stores a clearance); the database keeps them.
"""

import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

# isort: off
import bench.django_setup  # noqa: F401  (before anything that needs settings)

# isort: on
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets.models import (
    Asset,
    LicensePurchase,
    LicenseTerm,
    SignatureMeaning,
    Variant,
    Version,
)
from assets.rights.readings import delivered_empty, reading_record
from assets.signatures import Intent
from assets.smintio.mapping import stated_empty
from govern.models import BusinessUnit, WorkerHeartbeat
from govern.roles import Role
from govern.services import role_grant
from govern.wsgi import settle
from templates_app.models import Binding, Delivery, Template

REPEATS = 7
CONTEXTS = [
    {"region": region, "language": language, "channel": channel}
    for region, language in (("DE", "de"), ("AT", "de"), ("CH", "de"), ("GB", "en"), ("FR", "fr"))
    for channel in ("print", "email", "web", "mobile")
]
PROFILES = ("print", "email", "web", "mobile")


def licensed_asset(unit: BusinessUnit, n: int, user: User, reader: User) -> Asset:
    """A logo version licensed for Europe, its licence read by an officer (as in production,
    where a licence whose lists Smint.io leaves empty is read before it covers anything)."""
    asset = Asset.objects.create(key=f"bench.{n}", title=f"A{n}", kind="logo", business_unit=unit)
    variant = Variant.objects.create(asset=asset)
    purchase = LicensePurchase.objects.create(
        uuid=f"lpt-{n}",
        cart_uuid="c",
        asset=asset,
        state="completed",
        content_element_uuid=f"e{n}",
        model_release_state="released",
        property_release_state="released",
    )
    term = LicenseTerm.objects.create(
        purchase=purchase,
        sequence_number=1,
        fingerprint=f"f{n}",
        **stated_empty() | {"allowed_geographies": ["geography_europe"]},
        is_editorial_use=False,
        valid_until=datetime(2099, 1, 1, tzinfo=UTC),
    )
    reading_record(
        purchase=purchase,
        terms=delivered_empty([term]),
        reason="Its text adds nothing to its terms.",
        intent=Intent(reader, SignatureMeaning.READ),
    )
    version = Version.objects.create(
        variant=variant,
        number=1,
        state="approved",
        sha256=f"{n:064d}",
        file=f"bench/{n}.png",
        media_type="image/png",
        size=1,
        metadata={"width": 2000, "height": 1000},
        created_by=user,
        purchase=purchase,
    )
    Delivery.objects.bulk_create(
        Delivery(version=version, profile=profile, state="delivered") for profile in PROFILES
    )
    return asset


def populate(bindings: int) -> tuple[Client, Template, Template]:
    call_command("bootstrap", verbosity=0)
    unit = BusinessUnit.objects.create(name="Bench", slug="bench", industry="banking")
    designer = User.objects.create(username="designer")
    role_grant(user=designer, role=Role.COMMUNICATION_DESIGNER, unit=unit, actor=None)
    officer = User.objects.create(username="officer")
    role_grant(user=officer, role=Role.COMPLIANCE_OFFICER, unit=unit, actor=None)
    assets = [licensed_asset(unit, n, designer, officer) for n in range(bindings)]
    large = Template.objects.create(
        exstream_id="LARGE", name="Large", kind="document", business_unit=unit
    )
    small = Template.objects.create(
        exstream_id="SMALL", name="Small", kind="document", business_unit=unit
    )
    Binding.objects.bulk_create(
        Binding(template=large, slot=f"s{n}", asset=a) for n, a in enumerate(assets)
    )
    Binding.objects.bulk_create(
        Binding(template=small, slot=f"s{n}", asset=a) for n, a in enumerate(assets[:20])
    )
    WorkerHeartbeat.objects.create(name="worker", beat_at=timezone.now())  # /healthz says ok
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(designer)
    return client, large, small


def measure(action: Callable[[], int]) -> tuple[float, int]:
    """Return the median milliseconds and the queries of an action that answers 200. The
    queries are counted in a call of their own: capturing them (the debug cursor keeps every
    statement's text) is not what a server pays."""
    with CaptureQueriesContext(connection) as captured:
        _answered(action())
    queries = len(captured)  # now: the next request empties the log it reads
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        status = action()
        times.append((time.perf_counter() - started) * 1000)
        _answered(status)
    return statistics.median(times), queries


def _answered(status: int) -> None:
    if status != 200:
        raise RuntimeError(f"answered {status}")


if __name__ == "__main__":
    client, large, small = populate(int(sys.argv[1]))
    body = json.dumps({"run_at": "2027-01-05T06:00:00Z", "contexts": CONTEXTS})

    def preflight(template: Template) -> Callable[[], int]:
        def ask() -> int:
            response = client.post(
                f"/api/v1/templates/{template.pk}/preflight/", body, content_type="application/json"
            )
            verdict = response.json().get("verdict")
            if verdict != "go":
                raise RuntimeError(f"pre-flight said {verdict}: {response.json()}")
            return response.status_code

        return ask

    settle()  # as the WSGI entry point does; the measured requests skip populating's garbage
    large_run, small_run = measure(preflight(large)), measure(preflight(small))
    health = measure(lambda: client.get("/healthz").status_code)
    print(json.dumps({"large": large_run, "small": small_run, "healthz": health}))
