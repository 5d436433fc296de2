"""Fill a benchmark database: units, a compliance officer in all of them, versions in review.

Rows are bulk-inserted: going through the services would take minutes and measure the writes,
not the reads this benchmark is about. Prints a session cookie and the query counts.
"""

import json
import sys
from datetime import timedelta

# isort: off
import bench.django_setup  # noqa: F401  (before anything that needs settings)

# isort: on
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, Permission, User
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets.models import Asset, Variant, Version
from bench.harness import analyze
from govern.models import BusinessUnit, BusinessUnitUserObjectPermission
from govern.tasks import heartbeat

VERSIONS_PER_VARIANT = 10


@transaction.atomic
def populate(units: int, versions: int) -> User:
    call_command("bootstrap", verbosity=0)
    officer = User.objects.create(username="bench-officer")
    manager = User.objects.create(username="bench-manager")
    officer.groups.add(Group.objects.get(name="compliance_officer"))
    role = Permission.objects.get(content_type__app_label="govern", codename="compliance_officer")
    created = BusinessUnit.objects.bulk_create(
        BusinessUnit(name=f"Unit {n:02}", slug=f"unit-{n:02}") for n in range(units)
    )
    BusinessUnitUserObjectPermission.objects.bulk_create(
        BusinessUnitUserObjectPermission(user=officer, permission=role, content_object=unit)
        for unit in created
    )
    variants_needed = versions // VERSIONS_PER_VARIANT
    assets = Asset.objects.bulk_create(
        Asset(
            key=f"bench.asset.{n}",
            title=f"Asset {n}",
            kind="logo",
            business_unit=created[n % units],
            created_by=manager,
        )
        for n in range(variants_needed)
    )
    variants = Variant.objects.bulk_create(Variant(asset=asset) for asset in assets)
    start = timezone.now() - timedelta(days=30)
    Version.objects.bulk_create(
        (
            Version(
                variant=variant,
                number=number + 1,
                state="in_review",
                sha256=f"{variant.pk:032x}{number:032x}",
                file=f"content/bench/{variant.pk}-{number}.png",
                media_type="image/png",
                size=1000,
                metadata={"format": "PNG"},
                created_by=manager,
                submitted_by=manager,
                submitted_at=start + timedelta(seconds=variant.pk * 97 + number),
            )
            for variant in variants
            for number in range(VERSIONS_PER_VARIANT)
        ),
        batch_size=2000,
    )
    return officer


def session_for(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


def query_counts(user: User, paths: list[str]) -> dict[str, int]:
    client = Client()
    client.force_login(user)
    counts = {}
    for path in paths:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, HTTP_HOST="127.0.0.1")
        assert response.status_code == 200, (path, response.status_code)
        counts[path] = len(captured)
    return counts


if __name__ == "__main__":
    heartbeat()
    officer = populate(units=int(sys.argv[1]), versions=int(sys.argv[2]))
    analyze()
    paths = sys.argv[3:]
    print(json.dumps({"session": session_for(officer), "queries": query_counts(officer, paths)}))
