"""Make sure the Debian packages Govern needs are present, or name them and stop.

Standard library only: `make` runs this before the virtual environment exists, e.g.
`python3 -m govern.system_packages icc chromium`. Installs with apt-get when it can (root and
apt-get present); otherwise prints one line with the package names and the command, exits 3.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from govern import dotenv

DEFAULT_ICC = "/usr/share/color/icc/ghostscript/default_cmyk.icc"
MISSING = 3


@dataclass(frozen=True)
class Need:
    package: str
    purpose: str
    present: Callable[[dict[str, str]], bool]


def _icc_present(environment: dict[str, str]) -> bool:
    return Path(environment.get("RENDITION_CMYK_ICC") or DEFAULT_ICC).is_file()


def _chromium_present(environment: dict[str, str]) -> bool:
    path = environment.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return Path(path).is_file()


def _tesseract_present(environment: dict[str, str]) -> bool:
    return shutil.which("tesseract") is not None


def _german_present(environment: dict[str, str]) -> bool:
    return any(Path("/usr/share/tesseract-ocr").glob("*/tessdata/deu.traineddata"))


def _node_present(environment: dict[str, str]) -> bool:
    return shutil.which("node") is not None


def _npm_present(environment: dict[str, str]) -> bool:
    return shutil.which("npm") is not None


NEEDS = {
    "icc": Need("libgs-common", "the CMYK ICC profile of print renditions", _icc_present),
    "chromium": Need("chromium", "the browser tests", _chromium_present),
    "ocr": Need(
        "tesseract-ocr", "reading the words in produced documents' images", _tesseract_present
    ),
    "ocr-deu": Need("tesseract-ocr-deu", "reading German words in them", _german_present),
    "node": Need("nodejs", "the OpenID provider single sign-on is tested against", _node_present),
    "npm": Need("npm", "installing that provider (tests/oidc)", _npm_present),
}


def missing(names: list[str], environment: dict[str, str]) -> list[Need]:
    """Return the needs among `names` that this machine does not meet."""
    return [NEEDS[name] for name in names if not NEEDS[name].present(environment)]


def can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def install(packages: list[str]) -> bool:
    """Install Debian packages quietly; return whether apt-get succeeded."""
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *packages]):
        done = subprocess.run(argv, env=quiet, stdout=subprocess.DEVNULL, check=False)  # noqa: S603
        if done.returncode != 0:
            return False
    return True


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(NEEDS))
    if unknown:
        print(f"govern: unknown system need {', '.join(unknown)}", file=sys.stderr)
        return 2
    try:
        environment = _environment()
    except dotenv.DotenvError as error:
        print(f"govern: {error}", file=sys.stderr)
        return 2
    needs = missing(names, environment)
    if not needs:
        return 0
    packages = [need.package for need in needs]
    if can_install():
        print(f"Installing Debian packages for Govern: {' '.join(packages)}", flush=True)
        if install(packages) and not missing(names, environment):
            return 0
    purposes = "; ".join(f"{need.package} ({need.purpose})" for need in needs)
    print(
        f"govern: missing {purposes}: install with `sudo apt-get install {' '.join(packages)}`",
        file=sys.stderr,
    )
    return MISSING


def _environment() -> dict[str, str]:
    """Return the environment with the local .env beneath it, as settings will see it."""
    local = Path(os.environ.get("ENV_FILE") or dotenv.ROOT / ".env")
    from_file = dotenv.parse(local) if local.is_file() else {}
    return {**from_file, **os.environ}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
