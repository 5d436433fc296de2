"""The audit log in words: "version.approval_recorded" reads "Version approval recorded", and
a target is a link to its page where it has one."""

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

# The page of each kind of target, by URL name (the audit room imports no other room).
TARGET_PAGES = {
    "assets.version": "assets:version-review",
    "assets.asset": "assets:asset-detail",
    "templates_app.template": "templates:template-detail",
    "templates_app.campaign": "templates:campaign-detail",
    "usage.productionrun": "usage:run-detail",
}


@register.filter
def action_words(action: str) -> str:
    words = action.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@register.filter
def target_url(event: object) -> str:
    name = TARGET_PAGES.get(getattr(event, "target_type", ""))
    target_id = getattr(event, "target_id", "")
    if name is None or not str(target_id).isdigit():
        return ""
    try:
        return reverse(name, args=[int(target_id)])
    except NoReverseMatch:
        return ""


@register.filter
def entries(data: object) -> list[tuple[str, object]]:
    """An event's data as (key, value) pairs: `data.items` in a template would read a key
    named "items" (a campaign's events have one) instead of the pairs."""
    return list(data.items()) if isinstance(data, dict) else []
