"""A clearance's evidence pack maps each slot to the version that fills it and the campaign that
chose it."""

import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from assets.resolution import Context
from templates_app.models import Review, ReviewState
from templates_app.preflight import preflight_run
from templates_app.services import reviews_acknowledge
from tests.templates_app.campaign_fixtures import GO_LIVE, approved_campaign, item

pytestmark = pytest.mark.django_db


def test_the_pack_names_the_campaign_that_chose_a_slot_s_version(
    scene: dict[str, Any],
    brand_manager: Any,
    compliance_officer: Any,
    designer: Any,
    auditor: Any,
    client_for: Any,
) -> None:
    approved_campaign(scene, brand_manager, compliance_officer, items=[item(scene, region="DE")])
    open_reviews = list(Review.objects.filter(state=ReviewState.OPEN))
    reviews_acknowledge(reviews=open_reviews, actor=designer)
    clearance = preflight_run(
        template=scene["statement"],
        run_at=GO_LIVE + timedelta(days=3),
        contexts=[Context(region="DE"), Context(region="AT")],
        actor=designer,
    )
    client: Client = client_for(auditor)
    response = client.get(f"/api/v1/clearances/{clearance.pk}/evidence.pdf")
    assert response.status_code == 200
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    visual, everyday = scene["visual"], scene["everyday"]
    assert "Slot Context Version Version id Campaign" in text
    assert f"campaign.spring.logo v1 {visual.pk} Spring renewal" in text
    assert f"brand.logo.primary v1 {everyday.pk} none" in text
