"""Mapping the identity provider's groups from the command line, and the local provider `make
run-sso` serves beside Govern."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from console.management.commands.serve import identity_provider
from govern.models import BusinessUnit, GroupMapping


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def test_groups_are_mapped_and_unmapped_by_command_and_audited(
    unit: BusinessUnit, roles: None
) -> None:
    said = run("map_group", "govern-compliance", "compliance_officer", unit.slug)
    assert said == f"govern-compliance now gives compliance_officer in {unit.slug}"
    again = run("map_group", "govern-compliance", "compliance_officer", unit.slug)
    assert again.endswith("already gave compliance_officer in " + unit.slug)
    assert GroupMapping.objects.count() == 1
    gone = run("unmap_group", "govern-compliance", "compliance_officer", unit.slug)
    assert gone == f"govern-compliance no longer gives compliance_officer in {unit.slug}"
    assert not GroupMapping.objects.exists()
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("sequence"))
    assert actions[-2:] == ["group.mapped", "group.unmapped"]


@pytest.mark.parametrize(
    "args",
    [
        ("map_group", "g", "emperor", "insurance-de"),
        ("map_group", "g", "auditor", "no-such-unit"),
        ("map_group", " ", "auditor", "insurance-de"),
    ],
)
def test_a_mapping_that_cannot_be_is_refused(
    unit: BusinessUnit, roles: None, args: tuple[str, ...]
) -> None:
    wanted = list(args)
    if wanted[3] == "insurance-de":
        wanted[3] = unit.slug
    with pytest.raises(CommandError):
        run(*wanted)
    assert not GroupMapping.objects.exists()


def test_serve_runs_the_local_provider_only_for_a_loopback_issuer(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.BASE_DIR = tmp_path
    settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID = "http://127.0.0.1:8105", "govern"
    settings.OIDC_CLIENT_SECRET = "demo-sso-secret"
    monkeypatch.setenv("SITE_URL", "http://127.0.0.1:8300")
    [argv] = identity_provider("manage.py", "127.0.0.1:8300").values()
    assert argv[-2:] == ["8105", str(tmp_path / ".sandbox" / "oidc.json")]
    config = json.loads((tmp_path / ".sandbox" / "oidc.json").read_text())
    [client] = config["clients"]
    assert client["redirect_uris"] == ["http://127.0.0.1:8300/login/sso/callback/"]
    assert client["client_secret"] == "demo-sso-secret"
    settings.OIDC_ISSUER = "https://login.microsoftonline.com/tenant/v2.0"
    assert identity_provider("manage.py", "127.0.0.1:8300") == {}
