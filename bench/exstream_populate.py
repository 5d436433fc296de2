"""Approve N one-channel versions so that N deliveries wait in the outbox; print nothing."""

import sys

# isort: off
import bench.django_setup  # noqa: F401  (before anything that needs settings)

# isort: on
import io

from django.contrib.auth.models import User
from django.core.management import call_command
from PIL import Image

from assets.selectors import clean_selectors
from assets.services import asset_create, version_approve, version_create, version_submit
from assets.uploads import inspect_bytes
from govern.models import BusinessUnit
from govern.roles import Role
from govern.services import role_grant


def png(n: int) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (400 + n, 200), (n % 255, 90, 200)).save(output, "PNG")
    return output.getvalue()


def populate(count: int) -> None:
    call_command("bootstrap", stdout=io.StringIO())
    unit = BusinessUnit.objects.create(name="Bench", slug="bench")
    manager, officer = User.objects.create(username="m"), User.objects.create(username="o")
    role_grant(user=manager, role=Role.BRAND_MANAGER, unit=unit, actor=None)
    role_grant(user=officer, role=Role.COMPLIANCE_OFFICER, unit=unit, actor=None)
    for n in range(count):
        asset = asset_create(key=f"bench.{n}", title=f"B{n}", kind="logo", unit=unit, actor=manager)
        version = version_create(
            asset=asset,
            selectors=clean_selectors(channels=["web"]),
            content=inspect_bytes(png(n)),
            actor=manager,
        )
        version_approve(version=version_submit(version=version, actor=manager), actor=officer)


if __name__ == "__main__":
    populate(int(sys.argv[1]))
