"""Fixtures of the sandbox tests that need Govern's own data: a letter showing a logo."""

from collections.abc import Callable

import pytest

from assets.models import Asset, Version
from templates_app.models import Template
from tests.templates_app.conftest import (  # noqa: F401  (shared fixtures)
    add_version,
    delivered_logo,
    letter_showing,
    logo,
    make_template,
)


@pytest.fixture
def letter(
    logo: Asset, delivered_logo: Version, letter_showing: Callable[..., Template]
) -> Template:
    return letter_showing(logo, "Policy letter", exstream_id="EX-LETTER")
