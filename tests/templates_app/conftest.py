"""Templates built through the real services, plus the asset fixtures they bind."""

from collections.abc import Callable
from typing import Any

import pytest

from govern.models import BusinessUnit
from templates_app.models import Template
from templates_app.services import template_create
from tests.assets.conftest import (  # noqa: F401  (shared fixtures)
    add_version,
    disclaimer,
    logo,
    second_compliance_officer,
)
from tests.templates_app.campaign_fixtures import clock, scene  # noqa: F401  (shared fixtures)


@pytest.fixture
def make_template(designer: Any, unit: BusinessUnit) -> Callable[..., Template]:
    counter = iter(range(1, 100_000))

    def make(name: str = "", kind: str = "communication", **extra: Any) -> Template:
        n = next(counter)
        return template_create(
            exstream_id=extra.pop("exstream_id", f"EX-{n:05}"),
            name=name or f"Template {n}",
            kind=kind,
            channels=extra.pop("channels", ["print"]),
            unit=unit,
            actor=extra.pop("actor", designer),
            **extra,
        )

    return make
