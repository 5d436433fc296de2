"""Reconciliation judges each run by the facts at its start: approvals, licences, clearances."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.models import Asset, LicensePurchase, LicenseTerm, Version
from assets.services import version_approve, version_expire, version_retire, version_withdraw
from audit.models import AuditEvent
from govern.models import Notification
from templates_app.models import Clearance, Template
from tests.usage.conftest import APPROVED_AT, CLEARED_AT, RUN_START, report
from usage.models import ProductionRun, UsageCap, UsageException
from usage.services import cap_set, exception_decide

DE_PRINT = {"region": "DE", "language": "de"}


def codes(outcome: Any) -> list[str]:
    return sorted(exception.code for exception in outcome.exceptions)


def test_a_run_of_a_version_withdrawn_before_it_is_unapproved_use(
    approved_logo: Version,
    clearance: Clearance,
    compliance_officer: Any,
    second_compliance_officer: Any,
    clock: Any,
) -> None:
    second = second_compliance_officer
    clock.move_to(RUN_START - timedelta(minutes=30))
    version_withdraw(version=approved_logo, actor=compliance_officer, comment="Recall")
    clock.move_to(RUN_START + timedelta(days=1))
    line = {"version": approved_logo.pk, **DE_PRINT}
    outcome = report("R1", [line], clearance=clearance.pk)
    exception = UsageException.objects.get(code="unapproved_use")
    assert codes(outcome) == ["unapproved_use"]
    assert exception.version_id == approved_logo.pk
    assert exception.evidence["state_at_run"] == "withdrawn"
    assert exception.evidence["documents"] == 10
    assert exception.detail == (
        f"Run R1 used brand.logo.primary v1 (version id {approved_logo.pk}), which was "
        "withdrawn when the run started."
    )
    told = Notification.objects.get(user=compliance_officer, key__startswith="usage-exceptions:")
    assert told.subject == "Run R1: 1 usage exception"  # and the second officer's
    assert "unapproved use" in told.body.lower() and told.url == "/usage/exceptions/?run=R1"
    report("R1", [line], clearance=clearance.pk)  # reported again: nothing new, no new notice
    assert Notification.objects.filter(key__startswith="usage-exceptions:").count() == 2
    exception_decide(exception=exception, state="resolved", comment="Recalled run", actor=second)
    told.refresh_from_db()
    assert (told.settled_by, told.read_at) == (second.username, None), "someone else did it"


@pytest.mark.parametrize("ending", ["retired", "expired"])
def test_a_run_of_a_version_retired_or_expired_before_it_is_unapproved_use(
    ending: str,
    approved_logo: Version,
    clearance: Clearance,
    compliance_officer: Any,
    clock: Any,
) -> None:
    clock.move_to(RUN_START - timedelta(minutes=30))
    if ending == "retired":
        version_retire(version=approved_logo, actor=compliance_officer, comment="End of life")
    else:
        version_expire(version=approved_logo, reason="The licence ended.")
    clock.move_to(RUN_START + timedelta(days=1))
    outcome = report("R1", [{"version": approved_logo.pk, **DE_PRINT}], clearance=clearance.pk)
    assert codes(outcome) == ["unapproved_use"]
    exception = UsageException.objects.get(code="unapproved_use")
    assert exception.evidence["state_at_run"] == ending
    assert exception.evidence["approval_periods"][0]["ended_as"] == ending


def test_a_version_withdrawn_after_the_run_was_approved_for_it(
    approved_logo: Version, clearance: Clearance, compliance_officer: Any, clock: Any
) -> None:
    clock.move_to(RUN_START + timedelta(hours=3))
    version_withdraw(version=approved_logo, actor=compliance_officer, comment="Recall")
    clock.move_to(RUN_START + timedelta(days=1))
    outcome = report("R1", [{"version": approved_logo.pk, **DE_PRINT}], clearance=clearance.pk)
    assert codes(outcome) == []


def test_a_run_before_the_approval_is_unapproved_use(
    approved_logo: Version, letter: Template
) -> None:
    outcome = report("R0", [{"version": approved_logo.pk}], started=APPROVED_AT - timedelta(days=1))
    assert "unapproved_use" in codes(outcome)
    exception = UsageException.objects.get(code="unapproved_use")
    assert exception.evidence["state_at_run"] == "not yet approved"


def test_a_superseded_version_used_after_its_successor_was_approved_is_unapproved_use(
    approved_logo: Version,
    letter: Template,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    clock: Any,
) -> None:
    clock.move_to(CLEARED_AT)
    version_approve(version=add_version(logo), actor=compliance_officer)
    clock.move_to(RUN_START + timedelta(days=1))
    report("R1", [{"version": approved_logo.pk}])
    exception = UsageException.objects.get(code="unapproved_use")
    assert exception.evidence["state_at_run"] == "superseded"


@pytest.fixture
def licensed(approved_logo: Version, logo: Asset) -> LicensePurchase:
    """Licence the logo for print in Germany, as Govern learnt before the approval."""
    purchase = LicensePurchase.objects.create(
        uuid="lpt-1", cart_uuid="c", asset=logo, state="completed", content_element_uuid="e"
    )
    LicenseTerm.objects.create(
        purchase=purchase,
        sequence_number=1,
        fingerprint="f1",
        allowed_geographies=["geography_germany"],
        allowed_usages=["usage_print"],
        created_at=APPROVED_AT - timedelta(days=10),
    )
    Version.objects.filter(pk=approved_logo.pk).update(purchase=purchase)
    return purchase


def test_a_context_the_licence_does_not_cover_is_out_of_rights(
    approved_logo: Version, licensed: LicensePurchase, clearance: Clearance
) -> None:
    lines = [
        {"version": approved_logo.pk, **DE_PRINT},
        {"version": approved_logo.pk, "region": "FR", "language": "fr"},
        {"version": approved_logo.pk, "region": "DE", "channel": "email"},
    ]
    outcome = report("R1", lines, clearance=clearance.pk)
    assert codes(outcome) == ["out_of_rights"]
    exception = UsageException.objects.get()
    assert exception.purchase_id == licensed.pk
    assert exception.evidence["contexts_total"] == 2
    problems = sorted(context["problem"] for context in exception.evidence["contexts"])
    assert problems == [
        "its licence is not for channel email",
        "its licence is not for region FR",
    ]
    assert exception.documents == 20
    assert exception.detail.startswith(
        f"Run R1 used brand.logo.primary v1 (version id {approved_logo.pk}) in 2 context(s)"
    )


def test_a_cancellation_after_the_run_does_not_reach_back(
    approved_logo: Version, licensed: LicensePurchase, clearance: Clearance
) -> None:
    LicensePurchase.objects.update(state="cancelled", cancelled_at=RUN_START + timedelta(hours=2))
    outcome = report("R1", [{"version": approved_logo.pk, **DE_PRINT}], clearance=clearance.pk)
    assert codes(outcome) == []
    LicensePurchase.objects.update(cancelled_at=RUN_START - timedelta(hours=2))
    outcome = report(
        "R2", [{"version": approved_logo.pk, **DE_PRINT}], started=RUN_START + timedelta(hours=1)
    )
    assert "out_of_rights" in codes(outcome)


def test_a_term_changed_after_the_run_is_judged_as_it_was(
    approved_logo: Version, licensed: LicensePurchase, clearance: Clearance
) -> None:
    changed = RUN_START + timedelta(days=2)
    LicenseTerm.objects.update(active=False, deactivated_at=changed)
    LicenseTerm.objects.create(
        purchase=licensed,
        sequence_number=1,
        fingerprint="f2",
        allowed_geographies=["geography_united_kingdom"],
        created_at=changed,
    )
    assert (
        codes(report("R1", [{"version": approved_logo.pk, **DE_PRINT}], clearance=clearance.pk))
        == []
    )
    later = report(
        "R2", [{"version": approved_logo.pk, **DE_PRINT}], started=changed + timedelta(hours=1)
    )
    assert "out_of_rights" in codes(later)


def test_a_run_without_a_go_clearance_is_uncleared(
    approved_logo: Version, letter: Template
) -> None:
    outcome = report("R1", [{"version": approved_logo.pk}])
    assert codes(outcome) == ["uncleared_run"]
    assert "no go clearance" in UsageException.objects.get().detail


def test_a_clearance_given_after_the_start_does_not_clear_the_run(
    approved_logo: Version,
    letter: Template,
    designer: Any,
    clock: Any,
    deliver_all: Callable[[], Any],
) -> None:
    from assets.resolution import Context
    from templates_app.preflight import preflight_run

    deliver_all()
    clock.move_to(RUN_START + timedelta(minutes=5))
    late = preflight_run(
        template=letter, run_at=RUN_START, contexts=[Context(region="DE")], actor=designer
    )
    clock.move_to(RUN_START + timedelta(days=1))
    outcome = report("R1", [{"version": approved_logo.pk}], clearance=late.pk)
    assert codes(outcome) == ["uncleared_run"]
    assert "after the run started" in UsageException.objects.get().detail


def test_the_latest_go_clearance_before_the_run_counts_when_none_is_named(
    approved_logo: Version, clearance: Clearance
) -> None:
    assert codes(report("R1", [{"version": approved_logo.pk, **DE_PRINT}])) == []


def test_a_version_the_clearance_did_not_resolve_makes_the_run_uncleared(
    approved_logo: Version,
    clearance: Clearance,
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    clock: Any,
) -> None:
    from assets.selectors import clean_selectors

    clock.move_to(APPROVED_AT)
    french = add_version(logo, selectors=clean_selectors(language="fr"))
    version_approve(version=french, actor=compliance_officer)
    clock.move_to(RUN_START + timedelta(days=1))
    lines = [{"version": approved_logo.pk, **DE_PRINT}, {"version": french.pk, "language": "fr"}]
    outcome = report("R1", lines, clearance=clearance.pk)
    assert codes(outcome) == ["uncleared_run"]
    exception = UsageException.objects.get()
    assert exception.evidence["unresolved_versions"] == [french.pk]
    named = f"brand.logo.primary v{french.number} (version id {french.pk})"
    assert f"used {named} that clearance {clearance.pk} did not resolve." in exception.detail


def test_a_no_go_clearance_does_not_clear(approved_logo: Version, clearance: Clearance) -> None:
    Clearance.objects.filter(pk=clearance.pk).update(verdict="no-go")
    outcome = report("R1", [{"version": approved_logo.pk}], clearance=clearance.pk)
    assert codes(outcome) == ["uncleared_run"]


def test_volume_past_a_cap_is_over_limit_once(
    approved_logo: Version,
    licensed: LicensePurchase,
    clearance: Clearance,
    compliance_officer: Any,
) -> None:
    cap_set(purchase=licensed, metric="documents", limit=15, actor=compliance_officer)
    line = {"version": approved_logo.pk, **DE_PRINT}
    assert codes(report("R1", [line], clearance=clearance.pk)) == []
    assert codes(report("R2", [line], started=RUN_START + timedelta(hours=1))) == ["over_limit"]
    exception = UsageException.objects.get(code="over_limit")
    assert exception.evidence == {
        "cap": UsageCap.objects.get().pk,
        "metric": "documents",
        "limit": 15,
        "used": 20,
    }
    assert codes(report("R3", [line], started=RUN_START + timedelta(hours=2))) == []
    assert AuditEvent.objects.filter(action="usage.cap_set").count() == 1


def test_a_mapped_usage_limit_key_of_a_term_limits_the_purchase(
    approved_logo: Version, licensed: LicensePurchase, clearance: Clearance, make_user: Any
) -> None:
    from usage.services import limit_key_set

    LicenseTerm.objects.update(usage_limits=["usage_limit_one_edition", "usage_limit_unmapped"])
    admin = make_user("admin")
    admin.is_staff = True
    line = {"version": approved_logo.pk, **DE_PRINT}
    assert codes(report("R1", [line], clearance=clearance.pk)) == []
    limit_key_set(key="usage_limit_one_edition", metric="impressions", limit=15, actor=admin)
    found = report("R2", [line], started=RUN_START + timedelta(hours=1))
    assert codes(found) == ["over_limit"]
    exception = UsageException.objects.get(code="over_limit")
    assert exception.evidence["usage_limit"] == "usage_limit_one_edition"
    assert exception.evidence["used"] == 20
    assert AuditEvent.objects.filter(action="usage.limit_key_set").count() == 1


def test_reconciling_again_adds_nothing(approved_logo: Version, letter: Template) -> None:
    report("R1", [{"version": approved_logo.pk}])
    assert UsageException.objects.count() == 1
    call_command("usage_reconcile", "--since", "2026-11-01", stdout=_Quiet())
    assert UsageException.objects.count() == 1
    event = AuditEvent.objects.filter(action="usage.reconciled").get()
    assert event.data == {"runs": 1, "new_exceptions": {}}


def test_reconciling_a_period_finds_what_a_fact_correction_reveals(
    approved_logo: Version, clearance: Clearance
) -> None:
    report("R1", [{"version": approved_logo.pk, **DE_PRINT}], clearance=clearance.pk)
    assert not UsageException.objects.exists()
    Clearance.objects.filter(pk=clearance.pk).update(verdict="no-go")
    call_command("usage_reconcile", "--since", "2026-11-01", stdout=_Quiet())
    assert UsageException.objects.get().code == "uncleared_run"


def test_reconciliation_takes_as_many_queries_for_many_records_as_for_one(
    approved_logo: Version, letter: Template
) -> None:
    from usage.reconcile import reconcile

    report("SMALL", [{"version": approved_logo.pk}, {"version": 999_999}])
    lines = [
        {"version": version, "region": region, "segment": f"s{n}"}
        for n in range(20)
        for region in ("DE", "AT", "CH")
        for version in (approved_logo.pk, 999_999)
    ]
    report("LARGE", lines, started=RUN_START + timedelta(hours=1))
    UsageException.objects.all().delete()
    with CaptureQueriesContext(connection) as small:
        reconcile(ProductionRun.objects.filter(run_id="SMALL"))
    UsageException.objects.all().delete()
    with CaptureQueriesContext(connection) as large:
        reconcile(ProductionRun.objects.filter(run_id="LARGE"))
    assert len(large) == len(small)


class _Quiet:
    def write(self, text: str) -> None:
        pass


def test_reconcile_command_refuses_a_bad_date() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="since"):
        call_command("usage_reconcile", "--since", "last tuesday", stdout=_Quiet())


def test_only_administrators_map_usage_limit_keys(compliance_officer: Any) -> None:
    from django.core.exceptions import PermissionDenied

    from usage.models import LimitKey
    from usage.services import limit_key_set

    with pytest.raises(PermissionDenied):
        limit_key_set(key="usage_limit_x", metric="documents", limit=1, actor=compliance_officer)
    assert not LimitKey.objects.exists()


def test_a_language_the_licence_does_not_cover_is_out_of_rights(
    approved_logo: Version, licensed: LicensePurchase, clearance: Clearance
) -> None:
    LicenseTerm.objects.update(allowed_languages=["language_german"])
    lines = [
        {"version": approved_logo.pk, **DE_PRINT},
        {"version": approved_logo.pk, "region": "DE", "language": "en"},
    ]
    report("R1", lines, clearance=clearance.pk)
    exception = UsageException.objects.get(code="out_of_rights")
    assert [c["problem"] for c in exception.evidence["contexts"]] == [
        "its licence is not for language en"
    ]
