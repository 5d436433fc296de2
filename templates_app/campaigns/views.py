"""Pages of campaigns: the list, a calendar of months with a bar per campaign, a new campaign,
and the campaign page with its items, readiness, conflicts, deliveries, history and actions."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assets.models import Channel
from audit.models import AuditEvent
from govern.access import acting_user, get_scoped_or_404, scope_for, scoped
from govern.errors import Conflict, reason
from govern.models import BusinessUnit
from govern.pagination import page_of
from govern.roles import Capability
from govern.widgets import Select
from govern.zones import ZONE_NAMES, WallClockField, WallTime, wall_time
from templates_app.campaigns import services as campaigns
from templates_app.campaigns.api import deliveries_of
from templates_app.campaigns.book import clashes
from templates_app.campaigns.pickers import Pick, PickList, target_picks, version_picks
from templates_app.campaigns.readiness import problems, readiness
from templates_app.models import Campaign, CampaignItem, CampaignState, DeliveryState

PAGE_SIZE = 50
CALENDAR_MONTHS = 6
# Width of a calendar row's bar area (SVG user units) and the height of one bar's row.
CALENDAR_WIDTH, BAR_ROW = 1000, 26


def _campaigns(request: HttpRequest) -> Any:
    return scoped(request, Campaign.objects.select_related("business_unit"))


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The campaigns of your units, the next to go live first; filter by state."""
    shown = _campaigns(request).annotate(item_count=Count("items"))
    state = request.GET.get("state", "")
    if state in CampaignState.values:
        shown = shown.filter(state=state)
    page = page_of(request, shown.order_by("-go_live_at", "-pk"), PAGE_SIZE)
    context = {
        "page": page,
        "state": state,
        "states": CampaignState.choices,
        "can_create": bool(scope_for(request).unit_ids_for(Capability.EDIT_ASSETS)),
    }
    return render(request, "templates_app/campaign_list.html", context)


