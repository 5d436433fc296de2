"""Home: what waits for each of the user's roles."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from console.home import waiting_for
from govern.access import scope_for
from govern.models import BusinessUnit


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show what waits for the user, by their roles, and their roles per business unit."""
    scope = scope_for(request)
    units = BusinessUnit.objects.filter(pk__in=scope.unit_ids)
    memberships = [
        {"unit": unit, "roles": sorted(role.label for role in scope.roles_by_unit[unit.pk])}
        for unit in units
    ]
    context = {"memberships": memberships, "waiting": waiting_for(request)}
    return render(request, "home.html", context)
