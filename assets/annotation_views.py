"""Comments on a version from its review page: pinned to a region or a span, answered, resolved."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from assets import annotations, services
from assets.api import VERSION_UNIT
from assets.models import Annotation, Version
from govern.access import acting_user, get_scoped_or_404
from govern.errors import Conflict, reason


def _number(request: HttpRequest, name: str, scale: float = 1.0) -> float | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw) / scale
    except ValueError:
        raise ValidationError({"pin": f"{name} must be a number."}) from None


def _pin(request: HttpRequest, version: Version) -> annotations.Pin:
    """A region in percent of the image, or a span of the text found by its quoted words."""
    quote = request.POST.get("quote", "").strip()
    if quote:
        start = version.text.find(quote) if version.is_text else -1
        if start < 0:
            raise ValidationError({"pin": "Quote words that are in this text."})
        return annotations.Pin(start=start, end=start + len(quote))
    x, y = _number(request, "x", 100), _number(request, "y", 100)
    width, height = _number(request, "width", 100), _number(request, "height", 100)
    return annotations.Pin(x=x, y=y, width=width, height=height)


@login_required
@require_POST
def annotation_add(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_scoped_or_404(request, Version.objects.all(), unit_field=VERSION_UNIT, pk=pk)
    parent = None
    if parent_id := request.POST.get("parent", ""):
        if not parent_id.isdigit() or len(parent_id) > 18:
            return HttpResponse("Answer a comment of this version.", status=400)
        parent = get_object_or_404(Annotation, pk=int(parent_id), version__variant=version.variant)
    try:
        pin = None if parent else _pin(request, version)
        services.annotation_add(
            version=version,
            author=acting_user(request),
            body=request.POST.get("body", ""),
            pin=pin,
            parent=parent,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Comment added.")
    return HttpResponseRedirect(version.get_absolute_url() + "#comments")


@login_required
@require_POST
def annotation_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    annotation = get_scoped_or_404(
        request,
        Annotation.objects.select_related("version"),
        unit_field="version__" + VERSION_UNIT,
        pk=pk,
    )
    shown_on = request.POST.get("on", "")
    try:
        services.annotation_resolve(annotation=annotation, actor=acting_user(request))
    except (ValidationError, Conflict) as error:
        messages.error(request, reason(error))
    else:
        messages.success(request, "Comment resolved.")
    target = annotation.version
    if shown_on.isdigit() and len(shown_on) < 19:
        target = (
            Version.objects.filter(pk=int(shown_on), variant_id=target.variant_id).first() or target
        )
    return HttpResponseRedirect(target.get_absolute_url() + "#comments")
