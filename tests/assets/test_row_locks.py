"""A service's row lock must not stop another transaction from committing a row that refers to
the locked one. A FOR UPDATE lock did: the other's deferred foreign-key check (FOR KEY SHARE)
waited at COMMIT while holding the audit chain's lock the first was waiting for, and the load
test found PostgreSQL breaking that deadlock with 500s. Services lock FOR NO KEY UPDATE."""

import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction

from assets.models import Asset, Decision, DecisionAction, Version, VersionState
from assets.services import _lock

ON_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are PostgreSQL's (SQLite locks the file)"
)

SERVICES = Path(__file__).resolve().parents[2]


@ON_POSTGRES
def test_a_locked_version_does_not_hold_up_a_decision_committed_beside_it(
    transactional_db: None, logo: Asset, add_version: Any, compliance_officer: Any
) -> None:
    version = add_version(logo)
    locked, done = threading.Event(), threading.Event()
    outcome: list[str] = []

    def hold_the_lock() -> None:
        with transaction.atomic():
            _lock(version, expected=VersionState.IN_REVIEW)
            locked.set()
            done.wait(10)
        connections.close_all()

    def commit_beside_it() -> None:
        locked.wait(10)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                Decision.objects.create(
                    version=Version.objects.get(pk=version.pk),
                    actor=compliance_officer,
                    action=DecisionAction.REJECT,
                    comment="beside the lock",
                )
            outcome.append("committed")
        except Exception as error:  # noqa: BLE001 - what stopped it is the finding
            outcome.append(type(error).__name__)
        finally:
            done.set()
            connections.close_all()

    holder, other = (
        threading.Thread(target=hold_the_lock),
        threading.Thread(target=commit_beside_it),
    )
    holder.start()
    other.start()
    other.join(20)
    holder.join(20)
    assert outcome == ["committed"]


def test_no_service_locks_rows_for_update_of_their_keys() -> None:
    """Every select_for_update in the product says no_key=True (the test above shows why)."""
    plain = [
        f"{path.relative_to(SERVICES)}:{number}"
        for room in ("assets", "templates_app", "usage", "govern", "audit", "console")
        for path in (SERVICES / room).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "select_for_update(" in line and "no_key=True" not in line
    ]
    assert plain == []
