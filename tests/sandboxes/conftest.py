"""Fixtures of the sandbox tests that need Govern's own data: a letter showing a logo."""

from collections.abc import Callable
from typing import Any

import pytest

from assets.models import Asset, Version
from assets.services import version_approve
from templates_app.models import Template
from templates_app.services import binding_set
from tests.templates_app.conftest import (  # noqa: F401  (shared fixtures)
    add_version,
    logo,
    make_template,
)


@pytest.fixture
def letter(
    logo: Asset,
    add_version: Callable[..., Version],
    compliance_officer: Any,
    designer: Any,
    make_template: Callable[..., Template],
    deliver_all: Callable[[], Any],
) -> Template:
    version_approve(version=add_version(logo), actor=compliance_officer)
    deliver_all()
    letter = make_template("Policy letter", exstream_id="EX-LETTER")
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    return letter
