"""The audit log is append-only and its hash chain exposes any tampering."""

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from audit import triggers
from audit.chain import GENESIS_HASH, chain_hash
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
