"""What a Smint.io vocabulary key may be mapped to, checked value by value.

Geographies map to ISO 3166-1 alpha-2 regions ("*" for anywhere), usages and distributions'
channels to Govern's channels, languages to BCP 47 tags whose language (and region, if given)
are ISO codes, placements and industries to Govern's own lists, sizes to widths ("210mm",
"2000px") and distributions to a number of copies; "*" means without limit. "none" alone maps
a key to nothing Govern judges (outdoor posters are no channel).
"""

import re
from collections.abc import Callable

import pycountry
from django.core.exceptions import ValidationError

from assets.models import Channel, Placement, Vocabulary
from govern.models import Industry

NOTHING = "none"
TAG = re.compile(r"^([a-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Z]{2}|\d{3}))?$")
WIDTH = re.compile(r"^[1-9]\d{0,4}(mm|px)$")
COPIES = re.compile(r"^[1-9]\d{0,11}$")


def _region(value: str) -> bool:
    return value == "*" or (len(value) == 2 and pycountry.countries.get(alpha_2=value) is not None)


def _language(value: str) -> bool:
    match = TAG.match(value)
    if match is None:
        return False
    language, _script, region = match.groups()
    known = pycountry.languages.get(**{f"alpha_{len(language)}": language}) is not None
    return known and (region is None or region.isdigit() or _region(region))


def _among(choices: list[str]) -> Callable[[str], bool]:
    return lambda value: value in choices


CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    Vocabulary.GEOGRAPHY: (_region, "ISO 3166-1 codes such as DE, or *"),
    Vocabulary.USAGE: (_among(Channel.values), f"channels: {', '.join(Channel.values)}"),
    Vocabulary.LANGUAGE: (_language, "BCP 47 tags of ISO 639 languages such as de or de-CH"),
    Vocabulary.PLACEMENT: (_among(Placement.values), f"placements: {', '.join(Placement.values)}"),
    Vocabulary.INDUSTRY: (_among(Industry.values), f"industries: {', '.join(Industry.values)}"),
    Vocabulary.SIZE: (
        lambda value: value == "*" or WIDTH.match(value) is not None,
        "widths such as 210mm or 2000px, or *",
    ),
    Vocabulary.DISTRIBUTION: (
        lambda value: value == "*" or COPIES.match(value) is not None,
        "a number of copies such as 100000, or *",
    ),
}


def clean_values(vocabulary: str, values: list[str]) -> list[str]:
    """Return the mapping's values sorted and checked, or refuse naming the first bad one."""
    if vocabulary not in CHECKS:
        raise ValidationError({"vocabulary": f"Use one of {', '.join(Vocabulary.values)}."})
    check, wanted = CHECKS[vocabulary]
    cleaned = sorted({value.strip() for value in values if value.strip()})
    if cleaned == [NOTHING]:
        return []
    if not cleaned or len(cleaned) > 300:
        raise ValidationError({"values": f"Give {wanted} (or {NOTHING})."})
    for value in cleaned:
        if len(value) > 40 or not check(value):
            raise ValidationError({"values": f"{value[:40]!r} is not valid: give {wanted}."})
    return cleaned
