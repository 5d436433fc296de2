"""Fill the load test's database through the services, as people would have: one bank, its
people, assets whose second version waits in review, templates that use them, cleared.

    python -m loadtest.populate STATE_FILE

Writes the people's names, their shared password, the production key and the ids the load
generator needs (templates, run template) to STATE_FILE as JSON.
"""

import io
import json
import sys
from pathlib import Path

# isort: off
import bench.django_setup  # noqa: F401  (before anything that needs settings)

# isort: on
from django.contrib.auth.models import User
from django.core.management import call_command
from PIL import Image

from assets.models import Asset, SignatureMeaning, Version
from assets.selectors import clean_selectors
from assets.services import asset_create, version_approve, version_create, version_submit
from assets.signatures import Intent
from assets.uploads import inspect_bytes, read_text
from govern.models import BusinessUnit
from govern.roles import Role
from govern.services import api_key_create, role_grant
from templates_app.models import Template
from templates_app.services import binding_set, template_create

PASSWORD = "load-test-password-1"  # noqa: S105 - a throwaway database's people
PEOPLE = {
    Role.COMPLIANCE_OFFICER: 15,
    Role.COMMUNICATION_DESIGNER: 15,
    Role.AUDITOR: 10,
}
LOGOS, DISCLOSURES = 150, 50
TEMPLATES_PER_DESIGNER = 6


def person(name: str, role: Role, unit: BusinessUnit) -> User:
    user = User.objects.create(username=name, email=f"{name}@load.example")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    role_grant(user=user, role=role, unit=unit, actor=None)
    return user


def png(n: int) -> bytes:
    out = io.BytesIO()
    color = (n * 37 % 256, n * 91 % 256, n * 53 % 256)
    Image.new("RGB", (600 + n % 7, 300), color).save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


def assets(
    unit: BusinessUnit, manager: User, approvers: list[User], approved: list[int]
) -> list[Asset]:
    """Assets whose first version is approved and whose second waits for the officers."""
    made = []
    for n in range(LOGOS + DISCLOSURES):
        kind = "logo" if n < LOGOS else "disclaimer"
        asset = asset_create(
            key=f"load.{kind}.{n}", title=f"{kind} {n}", kind=kind, unit=unit, actor=manager
        )
        for number, step in enumerate(("approved", "in review")):
            content = (
                read_text(f"Terms apply to offer {n}, revision {number}.")
                if asset.takes_text
                else inspect_bytes(png(2 * n + number))
            )
            version = version_create(
                asset=asset, selectors=clean_selectors(), content=content, actor=manager
            )
            version_submit(version=version, actor=manager)
            if step == "approved":
                approve(version, approvers)
                approved.append(version.pk)
        made.append(asset)
    return made


def approve(version: Version, approvers: list[User]) -> None:
    for officer in approvers[: version.required_approvals]:
        intent = Intent(officer, SignatureMeaning.APPROVED, {"method": "load-test setup"})
        version_approve(version=version, actor=officer, signature=intent)


def templates(unit: BusinessUnit, designers: list[User], used: list[Asset]) -> list[Template]:
    made = []
    for index, designer in enumerate(designers):
        for n in range(TEMPLATES_PER_DESIGNER):
            template = template_create(
                exstream_id=f"LOAD-{index:02}-{n}",
                name=f"Statement {index}-{n}",
                kind="communication",
                channels=["print", "email"],
                unit=unit,
                actor=designer,
            )
            for slot in range(4):
                asset = used[(index * 7 + n * 3 + slot * 11) % len(used)]
                binding_set(template=template, slot=f"slot{slot}", asset=asset, actor=designer)
            made.append(template)
    return made


def main(state: Path) -> None:
    call_command("bootstrap", verbosity=0)
    unit = BusinessUnit.objects.create(name="Load Bank", slug="load-bank", industry="banking")
    manager = person("load-manager", Role.BRAND_MANAGER, unit)
    setup = [person(f"setup-officer-{n}", Role.COMPLIANCE_OFFICER, unit) for n in (1, 2)]
    people = {
        role: [person(f"{role.value}-{n:02}", role, unit) for n in range(count)]
        for role, count in PEOPLE.items()
    }
    approved: list[int] = []
    used = assets(unit, manager, setup, approved)
    made = templates(unit, people[Role.COMMUNICATION_DESIGNER], used)
    _key, raw_key = api_key_create(name="load-production", units=[unit], actor=None)
    state.write_text(
        json.dumps(
            {
                "password": PASSWORD,
                "officers": [user.username for user in people[Role.COMPLIANCE_OFFICER]],
                "designers": [user.username for user in people[Role.COMMUNICATION_DESIGNER]],
                "auditors": [user.username for user in people[Role.AUDITOR]],
                "production_key": raw_key,
                "templates": {template.exstream_id: template.pk for template in made},
                "approved": approved,
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
