"""Two meeting campaigns approved at the same moment: the second waits for the first and is
refused (409), never both approved."""

import threading
from typing import Any

import pytest
from django.db import connection, transaction

from govern.errors import Conflict
from templates_app.campaigns.services import campaign_approve, campaign_submit
from templates_app.models import CampaignState
from tests.templates_app.campaign_fixtures import make_campaign

pytestmark = pytest.mark.postgres_only


def test_meeting_campaigns_approved_at_once_are_never_both_approved(
    transactional_db: None,
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    second_compliance_officer: Any,
) -> None:
    first = campaign_submit(campaign=make_campaign(scene, brand_manager), actor=brand_manager)
    second = campaign_submit(
        campaign=make_campaign(scene, brand_manager, name="Rival"), actor=brand_manager
    )
    approved, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def approve_first_and_hold() -> None:
        try:
            with transaction.atomic():
                campaign_approve(campaign=first, actor=compliance_officer)
                approved.set()
                release.wait(10)
        finally:
            connection.close()

    def approve_second() -> None:
        try:
            approved.wait(10)
            campaign_approve(campaign=second, actor=second_compliance_officer)
            outcome["second"] = "approved"
        except Conflict as refused:
            outcome["second"] = refused.code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve_first_and_hold),
        threading.Thread(target=approve_second),
    ]
    for thread in threads:
        thread.start()
    try:
        assert approved.wait(10)
        threads[1].join(0.5)
        assert threads[1].is_alive(), "the second approval waits for the first to commit"
    finally:
        release.set()
        for thread in threads:
            thread.join(10)
    assert outcome["second"] == "campaign_conflict"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (CampaignState.APPROVED, CampaignState.IN_REVIEW)
