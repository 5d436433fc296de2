"""Manifest and pre-flight of a template with 20 bindings in 20 contexts, first with no
campaigns, then in a unit with 1,000 campaigns of which 50 overlap the run date, in-process.

Each campaign brings one licensed, delivered version for one of the template's slots in one
region; the 950 others run before or after the run date. The ratios compare the same calls in
the same database, before and after the campaigns are added.
"""

import json
from datetime import UTC, datetime, timedelta

# isort: off
import bench.django_setup  # noqa: F401  (before anything that needs settings)

# isort: on
from django.contrib.auth.models import User

from assets.models import Version
from bench.preflight_measure import CONTEXTS, licensed_asset, measure, populate
from govern.wsgi import settle
from templates_app.models import Campaign, CampaignItem, CampaignState, Template

RUN_AT = datetime(2027, 1, 5, 6, tzinfo=UTC)
CAMPAIGNS, OVERLAPPING, SLOTS = 1_000, 50, 20
REGIONS = sorted({context["region"] for context in CONTEXTS})


def add_campaigns(template: Template) -> None:
    unit, author = template.business_unit, User.objects.get(username="designer")
    reader = User.objects.get(username="officer")
    versions = [
        Version.objects.get(variant__asset=licensed_asset(unit, 10_000 + n, author, reader))
        for n in range(OVERLAPPING)
    ]
    campaigns = []
    for n in range(CAMPAIGNS):
        if n < OVERLAPPING:
            start = RUN_AT - timedelta(days=1 + n % 7)
        elif n % 2:
            start = RUN_AT + timedelta(days=n)
        else:
            start = RUN_AT - timedelta(days=n + 30)
        campaigns.append(
            Campaign(
                name=f"c{n}",
                business_unit=unit,
                go_live_at=start,
                ends_at=start + timedelta(days=14),
                state=CampaignState.LIVE if n < OVERLAPPING else CampaignState.APPROVED,
            )
        )
    Campaign.objects.bulk_create(campaigns)
    CampaignItem.objects.bulk_create(
        CampaignItem(
            campaign=campaign,
            template=template,
            slot=f"s{n % SLOTS}",
            version=versions[n % OVERLAPPING],
            region=REGIONS[n % len(REGIONS)],
        )
        for n, campaign in enumerate(Campaign.objects.filter(business_unit=unit).order_by("pk"))
    )


if __name__ == "__main__":
    client, _large, small = populate(SLOTS)
    body = json.dumps({"run_at": RUN_AT.isoformat(), "contexts": CONTEXTS})
    at = RUN_AT.isoformat().replace("+00:00", "Z")

    def preflight() -> int:
        response = client.post(
            f"/api/v1/templates/{small.pk}/preflight/", body, content_type="application/json"
        )
        if response.json().get("verdict") != "go":
            raise RuntimeError(f"pre-flight said no: {response.json()}")
        return response.status_code

    def manifest() -> int:
        return client.get(f"/api/v1/templates/{small.pk}/manifest?at={at}").status_code

    def manifest_in_context() -> int:
        url = f"/api/v1/templates/{small.pk}/manifest?at={at}&region=DE&language=de&channel=print"
        return client.get(url).status_code

    settle()  # as the WSGI entry point does; the measured requests skip populating's garbage
    before = [measure(preflight), measure(manifest), measure(manifest_in_context)]
    add_campaigns(small)
    settle()
    after = [measure(preflight), measure(manifest), measure(manifest_in_context)]
    print(json.dumps({"before": before, "after": after}))
