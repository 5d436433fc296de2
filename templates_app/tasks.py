"""Worker tasks: load ids, call the outbox; safe to run twice, at once or in any order."""

from django.conf import settings

from assets.models import Asset
from govern.models import BusinessUnit
from templates_app import expiry
from templates_app.campaigns import services as campaigns
from templates_app.exstream import gateway
from templates_app.exstream.crosscheck import cross_check
from templates_app.exstream.services import gaps_record, templates_import
from templates_app.models import DeliveryState
from templates_app.outbox import worker as outbox

# Well below django-q2's 120 s task timeout, so a drain never gets killed half-way by it.
DRAIN_BUDGET_SECONDS = 90


def drain_deliveries() -> dict[str, int]:
    """Push every due delivery (the schedule runs this every minute; approvals nudge it)."""
    return dict(outbox.drain(budget_seconds=DRAIN_BUDGET_SECONDS))


def import_templates() -> str:
    """Pull Exstream's templates into EXSTREAM_IMPORT_UNIT, if one is configured."""
    unit = BusinessUnit.objects.filter(slug=settings.EXSTREAM_IMPORT_UNIT).first()
    if unit is None:
        return "EXSTREAM_IMPORT_UNIT names no unit; nothing imported."
    return templates_import(unit=unit, items=gateway.templates()).summary()


def cross_check_exstream() -> str:
    """Compare Exstream's links with Govern's where-used graph for every asset pushed to DAS,
    and keep what Govern does not know of for the designers' home."""
    if settings.EXSTREAM_API != "das":
        return "Exstream's links are read through its Design API only (EXSTREAM_API=das)."
    assets = Asset.objects.filter(
        variants__versions__deliveries__state=DeliveryState.DELIVERED
    ).distinct()
    changed = asked = 0
    for asset in assets:
        check = cross_check(asset)
        if check.problem:
            return f"Exstream was not asked further: {check.problem}"
        asked += 1
        changed += gaps_record(asset=asset, communications=check.only_exstream)
    return f"{asked} asset(s) checked against Exstream's links; {changed} changed."


def warn_of_expiry() -> int:
    """Tell people about licences ending within EXPIRY_WARNING_DAYS (once per threshold)."""
    return expiry.expiry_warnings()


def move_campaigns() -> dict[str, int]:
    """Move campaigns live and to their end on time (every minute; safe to run twice)."""
    return campaigns.campaigns_tick()
