"""Where a version stands with its licence, for lists and one-click decisions: covered,
unknown or restricted, judged for its own variant's context (its language, region, segment
and each of its channels) now.

A list cannot show a licence card per row, so it says which of three a version is, with the
judge's reason. Only a covered version (or one that needs no licence) may be decided together
with others; the rest are decided on their pages, where the licence card says everything.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from assets.models import Version
from assets.resolution import Context
from assets.rights.judge import Outcome, Rights, RightsBook, Use

COVERED, UNKNOWN, RESTRICTED = "covered", "unknown", "restricted"
NEEDS_NONE = ""
# The judge's words for a licence that restricts some values where a variant names none.
UNNAMED = ("the use names no ", "the use states no ")


@dataclass(frozen=True)
class Standing:
    label: str  # covered, unknown, restricted, or "" when no licence is needed
    reason: str

    @property
    def one_click(self) -> bool:
        """Whether the version may be decided together with others."""
        return self.label in (NEEDS_NONE, COVERED)


NO_LICENCE = Standing(NEEDS_NONE, "not from a purchase: needs no licence")


def standings(versions: list[Version], at: datetime | None = None) -> dict[int, Standing]:
    """Each version's standing, by key, its purchases loaded once for all."""
    at = at or timezone.now()
    licensed = [version for version in versions if version.purchase_id is not None]
    book = RightsBook(licensed)
    found = {version.pk: NO_LICENCE for version in versions}
    found.update({version.pk: _standing(book, version, at) for version in licensed})
    return found


def _uses(version: Version, at: datetime) -> list[Use]:
    variant = version.variant
    channels = variant.channels if isinstance(variant.channels, list) and variant.channels else [""]
    return [
        Use(
            context=Context(variant.region, variant.language, variant.segment, str(channel)),
            at=at,
            volumes=False,
        )
        for channel in channels
    ]


def _standing(book: RightsBook, version: Version, at: datetime) -> Standing:
    answers = [book.judge(version, use) for use in _uses(version, at)]
    refused = [rights for rights in answers if rights.outcome == Outcome.NOT_COVERED]
    if refused:
        return Standing(RESTRICTED, refused[0].summary())
    unsure = [rights for rights in answers if rights.outcome == Outcome.UNKNOWN]
    if not unsure:
        return Standing(COVERED, f"covered for {version.variant.selector_label}")
    if all(_unnamed(rights) for rights in unsure):
        return Standing(RESTRICTED, _restricts(unsure[0]))
    return Standing(UNKNOWN, unsure[0].summary())


def _unnamed(rights: Rights) -> bool:
    return all(reason.startswith(UNNAMED) for reason in rights.unknown)


def _restricts(rights: Rights) -> str:
    what = ", ".join(
        reason.removeprefix(UNNAMED[0]).removeprefix(UNNAMED[1]) for reason in rights.unknown
    )
    return f"its licence limits where it may be used ({what}), which the variant leaves open"
