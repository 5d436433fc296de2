"""`manage.py create_unit`: idempotent, audited, and a bad slug or a clash changes nothing."""

from io import StringIO
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.core.management import CommandError, call_command
from django.test import Client

from audit.models import AuditEvent
from govern.models import BusinessUnit

pytestmark = pytest.mark.django_db


def create_unit(*args: str) -> str:
    out = StringIO()
    call_command("create_unit", *args, stdout=out)
    return out.getvalue()


def test_a_unit_is_created_once_and_audited() -> None:
    assert create_unit("banking-uk", "Banking UK", "--industry", "banking").startswith("Created")
    assert "already exists" in create_unit("banking-uk", "Banking UK")
    unit = BusinessUnit.objects.get(slug="banking-uk")
    assert (unit.name, unit.industry) == ("Banking UK", "banking")
    event = AuditEvent.objects.get(action="unit.created")
    assert event.business_unit_id == unit.pk and event.data["slug"] == "banking-uk"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("banking uk", "Banking UK"), "slug"),
        (("bänking", "Banking"), "slug"),
        (("", "Nameless"), "slug"),
        (("other", ""), "name"),
        (("banking-uk", "Another name"), "exists, named 'Banking UK'"),
        (("banking-de", "Banking UK"), "name"),
    ],
)
def test_a_bad_slug_or_a_clash_exits_non_zero_and_changes_nothing(
    args: tuple[str, str], reason: str
) -> None:
    create_unit("banking-uk", "Banking UK")
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError, match=reason):
        create_unit(*args)
    assert list(BusinessUnit.objects.values_list("slug", "name")) == [("banking-uk", "Banking UK")]
    assert AuditEvent.objects.count() == events


def test_the_admin_creates_and_changes_units_through_the_audited_services(
    admin_client: Client, admin_user: Any
) -> None:
    assert BusinessUnit in site._registry
    added = admin_client.post(
        "/admin/govern/businessunit/add/",
        {"name": "Energy NL", "slug": "energy-nl", "industry": "energy", "time_zone": "UTC"},
    )
    assert added.status_code == 302
    unit = BusinessUnit.objects.get(slug="energy-nl")
    changed = admin_client.post(
        f"/admin/govern/businessunit/{unit.pk}/change/",
        {"name": "Energy Netherlands", "industry": "energy", "time_zone": "Europe/Amsterdam"},
    )
    assert changed.status_code == 302
    unit.refresh_from_db()
    assert (unit.slug, unit.name) == ("energy-nl", "Energy Netherlands")
    assert unit.time_zone == "Europe/Amsterdam"
    actions = list(
        AuditEvent.objects.filter(target_type="assets.businessunit")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["unit.created", "unit.changed"]
    assert AuditEvent.objects.get(action="unit.changed").data == {
        "name": ["Energy NL", "Energy Netherlands"],
        "time_zone": ["UTC", "Europe/Amsterdam"],
    }
