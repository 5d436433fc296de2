"""A real OpenID Connect provider for tests: panva's oidc-provider (tests/oidc/provider.mjs) under
Node.js on a loopback port, signing with a key the test made (so tests can also make tokens it
would refuse), and a person signing in at its development pages over real HTTP."""

import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from joserfc.jwk import RSAKey

from tests.sandboxes.runner import free_port

PROJECT = Path(__file__).resolve().parent.parent
SCRIPT = PROJECT / "tests" / "oidc" / "provider.mjs"
START_SECONDS = 20
HIDDEN = r'<input type="hidden" name="(\w+)" value="([^"]*)"'


def node_ready() -> str | None:
    """Why the provider cannot run here, or None."""
    if shutil.which("node") is None:
        return "Node.js is not installed (Debian's nodejs)"
    if not (PROJECT / "tests" / "oidc" / "node_modules" / "oidc-provider").is_dir():
        return "tests/oidc has no node_modules: run make tests/oidc/node_modules"
    return None


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    key: RSAKey
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_provider(
    tmp: Path,
    redirect_uris: list[str],
    accounts: dict[str, Any],
    key: RSAKey | None = None,
    port: int | None = None,
) -> Provider:
    key = key or RSAKey.generate_key(2048, parameters={"kid": f"k{time.time_ns()}"})
    port = port or free_port()
    config = {
        "clients": [
            {"client_id": "govern", "client_secret": "sso-secret", "redirect_uris": redirect_uris}
        ],
        "accounts": accounts,
        "jwks": {"keys": [{**key.as_dict(private=True), "use": "sig", "alg": "RS256"}]},
    }
    path = tmp / f"oidc-{port}.json"
    path.write_text(json.dumps(config))
    log = (tmp / f"oidc-{port}.log").open("wb")
    node = shutil.which("node") or "node"
    process = subprocess.Popen(  # noqa: S603 - our own script on loopback
        [node, str(SCRIPT), str(port), str(path)], stdout=log, stderr=subprocess.STDOUT
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                return Provider(issuer, "govern", "sso-secret", key, process)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the OpenID provider did not start: {path.with_suffix('.log')}")


def sign_in_at(authorize_url: str, login: str) -> dict[str, str]:
    """Sign in at the provider's development pages as `login`; return the query of the answer
    it sends back to Govern (code, state, iss), without going there."""
    with httpx.Client() as browser:
        answer = browser.get(authorize_url)
        for _step in range(10):
            location = answer.headers.get("location", "")
            if answer.status_code in (302, 303) and "/login/sso/callback/" in location:
                return dict(parse_qsl(urlsplit(location).query))
            if answer.status_code in (302, 303):
                answer = browser.get(location if "://" in location else _join(answer, location))
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
            if form is None:
                raise AssertionError(f"no form at the provider: {answer.text[:300]}")
            fields = dict(re.findall(HIDDEN, answer.text))
            answer = browser.post(form.group(1), data={**fields, "login": login, "password": "x"})
    raise AssertionError("the provider did not send the person back")


def _join(answer: httpx.Response, location: str) -> str:
    return str(answer.request.url.join(location))
