"""Links for lists of rows: a URL reversed once, then filled with each row's key."""

from django.urls import reverse

_KEY = 2_147_483_647  # a key no row has, replaced in the reversed path


def key_path(name: str) -> str:
    """The path of the URL `name`, which takes one key, with `{}` where the key goes."""
    return reverse(name, args=[_KEY]).replace(str(_KEY), "{}")
