"""`make run`'s demo campaign: approved at seeding with its reviews open, live a few minutes
later with pre-flight resolving its logo, and the everyday logo back after its end."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from assets.models import Version
from assets.resolution import Context
from templates_app.campaigns.services import campaigns_tick
from templates_app.models import Campaign, CampaignState, Review, ReviewState, Template
from templates_app.preflight import preflight_run
from templates_app.services import reviews_acknowledge

pytestmark = pytest.mark.django_db
SEEDED = datetime(2027, 1, 4, 8, 0, 30, tzinfo=UTC)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--password", "demo-pass-123", *args, stdout=out)
    return out.getvalue()


def footer_logo(at: datetime) -> str:
    letter = Template.objects.get(exstream_id="INSURANCE-POLICY-LETTER")
    clearance = preflight_run(
        template=letter,
        run_at=at,
        contexts=[Context(channel="print")],
        actor=User.objects.get(username="dana"),
    )
    [resolved] = clearance.evidence["resolved"]
    return str(Version.objects.get(pk=resolved["version"]).variant.asset.key)


def test_the_demo_campaign_goes_live_within_minutes_and_reverts_after_its_end(
    deliver_all: Callable[[], Any],
) -> None:
    with time_machine.travel(SEEDED, tick=False) as clock:
        said = seed("--campaign-in", "3")
        assert "goes live at 09:03 Europe/Berlin (08:03 UTC) for ten minutes" in said
        campaign = Campaign.objects.get()
        assert campaign.state == CampaignState.APPROVED
        reviews = Review.objects.filter(campaign=campaign, state=ReviewState.OPEN)
        assert {review.template.exstream_id for review in reviews} == {
            "INSURANCE-FOOTER",
            "INSURANCE-POLICY-LETTER",
            "INSURANCE-STATEMENT",
        }
        assert "already scheduled" in seed("--campaign-in", "3")
        deliver_all()
        reviews_acknowledge(reviews=list(reviews), actor=User.objects.get(username="dana"))
        clock.move_to(SEEDED + timedelta(minutes=3))
        assert campaigns_tick()["live"] == 1
        assert footer_logo(SEEDED + timedelta(minutes=4)) == "insurance.campaign.spring-logo"
        assert footer_logo(SEEDED + timedelta(minutes=2)) == "insurance.logo.primary"
        clock.move_to(SEEDED + timedelta(minutes=13))
        assert campaigns_tick()["ended"] == 1
        assert footer_logo(SEEDED + timedelta(minutes=14)) == "insurance.logo.primary"
        # A later start schedules the next one, even before the schedule ended the last one.
        Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.LIVE)
        assert "goes live at 09:16 Europe/Berlin (08:16 UTC)" in seed("--campaign-in", "3")


def test_the_demo_campaign_delay_is_bounded() -> None:
    with pytest.raises(CommandError, match="1 to 60 minutes"):
        seed("--campaign-in", "0")
    assert not Campaign.objects.exists()
