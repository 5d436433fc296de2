"""Cells people open in spreadsheets: written so that none runs as a formula, read back exactly.

A cell that starts with = + - @, a tab, a carriage return or NUL is prefixed with ' (OWASP's
advice against CSV injection); so is a cell that starts with ' itself, which keeps the escape
reversible: `unescape_cell` gives the original back (audit_verify --file relies on it).
"""

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0", "'")


def safe_cell(value: Any) -> Any:
    """Return a value a spreadsheet shows as text, never evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def unescape_cell(text: str) -> str:
    """Undo safe_cell on a cell read back from a file."""
    return text[1:] if text.startswith("'") else text
