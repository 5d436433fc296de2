"""The audit log page says whether the chain verifies up to its latest signed checkpoint, without
walking the whole chain: the checkpoint's signature, the event at its size, the events after."""

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from audit import checkpoints, standing, triggers
from audit.models import AuditEvent
from audit.services import audit_checkpoint, audit_record
from tests.audit.test_checkpoints import KEY, forge, raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(settings: Any, tmp_path: Path) -> Path:
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    settings.AUDIT_CHECKPOINT_KEY = KEY
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def record(count: int) -> list[AuditEvent]:
    return [audit_record(action="test.event", data={"n": n}) for n in range(count)]


def banner(client: Client) -> str:
    html = client.get("/audit/").content.decode()
    start = html.index('<p class="chain-standing')
    return html[start : html.index("</p>", start)]


def test_the_page_says_the_chain_verifies_up_to_the_latest_checkpoint(
    folder: Path, auditor: Any, client_for: Callable[[Any], Client]
) -> None:
    client = client_for(auditor)
    record(3)
    point = audit_checkpoint()
    record(2)
    shown = banner(client)
    assert "chain-verified" in shown and "Chain verified." in shown
    assert "verifies up to its latest signed checkpoint" in shown
    assert f"{point.size} events)" in shown
    assert "the 2 event(s) after it link to it and match their hashes" in shown


def test_without_checkpoints_the_page_says_it_did_not_check(
    settings: Any, auditor: Any, client_for: Callable[[Any], Client], folder: Path
) -> None:
    assert "No checkpoint has been written yet." in banner(client_for(auditor))
    settings.AUDIT_CHECKPOINT_DIR = ""
    shown = banner(client_for(auditor))
    assert "chain-unchecked" in shown and "Set AUDIT_CHECKPOINT_DIR" in shown


def test_a_chain_rewritten_before_the_checkpoint_is_broken(
    folder: Path, auditor: Any, client_for: Callable[[Any], Client]
) -> None:
    events = record(3)
    audit_checkpoint()
    last = AuditEvent.objects.order_by("-sequence").first()
    assert last is not None
    triggers.remove(connection)
    raw(f"DELETE FROM {triggers.TABLE} WHERE sequence = {last.sequence}")
    triggers.install(connection)
    forge(last.sequence, events[1].hash)
    shown = banner(client_for(auditor))
    assert "chain-broken" in shown
    assert f"event {last.sequence} no longer has the hash the checkpoint" in shown


def test_a_truncated_chain_is_broken(
    folder: Path, auditor: Any, client_for: Callable[[Any], Client]
) -> None:
    record(3)
    audit_checkpoint()
    triggers.remove(connection)
    raw(f"DELETE FROM {triggers.TABLE} WHERE sequence > 2")
    triggers.install(connection)
    assert "the chain has fewer" in standing.chain_standing().message


def test_an_event_after_the_checkpoint_that_does_not_link_is_a_break(folder: Path) -> None:
    record(2)
    point = audit_checkpoint()
    forge(point.size + 1, "f" * 64)
    found = standing.chain_standing()
    assert found.state == "broken"
    assert f"breaks at event {point.size + 1}" in found.message


def test_a_checkpoint_not_signed_by_the_key_is_broken(folder: Path, settings: Any) -> None:
    record(2)
    settings.AUDIT_CHECKPOINT_KEY = base64.b64encode(bytes(32)).decode()
    audit_checkpoint()
    settings.AUDIT_CHECKPOINT_KEY = KEY
    assert standing.chain_standing().state == "broken"


def test_only_so_many_events_after_the_checkpoint_are_walked(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit_checkpoint()
    record(4)
    monkeypatch.setattr(standing, "AFTER_LIMIT", 2)
    found = standing.chain_standing()
    assert found.state == "verified" and "later ones unchecked here" in found.message


def test_the_latest_checkpoint_is_read_from_the_file_s_end(folder: Path) -> None:
    record(1)
    audit_checkpoint()
    record(1)
    second = audit_checkpoint()
    path = folder / "checkpoints"
    first_note, _, rest = path.read_text().partition("\n\n")
    path.write_text("garbage before the tail\n" + first_note[5:] + "\n\n" + rest)
    assert checkpoints.latest(folder) == second, "an earlier note is not read"
    starts_in_a_signature = rest[10:]  # a tail may begin anywhere in an earlier note
    note = checkpoints._last_note(starts_in_a_signature)
    assert note is not None and note[0][:2] == ["govern-audit", str(second.size)]
    assert checkpoints.latest(folder / "elsewhere") is None


def test_an_unreadable_checkpoint_file_is_said_not_a_500(
    folder: Path,
    auditor: Any,
    client_for: Callable[[Any], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreadable(folder: Path) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(checkpoints, "latest", unreadable)
    shown = banner(client_for(auditor))
    assert "chain-unchecked" in shown and "could not be read" in shown
