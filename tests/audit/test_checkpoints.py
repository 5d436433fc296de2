"""Signed checkpoints outside the database catch what the chain alone cannot: truncation, a
chain rewritten with fresh hashes, events forged in before a checkpoint."""

import base64
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit import checkpoints, triggers
from audit.chain import GENESIS_HASH
from audit.checks import check_checkpoints_configured
from audit.models import AuditEvent
from audit.services import audit_checkpoint, audit_record
from audit.tasks import write_checkpoint
from govern.schedules import SCHEDULES

pytestmark = pytest.mark.django_db
KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture
def folder(settings: Any, tmp_path: Path) -> Path:
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    settings.AUDIT_CHECKPOINT_KEY = KEY
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def verify(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def failure(*args: str) -> CommandError:
    with pytest.raises(CommandError) as raised:
        verify(*args)
    return raised.value


def record(count: int) -> list[AuditEvent]:
    return [audit_record(action="test.event", data={"n": n}) for n in range(count)]


def raw(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def forge(sequence: int, prev_hash: str, action: str = "forged") -> AuditEvent:
    event = AuditEvent(
        sequence=sequence,
        created_at=timezone.now(),
        action=action,
        prev_hash=prev_hash,
        data={},
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    return event


def test_a_checkpoint_is_a_signed_note_of_size_head_and_time(folder: Path) -> None:
    events = record(3)
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert f"3 events, head {events[-1].hash}" in out.getvalue()
    body, _, signature = (folder / "checkpoints").read_text().partition("\n\n")
    origin, size, root, time = body.split("\n")
    assert (origin, size) == ("govern-audit", "3")
    assert base64.b64decode(root).hex() == events[-1].hash
    assert time.startswith("time ")
    assert signature.startswith("\u2014 govern-audit ")
    assert len(base64.b64decode(signature.split()[2])) == 4 + 64


def test_checkpoints_append_and_an_intact_chain_agrees_with_them(folder: Path) -> None:
    assert audit_checkpoint().size == 0  # an empty chain: the genesis hash
    record(2)
    audit_checkpoint()
    record(1)
    audit_checkpoint()
    record(2)
    assert len(checkpoints.read(folder)) == 3
    out = verify("--checkpoints")
    assert "Audit chain intact: 5 events" in out
    assert "agrees with 3 signed checkpoint(s)" in out
    assert "at 3 events (2 event(s) after it not yet checkpointed)" in out


def test_deleting_the_last_rows_passes_the_chain_but_not_the_checkpoint(folder: Path) -> None:
    record(5)
    audit_checkpoint()
    triggers.remove(connection)
    raw(f"DELETE FROM {triggers.TABLE} WHERE sequence > 3")
    triggers.install(connection)
    assert "intact: 3 events" in verify()  # the chain alone cannot tell
    error = failure("--checkpoints", str(folder))
    assert error.returncode == 1
    assert "truncated" in str(error) and "saw 5 events, the chain has 3" in str(error)


def test_a_chain_rewritten_with_fresh_hashes_disagrees(folder: Path) -> None:
    record(3)
    audit_checkpoint()
    triggers.remove(connection)
    raw(f"DELETE FROM {triggers.TABLE}")
    triggers.install(connection)
    prev = GENESIS_HASH
    for sequence in (1, 2, 3):
        prev = forge(sequence, prev, action="rewritten").hash
    assert "intact: 3 events" in verify()
    error = failure("--checkpoints")
    assert error.returncode == 1
    assert "rewritten: event 3 does not have the hash" in str(error)


def test_an_event_forged_in_before_the_checkpoint_disagrees(folder: Path) -> None:
    events = record(3)
    audit_checkpoint()
    triggers.remove(connection)
    raw(f"DELETE FROM {triggers.TABLE} WHERE sequence = 3")
    triggers.install(connection)
    forge(3, events[1].hash)
    assert "intact: 3 events" in verify()
    assert "rewritten: event 3" in str(failure("--checkpoints"))


def test_events_appended_after_the_last_checkpoint_are_not_a_break(folder: Path) -> None:
    record(2)
    audit_checkpoint()
    record(1)
    assert "1 event(s) after it not yet checkpointed" in verify("--checkpoints")


def test_a_checkpoint_signed_by_another_key_is_refused(folder: Path, settings: Any) -> None:
    record(2)
    settings.AUDIT_CHECKPOINT_KEY = base64.b64encode(bytes(32)).decode()
    audit_checkpoint()  # signed with a key the verifier does not trust
    settings.AUDIT_CHECKPOINT_KEY = KEY
    error = failure("--checkpoints")
    assert error.returncode == 1
    assert "line 1 is not signed by the key govern-audit" in str(error)


def test_an_edited_checkpoint_no_longer_matches_its_signature(folder: Path) -> None:
    record(3)
    audit_checkpoint()
    path = folder / "checkpoints"
    path.write_text(path.read_text().replace("\n3\n", "\n2\n", 1))
    assert "not signed by the key" in str(failure("--checkpoints"))


def test_a_checkpoint_that_goes_backwards_is_refused(folder: Path) -> None:
    record(3)

    def note(size: int, time: str) -> str:
        head = AuditEvent.objects.get(sequence=size).hash
        point = checkpoints.Checkpoint("govern-audit", size, head, time)
        return checkpoints.sign(point, checkpoints.signing_key())

    checkpoints.append(note(3, "2026-12-02T00:00:00+00:00"), folder)
    checkpoints.append(note(2, "2026-12-02T00:10:00+00:00"), folder)
    assert "line 8 goes backwards" in str(failure("--checkpoints"))


def test_garbage_in_the_checkpoint_file_is_a_break_not_a_crash(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "checkpoints").write_bytes(b"govern-audit\nnot a number\n!!\ntime x\n\n\xff\n")
    error = failure("--checkpoints")
    assert error.returncode == 1
    assert "untrustworthy" in str(error)


def test_configuration_errors_exit_2(settings: Any, tmp_path: Path) -> None:
    assert failure("--checkpoints", str(tmp_path)).returncode == 2  # no checkpoint file
    settings.AUDIT_CHECKPOINT_DIR = ""
    assert failure("--checkpoints").returncode == 2  # no folder configured
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path)
    settings.AUDIT_CHECKPOINT_KEY = ""  # and DEBUG is off in the tests: no derived key
    with pytest.raises(CommandError, match="Set AUDIT_CHECKPOINT_KEY") as raised:
        call_command("audit_checkpoint")
    assert raised.value.returncode == 2
    settings.AUDIT_CHECKPOINT_KEY = "not base64!"
    with pytest.raises(CommandError, match="not valid base64"):
        call_command("audit_checkpoint")


def test_an_auditor_verifies_with_the_public_key_alone(folder: Path, settings: Any) -> None:
    record(2)
    audit_checkpoint()
    out = StringIO()
    call_command("audit_checkpoint", "--public-key", stdout=out)
    settings.AUDIT_CHECKPOINT_KEY = ""
    settings.AUDIT_CHECKPOINT_PUBLIC_KEY = out.getvalue().strip()
    assert "agrees with 1 signed checkpoint(s)" in verify("--checkpoints")
    other = Ed25519PrivateKey.generate().public_key()
    settings.AUDIT_CHECKPOINT_PUBLIC_KEY = checkpoints.verifier_key("govern-audit", other)
    assert "not signed by the key" in str(failure("--checkpoints"))
    settings.AUDIT_CHECKPOINT_PUBLIC_KEY = "govern-audit+00000000+AAAA"
    assert failure("--checkpoints").returncode == 2


def test_a_new_key_is_a_fresh_32_byte_seed() -> None:
    first, second = StringIO(), StringIO()
    call_command("audit_checkpoint", "--new-key", stdout=first)
    call_command("audit_checkpoint", "--new-key", stdout=second)
    assert len(base64.b64decode(first.getvalue().strip())) == 32
    assert first.getvalue() != second.getvalue()


def test_the_schedule_writes_checkpoints_when_configured(folder: Path, settings: Any) -> None:
    declared = {entry["name"]: entry for entry in SCHEDULES}["audit-checkpoint"]
    assert declared["func"] == "audit.tasks.write_checkpoint"
    record(1)
    assert write_checkpoint().startswith("checkpoint of 1 events")
    assert [s.checkpoint.size for s in checkpoints.read(folder)] == [1]
    settings.AUDIT_CHECKPOINT_DIR = ""
    assert write_checkpoint() == "not configured"


def test_deployment_check_warns_without_checkpoints(settings: Any) -> None:
    settings.AUDIT_CHECKPOINT_DIR, settings.AUDIT_CHECKPOINT_KEY = "", ""
    assert [w.id for w in check_checkpoints_configured()] == ["audit.W001"]
    settings.AUDIT_CHECKPOINT_DIR, settings.AUDIT_CHECKPOINT_KEY = "/srv/checkpoints", KEY
    assert check_checkpoints_configured() == []
