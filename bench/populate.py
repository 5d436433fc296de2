"""Fill a benchmark database: units, a compliance officer in all of them, versions in review;
a communication designer owning templates, each with an open review of a changed logo.

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
from templates_app.models import Review, Template, TemplateUserObjectPermission

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


@transaction.atomic
def populate_reviews(templates: int) -> User:
    """A designer in the first unit owning `templates` templates, each with an open review of
    the change from one version of a logo to the next."""
    designer = User.objects.create(username="bench-designer")
    designer.groups.add(Group.objects.get(name="communication_designer"))
    unit = BusinessUnit.objects.order_by("pk").first()
    assert unit is not None
    role = Permission.objects.get(
        content_type__app_label="govern", codename="communication_designer"
    )
    BusinessUnitUserObjectPermission.objects.create(
        user=designer, permission=role, content_object=unit
    )
    owns = Permission.objects.get(codename="own_template")
    made = Template.objects.bulk_create(
        Template(
            exstream_id=f"bench/letter-{n}", name=f"Letter {n}", kind="letter", business_unit=unit
        )
        for n in range(templates)
    )
    TemplateUserObjectPermission.objects.bulk_create(
        TemplateUserObjectPermission(user=designer, permission=owns, content_object=template)
        for template in made
    )
    old, new = Version.objects.filter(variant__asset__business_unit=unit).order_by("pk")[:2]
    asset = old.variant.asset
    Review.objects.bulk_create(
        Review(
            template=template,
            asset=asset,
            old_version=old,
            new_version=new,
            action="replace",
            cause_key=f"replace:{asset.pk}:{old.pk}:{new.pk}",
        )
        for template in made
    )
    return designer


def session_for(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


def query_counts(user: User, paths: list[str]) -> dict[str, int]:
    """How many queries each path costs this user."""
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
    # Arguments: units, versions, templates, then who=path for each page to count the queries
    # of ("officer=/assets/review/"); "{version}" in a path is the oldest version in review.
    heartbeat()
    users = {
        "officer": populate(units=int(sys.argv[1]), versions=int(sys.argv[2])),
        "designer": populate_reviews(templates=int(sys.argv[3])),
    }
    analyze()
    version = Version.objects.order_by("submitted_at", "pk").values_list("pk", flat=True)[0]
    counts = {}
    for argument in sys.argv[4:]:
        who, path = argument.split("=", 1)
        path = path.replace("{version}", str(version))
        counts.update(query_counts(users[who], [path]))
    sessions = {who: session_for(user) for who, user in users.items()}
    print(json.dumps({"sessions": sessions, "version": version, "queries": counts}))
