"""A draft discarded by its author: kept on record, its number not reused, its content gone
unless another version holds the same bytes."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.test import Client

from assets.models import Asset, Version, VersionState
from assets.services import version_discard
from audit.models import AuditEvent
from govern.errors import Conflict
from tests import images

AddVersion = Callable[..., Version]


def test_the_author_discards_a_low_dpi_draft_and_its_content_goes(
    logo: Asset,
    add_version: AddVersion,
    brand_manager: Any,
    client_for: Callable[[Any], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    draft = add_version(logo, data=images.png(100, 50), submit=False)
    client = client_for(brand_manager)
    page = client.get(draft.get_absolute_url()).content.decode()
    assert 'value="discard"' in page
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/assets/versions/{draft.pk}/decide/", {"action": "discard"})
    assert answer.status_code == 302 and answer["Location"] == logo.get_absolute_url()
    draft.refresh_from_db()
    assert draft.state == VersionState.DISCARDED and draft.file == ""
    assert not default_storage.exists(f"content/{draft.sha256[:2]}/{draft.sha256}.png")
    event = AuditEvent.objects.get(action="version.discarded")
    assert event.actor_id == brand_manager.pk and event.data["content_removed"] is True
    assert client.get(f"/assets/versions/{draft.pk}/preview").status_code == 404
    assert "This draft was discarded." in client.get(draft.get_absolute_url()).content.decode()
    again = add_version(logo, data=images.png(100, 50), submit=False)
    assert again.number == draft.number + 1, "the same bytes again: a new number, not a clash"
    assert client.get(f"/assets/versions/{again.pk}/preview").status_code == 200


def test_shared_content_is_kept_and_only_a_draft_of_ones_own_is_discarded(
    logo: Asset,
    add_version: AddVersion,
    brand_manager: Any,
    make_user: Callable[..., Any],
    unit: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from assets.services import asset_create
    from govern.roles import Role
    from govern.services import role_grant

    data = images.png(300, 150)
    kept = add_version(logo, data=data, submit=False)
    other = asset_create(
        key="brand.logo.twin", title="Twin", kind="logo", unit=unit, actor=brand_manager
    )
    twin = add_version(other, data=data, submit=False)
    colleague = make_user("bert")
    role_grant(user=colleague, role=Role.BRAND_MANAGER, unit=unit, actor=None)
    with pytest.raises(PermissionDenied, match="Only the person who uploaded a draft"):
        version_discard(version=twin, actor=colleague)
    with django_capture_on_commit_callbacks(execute=True):
        version_discard(version=twin, actor=brand_manager)
    twin.refresh_from_db()
    assert twin.state == VersionState.DISCARDED and twin.file == kept.file
    assert default_storage.exists(kept.file), "the other version still holds the bytes"
    with pytest.raises(Conflict, match="is discarded now, not draft"):
        version_discard(version=twin, actor=brand_manager)
    submitted = add_version(logo)
    with pytest.raises(Conflict, match="is in review now, not draft"):
        version_discard(version=submitted, actor=brand_manager)
    assert Version.objects.get(pk=submitted.pk).state == VersionState.IN_REVIEW
