"""Approve a version used by 10,000 templates through three levels of components, in-process.

Baseline: one raw INSERT ... SELECT of the same number of review rows, in the same database.
Each measurement runs in a transaction that is rolled back, so every repeat sees the same state.
"""

import json
import statistics
import sys
import time
from collections.abc import Callable

# isort: off
import bench.django_setup  # noqa: F401  (before anything that needs settings)

# isort: on
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from assets.models import Asset, Variant, Version
from assets.services import version_approve
from bench.harness import analyze
from govern.models import BusinessUnit
from govern.roles import Role
from govern.services import role_grant
from templates_app.models import Binding, Composition, Review, Template

REPEATS = 5


def populate(templates: int) -> tuple[Version, User]:
    call_command("bootstrap", verbosity=0)
    unit = BusinessUnit.objects.create(name="Bench", slug="bench")
    manager, officer = User.objects.create(username="m"), User.objects.create(username="o")
    role_grant(user=officer, role=Role.COMPLIANCE_OFFICER, unit=unit, actor=None)
    asset = Asset.objects.create(key="bench.logo", title="Logo", kind="logo", business_unit=unit)
    variant = Variant.objects.create(asset=asset)
    common = {
        "variant": variant,
        "media_type": "image/png",
        "size": 1,
        "created_by": manager,
        "submitted_by": manager,
    }
    Version.objects.create(number=1, state="approved", sha256="a" * 64, **common)
    new = Version.objects.create(number=2, state="in_review", sha256="b" * 64, **common)
    # Three levels: 1% components bind the logo, 9% contain one each, 90% contain those.
    sizes = [templates // 100, templates * 9 // 100]
    sizes.append(templates - sum(sizes))
    levels: list[list[Template]] = []
    for depth, size in enumerate(sizes):
        levels.append(
            Template.objects.bulk_create(
                Template(
                    exstream_id=f"L{depth}-{n}",
                    name=f"L{depth}-{n}",
                    kind="component",
                    business_unit=unit,
                )
                for n in range(size)
            )
        )
    Binding.objects.bulk_create(Binding(template=t, slot="logo", asset=asset) for t in levels[0])
    for upper, lower in zip(levels[1:], levels[:-1], strict=True):
        Composition.objects.bulk_create(
            Composition(parent=parent, child=lower[n % len(lower)])
            for n, parent in enumerate(upper)
        )
    return new, officer


def measure(action: Callable[[], int]) -> tuple[float, int, int]:
    """Return the median milliseconds, the queries and the review rows of an action."""
    times, queries, rows = [], 0, 0
    for _ in range(REPEATS):
        with transaction.atomic():
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                action()
                times.append((time.perf_counter() - started) * 1000)
            queries, rows = len(captured), Review.objects.count()
            transaction.set_rollback(True)
    return statistics.median(times), queries, rows


def raw_insert() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Review._meta.db_table} (template_id, state, asset_id, action, "  # noqa: S608
            "cause_key, created_at, note, detail) SELECT id, 'open', 1, 'approved', 'bench', "
            f"'2026-01-01 00:00:00', '', '' FROM {Template._meta.db_table}"
        )
    return 0


if __name__ == "__main__":
    version, officer = populate(int(sys.argv[1]))
    analyze()

    def approve() -> int:
        version_approve(version=version, actor=officer)
        return 0

    approval = measure(approve)
    baseline = measure(raw_insert)
    print(json.dumps({"approval": approval, "baseline": baseline}))
