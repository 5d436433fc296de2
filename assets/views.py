"""Pages of the asset room: the compliance review queue and the asset library."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from govern.access import scope_for
from govern.roles import Capability


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Show the versions awaiting the compliance officer's decision in their units."""
    if not scope_for(request).unit_ids_for(Capability.DECIDE_VERSIONS):
        raise PermissionDenied("Only compliance officers have a review queue.")
    return render(request, "assets/review_queue.html", {"versions": []})


@login_required
def library(request: HttpRequest) -> HttpResponse:
    """Show the assets of the user's units."""
    return render(request, "assets/library.html", {"assets": []})
