"""Lookups shared by the management commands, failing with a clear message."""

from django.contrib.auth.models import User
from django.core.management.base import CommandError

from govern.models import BusinessUnit
from govern.roles import Role


def parse_role(name: str) -> Role:
    try:
        return Role(name)
    except ValueError:
        raise CommandError(f"Unknown role '{name}'. Roles: {', '.join(Role.values)}.") from None


def find_unit(slug: str) -> BusinessUnit:
    unit = BusinessUnit.objects.filter(slug=slug).first()
    if unit is None:
        known = ", ".join(BusinessUnit.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(f"Unknown business unit '{slug}'. Units: {known}.")
    return unit


def find_user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"Unknown user '{username}'.")
    return user
