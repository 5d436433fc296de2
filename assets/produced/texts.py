"""Whether a document carries an approved text: compared after the same normalising on both
sides (Unicode compatibility forms such as ligatures, soft hyphens dropped, a word hyphenated
across a line joined, every run of whitespace one space).

A text that appears as approved is fine. One of the same asset's other versions appearing
instead is outdated, naming it; otherwise the closest passage that shares most of the approved
words is altered, with the word diff, and no such passage means the text is absent.
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass

from assets.models import Version
from assets.previews import word_diff

HYPHENATED = re.compile(r"(\w)-\s*\n\s*(\w)")
SPACES = re.compile(r"\s+")
# A passage sharing less of the approved words than this is not a variant of it, but absent.
SIMILAR = 0.6


def normalised(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = HYPHENATED.sub(r"\1\2", text.replace("\r\n", "\n"))
    return SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class TextDifference:
    """How a document differs from an approved text: `outdated` (another version of the asset,
    `shown`), `altered` (the `passage` with its word `diff`) or `absent`."""

    version: Version
    kind: str
    shown: Version | None = None
    passage: str = ""
    diff: tuple[tuple[str, str], ...] = ()

    def changed(self) -> str:
        """The diff's changes in words: "[removed: may change] [added: are fixed]"."""
        return " ".join(f"[{op}: {text.strip()}]" for op, text in self.diff if op != "same")


def text_difference(version: Version, said: str) -> TextDifference | None:
    """How the normalised document `said` differs from the approved text, or None."""
    approved = normalised(version.text)
    if approved and approved in said:
        return None
    older = _other_version_shown(version, said)
    if older is not None:
        return TextDifference(version, "outdated", shown=older)
    passage = closest_passage(approved, said)
    if passage is None:
        return TextDifference(version, "absent")
    diff = tuple((op, text) for op, text in word_diff(approved, passage))
    return TextDifference(version, "altered", passage=passage, diff=diff)


def _other_version_shown(version: Version, said: str) -> Version | None:
    others = Version.objects.filter(variant__asset_id=version.variant.asset_id).exclude(
        pk=version.pk
    )
    for other in others.select_related("variant__asset").order_by("-number"):
        text = normalised(other.text)
        if text and text in said:
            return other
    return None


def closest_passage(approved: str, said: str) -> str | None:
    """The stretch of the document that shares most of the approved words, if it shares at
    least SIMILAR of them."""
    wanted, words = approved.split(" "), said.split(" ")
    matcher = difflib.SequenceMatcher(a=words, b=wanted, autojunk=False)
    blocks = [block for block in matcher.get_matching_blocks() if block.size]
    if not blocks:
        return None
    best = max(blocks, key=lambda block: block.size)
    start = max(0, best.a - best.b)
    end = min(len(words), start + len(wanted) + max(3, len(wanted) // 5))
    window = words[start:end]
    window_matcher = difflib.SequenceMatcher(a=wanted, b=window, autojunk=False)
    shared = sum(block.size for block in window_matcher.get_matching_blocks())
    if shared / len(wanted) < SIMILAR:
        return None
    last = max((b.b + b.size for b in window_matcher.get_matching_blocks() if b.size), default=0)
    return " ".join(window[: max(last, len(wanted))])  # a changed ending is part of it
