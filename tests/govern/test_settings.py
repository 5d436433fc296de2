"""Settings come from the environment and refuse an unsafe production start."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def django_check(**environment: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(ROOT), "ENV_FILE": os.devnull, **environment}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_start_without_secret_key_is_refused() -> None:
    result = django_check(DEBUG="0")
    assert result.returncode == 2
    assert result.stderr.strip() == "Configuration error: SECRET_KEY must be set when DEBUG is off."


def test_production_settings_pass_the_deployment_checklist() -> None:
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-0123456789",
    }
    result = django_check(**production)
    assert result.returncode == 1
    assert "audit.W001" in result.stderr  # no signed checkpoints outside the database
    checkpointed = {"AUDIT_CHECKPOINT_DIR": "/srv/checkpoints", "AUDIT_CHECKPOINT_KEY": "a" * 44}
    result = django_check(**production, **checkpointed)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_openapi_schema_generates_without_warnings() -> None:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert "/api/v1/units/" in out.getvalue()
