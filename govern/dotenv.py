"""The local `.env` file: read it strictly, and write the first one for a development checkout.

Standard library only: `make` runs this before the virtual environment exists
(`python3 -m govern.dotenv init`).
"""

import os
import re
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / ".env.example"
NAME = re.compile(r"[A-Z][A-Z0-9_]*")
EXAMPLE_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=")


class DotenvError(ValueError):
    """A line of a .env file that Govern will not guess about."""


def known_names(example: Path = EXAMPLE) -> set[str] | None:
    """Return every variable .env.example documents (None without it: nothing to check)."""
    if not example.is_file():
        return None
    names = set()
    for line in example.read_text().splitlines():
        match = EXAMPLE_LINE.match(line)
        if match:
            names.add(match.group(1))
    return names


def parse(path: Path, known: set[str] | None = None) -> dict[str, str]:
    """Return the NAME=value pairs of a .env file; refuse malformed lines and unknown names."""
    pairs: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.removeprefix("export ").partition("=")
        name = name.strip()
        if not equals or not NAME.fullmatch(name):
            raise DotenvError(f"{path} line {number}: expected NAME=value, got {raw!r}")
        if known is not None and name.removesuffix("_FILE") not in known:
            raise DotenvError(f"{path} line {number}: unknown variable {name} (see .env.example)")
        pairs[name] = _unquote(value.strip())
    return pairs


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def load(path: Path, known: set[str] | None = None) -> None:
    """Fill os.environ from a .env file without overriding what is already set."""
    if not path.is_file():
        return
    for name, value in parse(path, known).items():
        if value:
            os.environ.setdefault(name, value)


def init(path: Path) -> bool:
    """Write a development .env (DEBUG on, a fresh SECRET_KEY) unless one exists."""
    if path.exists():
        return False
    path.write_text(
        "# Written once by `make` for this development checkout; never commit it.\n"
        "# Every variable Govern reads is described in .env.example.\n"
        "DEBUG=1\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
    )
    path.chmod(0o600)
    return True


if __name__ == "__main__":
    if sys.argv[1:] != ["init"]:
        sys.exit("usage: python3 -m govern.dotenv init")
    if init(ROOT / ".env"):
        print("Wrote .env for development (DEBUG=1 and a generated SECRET_KEY).")
