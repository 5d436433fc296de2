"""Administrators' pages for outgoing webhooks: endpoints with their secrets (each shown once),
rotation, disabling, and the delivery log of an endpoint with retries."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from govern.access import acting_user
from govern.errors import Conflict, reason
from templates_app.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from templates_app.webhooks.services import (
    EVENT_TYPES,
    endpoint_disable,
    endpoint_register,
    secret_rotate,
    webhook_delivery_retry,
)

LOG_ROWS = 200


def _staff(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("Only administrators manage webhook endpoints.")


def _page(request: HttpRequest, **extra: Any) -> HttpResponse:
    endpoints = WebhookEndpoint.objects.prefetch_related("secrets").annotate(
        delivered=Count("deliveries", filter=Q(deliveries__state=DeliveryState.DELIVERED)),
        dead=Count("deliveries", filter=Q(deliveries__state=DeliveryState.DEAD)),
        waiting=Count(
            "deliveries",
            filter=Q(deliveries__state__in=(DeliveryState.PENDING, DeliveryState.RETRYING)),
        ),
    )
    response = render(
        request,
        "templates_app/webhooks.html",
        {"endpoints": endpoints, "event_types": EVENT_TYPES, **extra},
    )
    response["Cache-Control"] = "no-store"  # a secret may be on it
    return response


@login_required
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest) -> HttpResponse:
    """List the endpoints; register one (its secret is shown on the answer, once)."""
    _staff(request)
    if request.method == "GET":
        return _page(request)
    try:
        endpoint, secret = endpoint_register(
            url=request.POST.get("url", ""),
            event_types=request.POST.getlist("event_types"),
            description=request.POST.get("description", ""),
            actor=acting_user(request),
        )
    except ValidationError as invalid:
        return _page(request, error=reason(invalid), given=request.POST)
    return _page(request, secret=secret, secret_for=endpoint)


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    try:
        hours = int(request.POST.get("overlap_hours", "24"))
        secret = secret_rotate(endpoint=endpoint, actor=acting_user(request), overlap_hours=hours)
    except (ValueError, ValidationError) as invalid:
        messages.error(request, f"Not rotated: {reason(invalid)}")
        return redirect("templates:webhooks")
    return _page(request, secret=secret, secret_for=endpoint)


@login_required
@require_POST
def webhook_disable(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    endpoint_disable(endpoint=endpoint, actor=acting_user(request))
    messages.success(request, f"Nothing more is sent to {endpoint.url}.")
    return redirect("templates:webhooks")


@login_required
def webhook_log(request: HttpRequest, pk: int) -> HttpResponse:
    """The newest deliveries to one endpoint: what was sent, how it answered, what failed."""
    _staff(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    rows = endpoint.deliveries.select_related("event").order_by("-created_at", "-pk")[:LOG_ROWS]
    return render(
        request, "templates_app/webhook_log.html", {"endpoint": endpoint, "deliveries": rows}
    )


@login_required
@require_POST
def webhook_retry(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=pk)
    try:
        webhook_delivery_retry(delivery=delivery, actor=acting_user(request))
    except Conflict as conflict:
        messages.error(request, conflict.detail)
    else:
        messages.success(request, "Sending again now.")
    return redirect("templates:webhook-log", delivery.endpoint_id)
