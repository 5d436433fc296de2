"""A long queue is counted only up to a cap ("1,000+"), and its pages go on while rows do."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from govern.models import BusinessUnit
from govern.pagination import CappedPaginator
from tests.assets.conftest import add_version, logo  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def twelve_units() -> Any:
    BusinessUnit.objects.bulk_create(
        BusinessUnit(name=f"Unit {n:02}", slug=f"unit-{n:02}") for n in range(12)
    )
    return BusinessUnit.objects.order_by("slug")


def test_the_count_stops_at_the_cap_and_pages_go_on(twelve_units: Any) -> None:
    paginator = CappedPaginator(twelve_units, 5, cap=7)
    with CaptureQueriesContext(connection) as counted:
        assert paginator.count == 8
    sql = counted.captured_queries[0]["sql"].upper()
    assert "LIMIT" in sql and "ORDER BY" not in sql  # any 8 rows say the same: none sorted
    assert paginator.capped and paginator.count_label == "7+"
    first, third = paginator.page(1), paginator.page(3)
    assert first.has_next() and len(first.object_list) == 5
    assert [unit.slug for unit in third.object_list] == ["unit-10", "unit-11"]
    assert not third.has_next() and third.has_previous()


def test_below_the_cap_it_is_an_ordinary_paginator(twelve_units: Any) -> None:
    paginator = CappedPaginator(twelve_units, 5, cap=100)
    assert (paginator.count, paginator.capped, paginator.count_label) == (12, False, "12")
    assert paginator.num_pages == 3 and not paginator.page(3).has_next()


def test_the_queue_says_how_many_at_least_wait(
    compliance_officer: Any,
    add_version: Callable[..., Any],  # noqa: F811
    logo: Any,  # noqa: F811
    client_for: Callable[[Any], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assets import views

    for _ in range(3):
        add_version(logo)
    monkeypatch.setattr(views, "QUEUE_COUNT_CAP", 2)
    page = client_for(compliance_officer).get("/assets/review/").content.decode()
    assert "2+ versions await your decision" in page


def test_an_absurd_page_number_is_the_last_page_it_can_hold_not_an_error(
    twelve_units: Any,
) -> None:
    paginator = CappedPaginator(twelve_units, 5, cap=7)
    for number in ("9" * 30, "9" * 5000, "-3", "x"):
        page = paginator.get_page(number)
        assert page.number >= 1 and list(page.object_list) in ([], list(twelve_units[:5]))
