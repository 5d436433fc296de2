"""The audit log is append-only and its hash chain exposes any tampering."""

import threading
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.db import DatabaseError, connection, connections, transaction

from audit import triggers
from audit.chain import GENESIS_HASH, canonical_json, chain_hash
from audit.models import AuditEvent
from audit.services import audit_record


def verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def record_events(count: int) -> list[AuditEvent]:
    return [audit_record(action="test.event", data={"n": n}) for n in range(count)]


def raw(sql: str, params: list[str] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.mark.django_db
def test_events_form_a_chain_from_the_genesis_hash() -> None:
    first, second = record_events(2)
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert second.hash == chain_hash(first.hash, second.payload())


@pytest.mark.django_db
def test_verify_prints_count_and_head_hash_of_an_intact_chain() -> None:
    events = record_events(3)
    assert verify().strip() == f"Audit chain intact: 3 events, head {events[-1].hash}"


@pytest.mark.django_db
def test_hash_survives_a_reload_from_the_database() -> None:
    event = audit_record(action="test.event", data={"text": "Grüße ✓", "nested": {"b": 1, "a": 2}})
    stored = AuditEvent.objects.get(sequence=event.sequence)
    assert stored.compute_hash() == event.hash


@pytest.mark.django_db
def test_database_rejects_update_and_delete_of_events() -> None:
    record_events(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.update(action="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().action == "test.event"


@pytest.mark.django_db
def test_verify_names_a_row_altered_after_the_trigger_was_dropped() -> None:
    record_events(4)
    triggers.remove(connection)
    raw(f"UPDATE {triggers.TABLE} SET action = 'approved' WHERE sequence = 3")
    with pytest.raises(CommandError, match="broken at sequence 3: content") as failure:
        verify()
    assert failure.value.returncode == 1


@pytest.mark.django_db
def test_verify_names_a_removed_row() -> None:
    record_events(4)
    triggers.remove(connection)
    raw(f"DELETE FROM {triggers.TABLE} WHERE sequence = 2")
    with pytest.raises(CommandError, match="broken at sequence 2: sequence 2 is missing"):
        verify()


@pytest.mark.django_db
def test_verify_names_a_row_inserted_out_of_order() -> None:
    events = record_events(3)
    forged = AuditEvent(
        sequence=4,
        created_at=events[0].created_at,
        action="forged",
        prev_hash=events[0].hash,  # chained onto the first event instead of the head
        data={},
    )
    forged.hash = forged.compute_hash()
    forged.save(force_insert=True)
    with pytest.raises(CommandError, match="broken at sequence 4: previous hash"):
        verify()


@pytest.mark.django_db
def test_verify_detects_a_whole_row_rewritten_with_a_recomputed_hash() -> None:
    record_events(3)
    triggers.remove(connection)
    second = AuditEvent.objects.get(sequence=2)
    second.action = "rewritten"
    raw(
        f"UPDATE {triggers.TABLE} SET action = %s, hash = %s WHERE sequence = 2",
        ["rewritten", second.compute_hash()],
    )
    with pytest.raises(CommandError, match="broken at sequence 3: previous hash"):
        verify()


@pytest.mark.django_db
def test_audit_record_rolls_back_with_the_callers_transaction() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.event")
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()
    assert audit_record(action="test.event").sequence == 1


def test_concurrent_writers_never_fork_the_chain(transactional_db: None) -> None:
    writers, per_writer = 6, 10
    failures: list[BaseException] = []
    start = threading.Barrier(writers)

    def write() -> None:
        try:
            start.wait()
            for n in range(per_writer):
                with transaction.atomic():
                    audit_record(action="test.concurrent", data={"n": n})
        except BaseException as error:  # noqa: BLE001 - reported to the main thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert AuditEvent.objects.count() == writers * per_writer
    assert "intact: 60 events" in verify()


def test_known_answer_pins_the_hash_of_a_fixed_event() -> None:
    """sha256 over the previous hash and the canonical JSON: a change to either, or to the
    canonical form, changes this value and breaks every exported chain."""
    event = AuditEvent(
        sequence=2,
        created_at=datetime(2026, 1, 1, 9, 30, tzinfo=UTC),
        actor_id=5,
        actor_name="colin",
        action="version.approved",
        target_type="assets.version",
        target_id="7",
        business_unit_id=3,
        data={"note": "Grüße", "approvals": [1, 2]},
        prev_hash="ab" * 32,
    )
    assert canonical_json(event.payload()) == (
        '{"action":"version.approved","actor_id":5,"actor_name":"colin","business_unit_id":3,'
        '"created_at":"2026-01-01T09:30:00.000000+00:00","data":{"approvals":[1,2],'
        '"note":"Grüße"},"sequence":2,"target_id":"7","target_type":"assets.version"}'
    )
    assert event.compute_hash() == (
        "2d31c980762b7dacf899d54614e1941ca29d6b2a76e8a99bcde62949d766cea8"
    )
    assert chain_hash(GENESIS_HASH, event.payload()) != event.compute_hash()


@pytest.mark.django_db
def test_verify_reports_a_dropped_trigger_even_when_the_chain_is_intact() -> None:
    record_events(2)
    triggers.remove(connection)
    with pytest.raises(CommandError, match="unprotected: trigger") as failure:
        verify()
    assert failure.value.returncode == 1
    assert triggers.missing(connection)


@pytest.mark.django_db
def test_a_system_check_fails_while_a_trigger_is_missing() -> None:
    call_command("check", "--database", "default")  # armed: no error
    triggers.remove(connection)
    with pytest.raises(SystemCheckError, match="audit.E001"):
        call_command("check", "--database", "default")


def test_migrate_restores_dropped_triggers(transactional_db: None) -> None:
    triggers.remove(connection)
    assert triggers.missing(connection)
    call_command("migrate", verbosity=0)
    assert triggers.missing(connection) == []


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_disabled_trigger_counts_as_missing() -> None:
    raw(f"ALTER TABLE {triggers.TABLE} DISABLE TRIGGER audit_no_change")
    assert triggers.missing(connection) == ["audit_no_change"]
    raw(f"ALTER TABLE {triggers.TABLE} ENABLE TRIGGER audit_no_change")
    assert triggers.missing(connection) == []


@pytest.mark.postgres_only
def test_the_chain_lock_makes_a_second_writer_wait_for_the_first(transactional_db: None) -> None:
    """The advisory lock: a writer whose transaction is open holds the head; another waits and
    then chains onto the first one's event, never onto the same head."""
    holding, release, second_done = threading.Event(), threading.Event(), threading.Event()
    written: dict[str, AuditEvent] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                written["first"] = audit_record(action="test.first")
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    def second() -> None:
        try:
            holding.wait(10)
            written["second"] = audit_record(action="test.second")
            second_done.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    try:
        assert holding.wait(10)
        assert not second_done.wait(0.5)  # blocked on pg_advisory_xact_lock
    finally:
        release.set()
        for thread in threads:
            thread.join(10)
    assert written["second"].prev_hash == written["first"].hash
    assert written["second"].sequence == written["first"].sequence + 1