def _month_start(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-", 1))
        return date(year, month, 1)
    except (ValueError, TypeError):
        today = timezone.now().date()
        return today.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@login_required
def campaign_calendar(request: HttpRequest) -> HttpResponse:
    """Months as rows; in each, a bar per campaign across the days it runs (server-drawn SVG)."""
    first = _month_start(request.GET.get("from", ""))
    if not date(2000, 1, 1) <= first <= date(2999, 1, 1):
        first = timezone.now().date().replace(day=1)
    months = []
    start = first
    for _ in range(CALENDAR_MONTHS):
        end = _next_month(start)
        months.append(_month_row(request, start, end))
        start = end
    previous = (first - timedelta(days=1)).replace(day=1)
    context = {
        "months": months,
        "previous": f"{previous:%Y-%m}",
        "next": f"{_next_month(first):%Y-%m}",
        "width": CALENDAR_WIDTH,
        "can_create": bool(scope_for(request).unit_ids_for(Capability.EDIT_ASSETS)),
    }
    return render(request, "templates_app/campaign_calendar.html", context)


def _month_row(request: HttpRequest, start: date, end: date) -> dict[str, Any]:
    begin = datetime(start.year, start.month, 1, tzinfo=UTC)
    finish = datetime(end.year, end.month, 1, tzinfo=UTC)
    span = (finish - begin).total_seconds()
    running = (
        _campaigns(request)
        .filter(go_live_at__lt=finish)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=begin))
        .exclude(state__in=(CampaignState.REJECTED, CampaignState.CANCELLED))
        .order_by("go_live_at", "pk")[:50]
    )
    bars = []
    for row, campaign in enumerate(running):
        left = max(campaign.go_live_at, begin)
        right = min(campaign.ends_at or finish, finish)
        x = round((left - begin).total_seconds() / span * CALENDAR_WIDTH, 1)
        width = max(round((right - left).total_seconds() / span * CALENDAR_WIDTH, 1), 4)
        bars.append(
            {
                "campaign": campaign,
                "x": x,
                "width": width,
                "y": row * BAR_ROW + 4,
                "text_y": row * BAR_ROW + 19,
                "text_x": x + 4,
            }
        )
    days = (end - start).days
    ticks = [
        {"x": round(day / days * CALENDAR_WIDTH, 1), "day": day + 1} for day in range(0, days, 7)
    ]
    return {
        "label": f"{start:%B %Y}",
        "bars": bars,
        "height": max(len(bars), 1) * BAR_ROW + 8,
        "ticks": ticks,
    }


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    business_unit = forms.ChoiceField(widget=Select, label="Business unit")
    go_live_at = WallClockField(label="Goes live")
    ends_at = WallClockField(label="Ends (optional)", required=False)
    time_zone = forms.ChoiceField(
        widget=Select,
        choices=[("", "The unit's own zone"), *((name, name) for name in ZONE_NAMES)],
        required=False,
        label="Time zone",
    )
    exstream_campaign_id = forms.CharField(
        max_length=200, required=False, label="Exstream campaign id (optional)"
    )

    def __init__(self, units: list[BusinessUnit], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units_field = self.fields["business_unit"]
        units_field.choices = [(unit.slug, unit.name) for unit in units]  # type: ignore[attr-defined]
        self.fields["time_zone"].help_text = "; ".join(
            f"{unit.name} plans in {unit.time_zone}" for unit in units
        )


def _create(
    request: HttpRequest, data: dict[str, Any], units: list[BusinessUnit]
) -> tuple[Campaign, list[str]]:
    """Create the draft from the form, its times read in its zone; return the notes on how."""
    unit = next(unit for unit in units if unit.slug == data["business_unit"])
    zone_name = data["time_zone"] or unit.time_zone
    go_live = wall_time(data["go_live_at"], zone_name, "go_live_at")
    ends = wall_time(data["ends_at"], zone_name, "ends_at") if data["ends_at"] else None
    campaign = campaigns.campaign_create(
        unit=unit,
        name=data["name"],
        go_live_at=go_live.moment,
        ends_at=ends.moment if ends else None,
        time_zone=zone_name,
        exstream_campaign_id=data["exstream_campaign_id"],
        actor=acting_user(request),
    )
    return campaign, _notes(go_live, ends)


def _notes(*read: WallTime | None) -> list[str]:
    return [time.note for time in read if time is not None and time.note]


def _refuse(form: forms.Form, invalid: ValidationError) -> None:
    """Put a refusal beside the field it names, or above the form."""
    named = getattr(invalid, "error_dict", {})
    if named and set(named) <= set(form.fields):
        form.add_error(None, invalid)
    else:
        form.add_error(None, reason(invalid))


def _creator_units(request: HttpRequest) -> list[BusinessUnit]:
    units = scope_for(request).unit_ids_for(Capability.EDIT_ASSETS)
    if not units:
        raise PermissionDenied("Only brand managers create campaigns.")
    return list(BusinessUnit.objects.filter(pk__in=units).order_by("name"))


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    """Create a draft campaign; its items are added on its page."""
    units = _creator_units(request)
    form = CampaignForm(units, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign, notes = _create(request, form.cleaned_data, units)
        except ValidationError as invalid:
            _refuse(form, invalid)
        else:
            messages.success(request, f"{campaign.name} created: add its items.")
            for note in notes:
                messages.warning(request, note)
            return redirect(campaign.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(request, "templates_app/campaign_new.html", {"form": form}, status=status)


class ItemForm(forms.Form):
    target = forms.ChoiceField(widget=PickList, label="Replaces")
    version = forms.ChoiceField(widget=PickList, label="With version (approved)")
    region = forms.CharField(required=False, max_length=2, label="Region (optional)")
    language = forms.CharField(required=False, max_length=35, label="Language (optional)")
    segment = forms.CharField(required=False, max_length=64, label="Segment (optional)")
    channel = forms.ChoiceField(
        widget=Select, required=False, choices=[("", "any"), *Channel.choices], label="Channel"
    )

    def __init__(self, campaign: Campaign, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = campaign.business_unit_id
        self._offer("target", target_picks(unit), "No template in this unit binds a slot yet.")
        self._offer(
            "version",
            version_picks(unit),
            "No approved version in this unit yet: a campaign puts approved versions into "
            "template slots.",
        )

    def _offer(self, name: str, picks: list[Pick], empty: str) -> None:
        field = self.fields[name]
        field.choices = [(pick.value, pick.label) for pick in picks]  # type: ignore[attr-defined]
        field.widget.picks, field.widget.empty = picks, empty  # type: ignore[attr-defined]

    def item(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        kind, _, rest = data.pop("target").partition(":")
        if kind == "slot":
            template, _, slot = rest.partition(":")
            data.update(template=int(template), slot=slot)
        else:
            data["asset"] = int(rest)
        data["version"] = int(data["version"])
        return data


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    return get_scoped_or_404(request, _campaigns(request), pk=pk)


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    return _detail_page(request, campaign)


def _detail_page(
    request: HttpRequest,
    campaign: Campaign,
    item_form: ItemForm | None = None,
    status: int = 200,
    confirm_submit: bool = False,
) -> HttpResponse:
    scope, unit = scope_for(request), campaign.business_unit_id
    can_edit = scope.can(Capability.EDIT_ASSETS, unit)
    can_decide = scope.can(Capability.DECIDE_VERSIONS, unit)
    draft = campaign.state == CampaignState.DRAFT
    scheduled = campaign.state in (CampaignState.APPROVED, CampaignState.LIVE)
    open_states = (*campaigns.OPEN_STATES, CampaignState.APPROVED, CampaignState.LIVE)
    decided_by_me = campaign.decisions.filter(actor_id=request.user.pk, approved=True).exists()
    own = request.user.pk in {campaign.created_by_id, campaign.submitted_by_id}
    found = readiness(campaign, going_live=scheduled)
    context = {
        "campaign": campaign,
        "readiness": found,
        "not_ready": problems(found) if confirm_submit else [],
        "conflicts": clashes(campaign, open_states) if campaign.state in open_states else [],
        "deliveries": (deliveries := deliveries_of(campaign)),
        "delivered": sum(row["state"] == DeliveryState.DELIVERED for row in deliveries),
        "decisions": campaign.decisions.select_related("actor"),
        "approvals": campaign.decisions.filter(approved=True).count(),
        "history": AuditEvent.objects.filter(
            target_type="templates_app.campaign", target_id=str(campaign.pk)
        ).order_by("sequence"),
        "item_form": item_form or (ItemForm(campaign) if draft and can_edit else None),
        "can_submit": draft and can_edit,
        "can_decide": campaign.state == CampaignState.IN_REVIEW
        and can_decide
        and not own
        and not decided_by_me,
        "decided_by_me": decided_by_me and campaign.state == CampaignState.IN_REVIEW,
        "can_cancel": campaign.state in campaigns.CANCELLABLE and (can_edit or can_decide),
        "can_remove": draft and can_edit,
    }
    return render(request, "templates_app/campaign_detail.html", context, status=status)


@login_required
@require_POST
def campaign_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_scoped_or_404(
        request, _campaigns(request), capability=Capability.EDIT_ASSETS, pk=pk
    )
    form = ItemForm(campaign, request.POST)
    if not form.is_valid():
        return _detail_page(request, campaign, form, status=400)
    try:
        campaigns.campaign_item_add(campaign=campaign, data=form.item(), actor=acting_user(request))
    except (ValidationError, Conflict, Http404) as refused:
        form.add_error(None, reason(refused))
        return _detail_page(request, campaign, form, status=400)
    messages.success(request, "Item added.")
    return redirect(campaign.get_absolute_url())


@login_required
@require_POST
def campaign_item_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_scoped_or_404(
        request,
        CampaignItem.objects.select_related("campaign", "template", "asset"),
        unit_field="campaign__business_unit",
        capability=Capability.EDIT_ASSETS,
        pk=pk,
    )
    try:
        campaigns.campaign_item_remove(item=item, actor=acting_user(request))
    except Conflict as refused:
        messages.error(request, reason(refused))
    else:
        messages.success(request, f"Item {item.target_label} removed.")
    return redirect(item.campaign.get_absolute_url())


ACTIONS = {
    "submit": (Capability.EDIT_ASSETS, "submitted for review"),
    "approve": (Capability.DECIDE_VERSIONS, "approved"),
    "reject": (Capability.DECIDE_VERSIONS, "rejected"),
    "cancel": (Capability.VIEW, "cancelled"),
}


@login_required
@require_POST
def campaign_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Submit, approve, reject or cancel from the campaign page; a refusal says why, and a
    submit with items not ready asks to be confirmed (naming them) before it goes."""
    if action not in ACTIONS:
        raise Http404("No such action.")
    capability, done = ACTIONS[action]
    campaign = get_scoped_or_404(request, _campaigns(request), capability=capability, pk=pk)
    try:
        _perform(request, campaign, action)
    except (ValidationError, Conflict) as refused:
        if isinstance(refused, Conflict) and refused.code == "not_ready":
            return _detail_page(request, campaign, status=409, confirm_submit=True)
        messages.error(request, reason(refused))
    else:
        messages.success(request, f"{campaign.name} {done}.")
    return redirect(campaign.get_absolute_url())


def _perform(request: HttpRequest, campaign: Campaign, action: str) -> None:
    actor, text = acting_user(request), request.POST.get("comment", "")[:4000]
    if action == "submit":
        confirmed = request.POST.get("submit_anyway") == "yes"
        campaigns.campaign_submit(campaign=campaign, actor=actor, stop_if_not_ready=not confirmed)
    elif action == "approve":
        campaigns.campaign_approve(campaign=campaign, actor=actor, comment=text)
    elif action == "reject":
        campaigns.campaign_reject(campaign=campaign, actor=actor, comment=text)
    else:
        campaigns.campaign_cancel(campaign=campaign, actor=actor, reason=text)
