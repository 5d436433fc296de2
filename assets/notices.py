"""Who hears of a version's workflow: officers when one waits, its people when it is decided.

Each notice goes through govern.notify (once per cause, email by a worker after the commit).
"""

from django.contrib.auth.models import User

from assets.models import Version
from govern.access import holders
from govern.notify import notices_settle, notify
from govern.roles import Role


def named(version: Version) -> str:
    """A version as a notice names it: "brand.logo v2", with its variant unless it is "any"."""
    label = version.variant.selector_label
    return f"{version}" if label == "any" else f"{version} [{label}]"


def version_waiting(version: Version) -> None:
    """Tell the unit's compliance officers, but not its own people, that a version waits."""
    asset = version.variant.asset
    own = [pk for pk in (version.created_by_id, version.submitted_by_id) if pk]
    officers = holders(Role.COMPLIANCE_OFFICER, asset.business_unit_id).exclude(pk__in=own)
    regulated = f", regulated: {version.required_approvals} approvals" if asset.regulated else ""
    notify(
        users=officers,
        key=f"version-waiting:{version.pk}",
        subject=f"{named(version)} waits for your decision",
        body=f"{asset.title} ({asset.get_kind_display()}{regulated}), variant "
        f"{version.variant.selector_label}, in {asset.business_unit.name}.",
        url=version.get_absolute_url(),
    )


def version_decided(version: Version, actor: User | None, state: str, comment: str) -> None:
    """Settle the officers' "waits for your decision" and "overdue" notices of the version
    (someone decided it); tell the people who made and submitted it what was decided, and why
    (theirs by name: mailed at once)."""
    notices_settle(keys=[f"version-waiting:{version.pk}", f"overdue:{version.pk}"], by=actor)
    people = User.objects.filter(pk__in={version.created_by_id, version.submitted_by_id} - {None})
    who = (actor.get_full_name() or actor.username) if actor else "Govern"
    because = f": “{comment}”" if comment else "."
    notify(
        users=[person for person in people if actor is None or person.pk != actor.pk],
        key=f"version-decided:{version.pk}:{state}",
        subject=f"{named(version)} {state}",
        body=f"{who} {state} {named(version)}{because}",
        url=version.get_absolute_url(),
        urgent=True,
    )
