"""A checkout is configured once: .env, secrets from files, URLs that follow, documented names."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from govern import dotenv, system_packages
from tests.govern.test_settings import ROOT, django_check

SETTINGS_NAME = re.compile(r"\benv(?:_bool|_int|_float|_list)?\(\s*\"([A-Z][A-Z0-9_]*)\"")


def settings_names() -> set[str]:
    return set(SETTINGS_NAME.findall((ROOT / "govern" / "settings.py").read_text()))


def show_setting(name: str, env_file: Path, **environment: str) -> str:
    code = f"from django.conf import settings; print(settings.{name})"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "govern.settings",
            "ENV_FILE": str(env_file),
            **environment,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_init_writes_debug_and_a_fresh_secret_once(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    assert dotenv.init(path) is True
    first = dotenv.parse(path, dotenv.known_names())
    assert first["DEBUG"] == "1"
    assert len(first["SECRET_KEY"]) >= 50
    assert path.stat().st_mode & 0o077 == 0
    assert dotenv.init(path) is False
    assert dotenv.parse(path)["SECRET_KEY"] == first["SECRET_KEY"]
    other = tmp_path / "other.env"
    dotenv.init(other)
    assert dotenv.parse(other)["SECRET_KEY"] != first["SECRET_KEY"]


def test_a_generated_env_lets_manage_py_run_without_exports(tmp_path: Path) -> None:
    dotenv.init(tmp_path / ".env")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "ENV_FILE": str(tmp_path / ".env")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert show_setting("DEBUG", tmp_path / ".env") == "True"


def test_an_unknown_variable_in_env_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("DEBUG=1\n# a comment\nSECRE_KEY=typo\n")
    result = django_check(ENV_FILE=str(path))
    assert result.returncode == 2
    assert f"{path} line 3: unknown variable SECRE_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_line_in_env_is_named(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("DEBUG=1\nthis is not an assignment\n")
    result = django_check(ENV_FILE=str(path))
    assert result.returncode == 2
    assert "line 2: expected NAME=value" in result.stderr


def test_a_malformed_number_is_named(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("DEBUG=1\nUPLOAD_MAX_MB=fifty\n")
    result = django_check(ENV_FILE=str(path))
    assert result.returncode == 2
    assert "UPLOAD_MAX_MB must be a number, got 'fifty'" in result.stderr


def test_the_workers_log_level_is_warning_by_default_and_a_bad_one_is_named(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".env"
    path.write_text("DEBUG=1\n")
    assert show_setting("LOGGING['loggers']['django-q']", path) == "{'level': 'WARNING'}"
    path.write_text("DEBUG=1\nQ_LOG_LEVEL=chatty\n")
    result = django_check(ENV_FILE=str(path))
    assert result.returncode == 2
    assert "Q_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL." in result.stderr


def test_the_environment_wins_over_env(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("DEBUG=1\nUPLOAD_MAX_SIDE=100\n")
    assert show_setting("UPLOAD_MAX_SIDE", path) == "100"
    assert show_setting("UPLOAD_MAX_SIDE", path, UPLOAD_MAX_SIDE="200") == "200"


def test_a_secret_is_read_from_the_file_its_file_variable_names(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("a-secret-from-a-mounted-file-which-is-long-enough-0123456789\n")
    value = show_setting("SECRET_KEY", tmp_path / "none", SECRET_KEY_FILE=str(secret))
    assert value == "a-secret-from-a-mounted-file-which-is-long-enough-0123456789"
    path = tmp_path / ".env"
    path.write_text(f"EXSTREAM_CLIENT_SECRET_FILE={secret}\n")
    assert show_setting("EXSTREAM_CLIENT_SECRET", path, DEBUG="1").startswith("a-secret")


def test_a_secret_set_twice_or_unreadable_is_refused(tmp_path: Path) -> None:
    twice = django_check(SECRET_KEY="x" * 60, SECRET_KEY_FILE=str(tmp_path / "s"))
    assert twice.returncode == 2
    assert "Set SECRET_KEY or SECRET_KEY_FILE, not both." in twice.stderr
    unreadable = django_check(SECRET_KEY_FILE=str(tmp_path / "missing"))
    assert unreadable.returncode == 2
    assert "SECRET_KEY_FILE: cannot read" in unreadable.stderr


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "http://127.0.0.1:8102/connect/token"),
        (
            {"SMINTIO_API_URL": "http://127.0.0.1:8302/consumer/v1"},
            "http://127.0.0.1:8302/connect/token",
        ),
        ({"SMINTIO_TENANT": "acme"}, "https://acme.smint.io/connect/token"),
        ({"SMINTIO_TOKEN_URL": "https://id.example/token"}, "https://id.example/token"),
    ],
)
def test_smintio_token_url_follows_its_api_url(
    environment: dict[str, str], expected: str, tmp_path: Path
) -> None:
    value = show_setting("SMINTIO_TOKEN_URL", tmp_path / "none", DEBUG="1", **environment)
    assert value == expected


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "http://127.0.0.1:8301/otdstenant/govern/otdsws/oauth2/token"),
        (
            {"EXSTREAM_OTDS_TENANT": "bank"},
            "http://127.0.0.1:8301/otdstenant/bank/otdsws/oauth2/token",
        ),
        ({"EXSTREAM_TOKEN_URL": "https://otds.example/t"}, "https://otds.example/t"),
    ],
)
def test_exstream_token_url_follows_its_api_url_and_otds_tenant(
    environment: dict[str, str], expected: str, tmp_path: Path
) -> None:
    value = show_setting(
        "EXSTREAM_TOKEN_URL",
        tmp_path / "none",
        DEBUG="1",
        EXSTREAM_API="proxy",
        EXSTREAM_URL="http://127.0.0.1:8301",
        **environment,
    )
    assert value == expected


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "http://127.0.0.1:8301/otdsws/otdstenant/govern/oauth2/token"),
        ({"EXSTREAM_OT2": "1"}, "http://127.0.0.1:8301/otdstenant/govern/oauth2/token"),
        (
            {"EXSTREAM_OTDS_URL": "https://otds.bank", "EXSTREAM_OTDS_TENANT": "t1"},
            "https://otds.bank/otdsws/otdstenant/t1/oauth2/token",
        ),
    ],
)
def test_the_das_token_url_is_otds_tenant_path_on_premises_or_on_ot2(
    environment: dict[str, str], expected: str, tmp_path: Path
) -> None:
    value = show_setting(
        "EXSTREAM_TOKEN_URL",
        tmp_path / "none",
        DEBUG="1",
        EXSTREAM_API="das",
        EXSTREAM_URL="http://127.0.0.1:8301",
        **environment,
    )
    assert value == expected


def test_the_das_scope_names_the_ot2_subscription(tmp_path: Path) -> None:
    on_ot2 = {"EXSTREAM_OT2": "1", "EXSTREAM_OTDS_SUBSCRIPTION": "bank-prod"}
    scope = show_setting("EXSTREAM_OTDS_SCOPE", tmp_path / "none", DEBUG="1", **on_ot2)
    assert scope == "search otds:groups subscription:bank-prod"
    assert show_setting("EXSTREAM_OTDS_SCOPE", tmp_path / "none", DEBUG="1") == "otds:groups"


def test_every_variable_settings_reads_is_in_env_example_and_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    names = settings_names()
    assert len(names) > 50
    assert names <= dotenv.known_names()  # type: ignore[operator]
    assert sorted(name for name in names if f"`{name}`" not in readme) == []


def test_env_example_names_nothing_settings_does_not_read() -> None:
    assert dotenv.known_names() == settings_names() | {"ENV_FILE"}


def test_a_missing_package_is_named_with_its_command_when_it_cannot_be_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RENDITION_CMYK_ICC", str(tmp_path / "missing.icc"))
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "no-chromium"))
    monkeypatch.setattr(system_packages, "can_install", lambda: False)
    assert system_packages.main(["icc", "chromium"]) == system_packages.MISSING
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "govern: missing libgs-common (the CMYK ICC profile of print renditions); chromium "
        "(the browser tests): install with `sudo apt-get install libgs-common chromium`"
    ]


def test_present_packages_need_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "cmyk.icc"
    profile.write_bytes(b"icc")
    monkeypatch.setenv("RENDITION_CMYK_ICC", str(profile))
    monkeypatch.setattr(system_packages, "install", pytest.fail)
    assert system_packages.main(["icc"]) == 0
    assert capsys.readouterr().err == ""


def test_root_with_apt_get_installs_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    profile = tmp_path / "cmyk.icc"
    monkeypatch.setenv("RENDITION_CMYK_ICC", str(profile))
    installed: list[list[str]] = []

    def fake_install(packages: list[str]) -> bool:
        installed.append(packages)
        profile.write_bytes(b"icc")
        return True

    monkeypatch.setattr(system_packages, "can_install", lambda: True)
    monkeypatch.setattr(system_packages, "install", fake_install)
    assert system_packages.main(["icc"]) == 0
    assert installed == [["libgs-common"]]


def test_the_worker_logger_says_warnings_not_each_task() -> None:
    import logging

    worker = logging.getLogger("django-q")
    assert not worker.isEnabledFor(logging.INFO), "a task's start and end stay unsaid"
    assert worker.isEnabledFor(logging.WARNING)
