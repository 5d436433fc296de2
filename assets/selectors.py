"""Validation of variant selectors: language, region, segment and channels."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from assets.models import Channel

# BCP 47 in the shape Exstream and Smint.io use: language, optional script, optional region.
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
REGION = re.compile(r"^[A-Z]{2}$")
SEGMENT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


@dataclass(frozen=True)
class Selectors:
    language: str = ""
    region: str = ""
    segment: str = ""
    channels: str = ""


def _language(value: str) -> str:
    parts = value.strip().replace("_", "-").split("-")
    if not parts[0]:
        return ""
    canonical = [parts[0].lower()]
    for part in parts[1:]:
        canonical.append(part.title() if len(part) == 4 else part.upper())
    tag = "-".join(canonical)
    if not LANGUAGE_TAG.match(tag):
        raise ValidationError({"language": f"'{value}' is not a BCP 47 tag such as de or de-CH."})
    return tag


def _channels(values: list[str] | str | None) -> str:
    if isinstance(values, str):
        values = [values]
    items = [item for value in values or [] for item in re.split(r"[,\s]+", value) if item]
    chosen = sorted({item.lower() for item in items})
    unknown = [value for value in chosen if value not in Channel.values]
    if unknown:
        raise ValidationError(
            {"channels": f"Unknown channel {', '.join(unknown)}; use {', '.join(Channel.values)}."}
        )
    return ",".join(chosen)


def clean_selectors(
    *, language: str = "", region: str = "", segment: str = "", channels: list[str] | str = ""
) -> Selectors:
    """Return canonical selectors or raise ValidationError naming the bad field."""
    region = (region or "").strip().upper()
    if region and not REGION.match(region):
        raise ValidationError({"region": f"'{region}' is not an ISO 3166-1 code such as DE."})
    segment = (segment or "").strip().lower()
    if segment and not SEGMENT.match(segment):
        raise ValidationError({"segment": "Use lower-case letters, digits, - and _."})
    return Selectors(_language(language or ""), region, segment, _channels(channels))
