"""Smint.io purchases that could not be mapped, for administrators: the reason, the payload,
and a button to retry or dismiss each."""

import json

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from assets import smintio
from assets.models import QuarantinedPurchase, QuarantineState
from assets.smintio_sync import quarantine_dismiss, quarantine_retry
from govern.access import acting_user
from govern.errors import Conflict


@staff_member_required
def quarantine(request: HttpRequest) -> HttpResponse:
    items = QuarantinedPurchase.objects.all()[:200]
    rows = [
        {"item": item, "payload": json.dumps(item.payload, indent=2, ensure_ascii=False)[:20_000]}
        for item in items
    ]
    waiting = QuarantinedPurchase.objects.filter(state=QuarantineState.OPEN).count()
    return render(request, "assets/quarantine.html", {"rows": rows, "waiting": waiting})


@staff_member_required
@require_POST
def quarantine_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(QuarantinedPurchase, pk=pk)
    try:
        if request.POST.get("action") == "dismiss":
            quarantine_dismiss(
                item=item, actor=acting_user(request), reason=request.POST.get("reason", "")
            )
            messages.success(request, f"Purchase {item.uuid} dismissed.")
        else:
            quarantine_retry(item=item, actor=acting_user(request))
            item.refresh_from_db()
            if item.state == QuarantineState.RESOLVED:
                messages.success(request, f"Purchase {item.uuid} is mapped now.")
            else:
                messages.error(request, f"Purchase {item.uuid} still fails: {item.error}")
    except (ValidationError, Conflict, smintio.SmintioError) as error:
        detail = getattr(error, "detail", None) or "; ".join(getattr(error, "messages", []))
        messages.error(request, detail or str(error))
    return redirect("assets:quarantine")
