"""Campaigns through their services: review as a whole, conflicts, the template reviews their
approval opens, the schedule that moves them live and ends them (once, catching up), and what
pre-flight resolves inside and outside their window."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from assets.models import Asset, Variant, Version
from assets.resolution import Context
from assets.services import version_approve, version_withdraw
from audit.models import AuditEvent
from govern.errors import Conflict
from govern.models import Notification
from govern.roles import Role
from govern.services import role_grant
from templates_app.campaigns.services import (
    campaign_approve,
    campaign_cancel,
    campaign_item_add,
    campaign_reject,
    campaign_submit,
    campaigns_tick,
)
from templates_app.models import (
    Campaign,
    CampaignState,
    Delivery,
    Review,
    ReviewState,
    TemplateState,
)
from templates_app.preflight import build_manifest, preflight_run
from templates_app.services import reviews_acknowledge
from tests.templates_app.campaign_fixtures import (
    ENDS,
    GO_LIVE,
    START,
    approved_campaign,
    item,
    make_campaign,
)

pytestmark = pytest.mark.django_db


def acknowledge_all(designer: Any) -> None:
    reviews_acknowledge(reviews=list(Review.objects.filter(state=ReviewState.OPEN)), actor=designer)


def resolved(scene: dict[str, Any], designer: Any, at: Any, region: str = "") -> list[int]:
    clearance = preflight_run(
        template=scene["statement"], run_at=at, contexts=[Context(region)], actor=designer
    )
    return [entry["version"] for entry in clearance.evidence["resolved"]]


def test_a_submitted_campaign_is_approved_by_another_officer_and_flags_its_templates(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any, designer: Any
) -> None:
    campaign = approved_campaign(scene, brand_manager, compliance_officer)

    assert campaign.state == CampaignState.APPROVED
    reviews = Review.objects.filter(campaign=campaign)
    # The header component it targets, and the statement that contains it.
    assert {r.template_id for r in reviews} == {scene["header"].pk, scene["statement"].pk}
    assert reviews[0].detail == (
        "Spring renewal replaces header_logo from 1 March 2027, 01:00 Europe/Berlin "
        "to 15 April 2027, 02:00 Europe/Berlin"
    )
    scene["statement"].refresh_from_db()
    assert scene["statement"].state == TemplateState.NEEDS_REVIEW
    assert Notification.objects.filter(user=designer, key=f"campaign-flagged:{campaign.pk}")
    approved = AuditEvent.objects.get(action="campaign.approved")
    assert approved.data["items"][0]["version"] == scene["visual"].pk


def test_the_submitter_never_decides_and_a_second_approval_by_one_person_is_refused(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    make_user: Any,
    unit: Any,
) -> None:
    both = make_user("bea", Role.BRAND_MANAGER, unit)
    role_grant(user=both, role=Role.COMPLIANCE_OFFICER, unit=unit, actor=None)
    campaign = make_campaign(scene, both)
    campaign_submit(campaign=campaign, actor=both)
    with pytest.raises(PermissionDenied):
        campaign_approve(campaign=campaign, actor=both)
    Campaign.objects.filter(pk=campaign.pk).update(required_approvals=2)
    campaign_approve(campaign=campaign, actor=compliance_officer)
    with pytest.raises(Conflict, match="already approved"):
        campaign_approve(campaign=campaign, actor=compliance_officer)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.IN_REVIEW


def test_regulated_items_need_the_approvals_their_kind_needs(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any
) -> None:
    type(scene["visual"]).objects.filter(pk=scene["visual"].pk).update(required_approvals=2)
    campaign = make_campaign(scene, brand_manager)
    campaign = campaign_submit(campaign=campaign, actor=brand_manager)
    assert campaign.required_approvals == 2
    campaign_approve(campaign=campaign, actor=compliance_officer)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.IN_REVIEW
    assert AuditEvent.objects.filter(action="campaign.approval_recorded").exists()


def test_times_in_the_past_or_backwards_are_refused(
    scene: dict[str, Any], brand_manager: Any
) -> None:
    with pytest.raises(ValidationError, match="past"):
        make_campaign(scene, brand_manager, go_live_at=START - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="after the go-live"):
        make_campaign(scene, brand_manager, ends_at=GO_LIVE)
    far = datetime(9999, 12, 31, 23, 0, tzinfo=ZoneInfo("America/New_York"))
    with pytest.raises(ValidationError, match="between 2000 and 2999"):
        make_campaign(scene, brand_manager, ends_at=far)


def test_items_of_another_unit_are_404_and_of_the_wrong_kind_400(
    scene: dict[str, Any],
    brand_manager: Any,
    other_unit: Any,
    disclaimer: Any,
    add_version: Any,
    compliance_officer: Any,
) -> None:
    foreign = Asset.objects.create(
        key="other.visual", title="x", kind="campaign_visual", business_unit=other_unit
    )
    variant = Variant.objects.create(asset=foreign)
    stranger = Version.objects.create(
        variant=variant, number=1, media_type="text/plain", text="x", size=1, sha256="0" * 64
    )
    with pytest.raises(Http404):
        make_campaign(scene, brand_manager, items=[{**item(scene), "version": stranger.pk}])
    text = add_version(disclaimer)
    with pytest.raises(ValidationError, match="takes an image"):
        make_campaign(scene, brand_manager, items=[{**item(scene), "version": text.pk}])
    with pytest.raises(ValidationError, match="own asset"):
        make_campaign(
            scene, brand_manager, items=[{**item(scene), "version": scene["everyday"].pk}]
        )
    with pytest.raises(ValidationError, match="no slot"):
        make_campaign(scene, brand_manager, items=[{**item(scene), "slot": "footer"}])


def test_a_change_to_an_approved_campaign_is_refused(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any
) -> None:
    campaign = approved_campaign(scene, brand_manager, compliance_officer)
    with pytest.raises(Conflict, match="create a new campaign or cancel"):
        campaign_item_add(campaign=campaign, data=item(scene, region="DE"), actor=brand_manager)
    assert campaign.items.count() == 1


def test_overlapping_campaigns_for_one_slot_cannot_both_be_approved(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any
) -> None:
    first = approved_campaign(
        scene, brand_manager, compliance_officer, items=[item(scene, language="de")]
    )
    later = make_campaign(
        scene,
        brand_manager,
        name="Easter",
        go_live_at=ENDS - timedelta(days=1),
        ends_at=None,
        items=[item(scene, language="de-CH")],
    )
    campaign_submit(campaign=later, actor=brand_manager)
    with pytest.raises(Conflict, match=f"Spring renewal \\(campaign {first.pk}, approved\\)"):
        campaign_approve(campaign=later, actor=compliance_officer)
    later.refresh_from_db()
    assert later.state == CampaignState.IN_REVIEW
    # Other contexts, or windows that only touch, do not meet.
    apart = approved_campaign(
        scene, brand_manager, compliance_officer, name="French", items=[item(scene, language="fr")]
    )
    after = approved_campaign(
        scene, brand_manager, compliance_officer, name="Summer", go_live_at=ENDS, ends_at=None
    )
    assert apart.state == after.state == CampaignState.APPROVED


def test_an_asset_wide_item_meets_a_slot_item_of_that_asset(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any
) -> None:
    approved_campaign(scene, brand_manager, compliance_officer)
    wide = make_campaign(
        scene,
        brand_manager,
        name="Everywhere",
        items=[{"asset": scene["logo"].pk, "version": scene["visual"].pk}],
    )
    campaign_submit(campaign=wide, actor=brand_manager)
    with pytest.raises(Conflict, match="Header component.header_logo"):
        campaign_approve(campaign=wide, actor=compliance_officer)


def test_an_item_out_of_approval_blocks_approval_with_the_reason(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any
) -> None:
    campaign = make_campaign(scene, brand_manager)
    campaign_submit(campaign=campaign, actor=brand_manager)
    version_withdraw(version=scene["visual"], actor=compliance_officer, comment="Wrong colour.")
    with pytest.raises(Conflict, match="campaign.spring.logo v1 is withdrawn"):
        campaign_approve(campaign=campaign, actor=compliance_officer)


def test_pre_flight_resolves_the_campaign_inside_its_window_and_the_everyday_outside(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any, designer: Any
) -> None:
    approved_campaign(scene, brand_manager, compliance_officer, items=[item(scene, region="DE")])
    acknowledge_all(designer)
    inside, visual, everyday = GO_LIVE + timedelta(days=3), scene["visual"].pk, scene["everyday"].pk

    assert resolved(scene, designer, inside, region="DE") == [visual]
    assert resolved(scene, designer, inside, region="AT") == [everyday]
    assert resolved(scene, designer, GO_LIVE - timedelta(seconds=1), region="DE") == [everyday]
    assert resolved(scene, designer, GO_LIVE, region="DE") == [visual]
    assert resolved(scene, designer, ENDS, region="DE") == [everyday]
    clearance = preflight_run(
        template=scene["statement"], run_at=inside, contexts=[Context(region="DE")], actor=designer
    )
    assert clearance.verdict == "go", clearance.reasons
    assert clearance.evidence["resolved"][0]["campaign"]


def test_the_schedule_moves_a_campaign_live_and_ends_it_once_each(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any, clock: Any
) -> None:
    campaign = approved_campaign(scene, brand_manager, compliance_officer)
    assert campaigns_tick() == {"live": 0, "ended": 0, "blocked": 0}
    clock.move_to(GO_LIVE)
    assert campaigns_tick()["live"] == 1
    assert campaigns_tick()["live"] == 0
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.LIVE
    live = AuditEvent.objects.get(action="campaign.live")
    assert live.data["items"][0]["target"] == "Header component.header_logo"
    assert "caught_up" not in live.data
    clock.move_to(ENDS)
    assert campaigns_tick()["ended"] == 1
    assert campaigns_tick()["ended"] == 0
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.ENDED
    assert (
        AuditEvent.objects.filter(action__startswith="campaign.")
        .values_list("action", flat=True)
        .count()
        == 5
    )  # created, submitted, approved, live, ended
    # The end reverts without a new review.
    assert not Review.objects.filter(campaign=campaign).exclude(state=ReviewState.OPEN).exists()
    assert Review.objects.count() == 2


def test_a_missed_schedule_catches_up_and_says_so(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any, clock: Any
) -> None:
    missed = approved_campaign(scene, brand_manager, compliance_officer)
    later = approved_campaign(
        scene,
        brand_manager,
        compliance_officer,
        name="Summer",
        go_live_at=ENDS,
        ends_at=ENDS + timedelta(days=30),
    )
    clock.move_to(ENDS + timedelta(hours=5))  # the worker was down from before go-live
    assert campaigns_tick() == {"live": 1, "ended": 1, "blocked": 0}
    missed.refresh_from_db()
    later.refresh_from_db()
    assert missed.state == CampaignState.ENDED
    assert later.state == CampaignState.LIVE
    ended = AuditEvent.objects.get(action="campaign.ended")
    assert ended.data["caught_up"] is True and ended.data["never_live"] is True
    assert ended.data["late_by_minutes"] == 300
    live = AuditEvent.objects.get(action="campaign.live")
    assert live.data["caught_up"] is True and live.data["late_by_minutes"] == 300


def test_a_campaign_not_in_exstream_at_go_live_is_blocked_and_pre_flight_says_so(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    designer: Any,
    clock: Any,
    deliver_all: Any,
) -> None:
    campaign = approved_campaign(scene, brand_manager, compliance_officer)
    acknowledge_all(designer)
    Delivery.objects.filter(version=scene["visual"]).update(state="dead")
    clock.move_to(GO_LIVE)
    assert campaigns_tick()["blocked"] == 1
    assert campaigns_tick()["blocked"] == 0  # blocked once, for the same reasons
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.APPROVED and campaign.blocked
    assert "not in Exstream yet" in campaign.blocked_reasons[0]
    clearance = preflight_run(
        template=scene["statement"], run_at=GO_LIVE, contexts=[Context()], actor=designer
    )
    assert [reason["code"] for reason in clearance.reasons] == ["campaign_blocked"]
    assert clearance.evidence["resolved"][0]["version"] == scene["everyday"].pk
    [entry] = build_manifest(scene["statement"], GO_LIVE, Context())["bindings"]
    assert entry["blocked_campaigns"] == [campaign.pk]
    # Delivered after all: the next minute moves it live.
    Delivery.objects.filter(version=scene["visual"]).update(state="delivered")
    assert campaigns_tick()["live"] == 1
    campaign.refresh_from_db()
    assert not campaign.blocked


def test_cancelling_a_live_campaign_reverts_at_once_and_tells_the_owners(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any, designer: Any, clock: Any
) -> None:
    campaign = approved_campaign(scene, brand_manager, compliance_officer)
    clock.move_to(GO_LIVE + timedelta(minutes=1))
    campaigns_tick()
    campaign_cancel(campaign=campaign, actor=compliance_officer, reason="Recall.")
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CANCELLED
    assert resolved(scene, designer, GO_LIVE + timedelta(days=1)) == [scene["everyday"].pk]
    cancelled = AuditEvent.objects.get(action="campaign.cancelled")
    assert cancelled.data["was"] == "live" and cancelled.data["reason"] == "Recall."
    notice = Notification.objects.get(user=designer, key=f"campaign-cancelled:{campaign.pk}")
    assert "everyday versions again" in notice.body
    # Its reviews have nothing left to look at: the templates are cleared again.
    assert not Review.objects.filter(campaign=campaign, state=ReviewState.OPEN).exists()
    scene["statement"].refresh_from_db()
    assert scene["statement"].state == TemplateState.CLEARED
    with pytest.raises(Conflict):
        campaign_cancel(campaign=campaign, actor=compliance_officer)


def test_a_rejection_needs_a_reason_and_tells_the_creator(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any
) -> None:
    campaign = make_campaign(scene, brand_manager)
    campaign_submit(campaign=campaign, actor=brand_manager)
    with pytest.raises(ValidationError):
        campaign_reject(campaign=campaign, actor=compliance_officer, comment=" ")
    campaign_reject(campaign=campaign, actor=compliance_officer, comment="Off-brand.")
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.REJECTED
    assert Notification.objects.get(user=brand_manager, key=f"campaign-rejected:{campaign.pk}")


def test_approval_queues_renditions_tagged_with_the_campaign(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    add_version: Any,
) -> None:
    fresh = add_version(scene["visual_asset"])
    fresh = version_approve(version=fresh, actor=compliance_officer)
    Delivery.objects.filter(version=fresh).delete()
    campaign = approved_campaign(
        scene, brand_manager, compliance_officer, items=[{**item(scene), "version": fresh.pk}]
    )
    rows = Delivery.objects.filter(version=fresh)
    assert rows.exists() and all(row.campaign_id == campaign.pk for row in rows)


def test_a_campaign_version_withdrawn_after_approval_stops_runs_inside_the_window(
    scene: dict[str, Any], brand_manager: Any, compliance_officer: Any, designer: Any
) -> None:
    approved_campaign(scene, brand_manager, compliance_officer)
    acknowledge_all(designer)
    version_withdraw(version=scene["visual"], actor=compliance_officer, comment="Recalled.")
    inside = preflight_run(
        template=scene["statement"], run_at=GO_LIVE, contexts=[Context()], actor=designer
    )
    assert [(r["code"], r["detail"]) for r in inside.reasons] == [
        (
            "campaign_not_approved",
            "Header component.header_logo: campaign Spring renewal brings "
            "campaign.spring.logo v1, which is withdrawn.",
        )
    ]
    outside = preflight_run(
        template=scene["statement"], run_at=ENDS, contexts=[Context()], actor=designer
    )
    assert outside.verdict == "go"
