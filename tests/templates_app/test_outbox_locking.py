"""Two workers claiming deliveries at once never take the same one (PostgreSQL's SKIP LOCKED)."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from assets.models import Asset, Version
from assets.services import version_approve
from templates_app.models import Delivery
from templates_app.outbox import services as deliveries

pytestmark = pytest.mark.postgres_only


def test_a_claim_skips_the_rows_another_worker_holds(
    transactional_db: None,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
) -> None:
    version_approve(version=add_version(logo), actor=compliance_officer)
    every = set(Delivery.objects.values_list("pk", flat=True))
    assert len(every) >= 2
    held: list[int] = []
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                held.extend(
                    deliveries.due()
                    .select_for_update(skip_locked=True)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:1]
                )
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert locked.wait(10)
        mine = {pk for pk, _lease in deliveries.claim(limit=100)}
    finally:
        release.set()
        worker.join(10)
    assert held and set(held).isdisjoint(mine)
    assert mine | set(held) == every
