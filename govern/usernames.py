"""One rule for usernames, wherever they are made (commands, the admin, forms, API keys):
NFKC-normalised, no whitespace, control or invisible characters, no markup, and no mixing of
scripts with look-alike letters (a Cyrillic 'а' in a Latin name), checked with the Unicode
confusables data of `confusable_homoglyphs`."""

import unicodedata

from confusable_homoglyphs import categories, confusables
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

MAX_LENGTH = 150
MARKUP = set("<>&\"'`")


def username_problem(value: str) -> str | None:
    """Say what is wrong with a username as given, or return None."""
    if not value:
        return "A username cannot be empty."
    if len(value) > MAX_LENGTH:
        return f"A username has at most {MAX_LENGTH} characters."
    if unicodedata.normalize("NFKC", value) != value:
        return "The username is not in Unicode normal form (NFKC); type it plainly."
    for character in value:
        name = unicodedata.name(character, f"U+{ord(character):04X}")
        if character.isspace() or unicodedata.category(character).startswith("Z"):
            return f"The username contains whitespace ({name})."
        if unicodedata.category(character) in ("Cc", "Cf", "Co", "Cn", "Cs"):
            return f"The username contains an invisible or control character ({name})."
        if character in MARKUP:
            return f"The username contains markup ({character!r})."
    if confusables.is_dangerous(value):
        scripts = " and ".join(sorted(categories.unique_aliases(value) - {"COMMON"}))
        return f"The username mixes scripts ({scripts}) with letters that look alike."
    return None


def clean_username(raw: str) -> str:
    """Return the NFKC form of a username, or refuse it naming the problem."""
    value = unicodedata.normalize("NFKC", raw)
    problem = username_problem(value)
    if problem:
        raise ValidationError({"username": problem})
    return value


@deconstructible
class UsernameRule:
    """The same rule as a field validator (the admin, createsuperuser, any model form)."""

    def __call__(self, value: str) -> None:
        problem = username_problem(value)
        if problem:
            raise ValidationError(problem, code="invalid_username")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UsernameRule)

    def __hash__(self) -> int:
        return hash(UsernameRule)
