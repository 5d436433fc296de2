"""Assets and versions built through the real services."""

from collections.abc import Callable
from typing import Any

import pytest

from assets.models import Asset, Version
from assets.selectors import Selectors, clean_selectors
from assets.services import asset_create, version_create, version_submit
from assets.uploads import inspect_bytes, read_text
from govern.models import BusinessUnit
from govern.roles import Role
from tests import images


@pytest.fixture
def second_compliance_officer(make_user: Callable[..., Any], unit: BusinessUnit) -> Any:
    return make_user("carla", Role.COMPLIANCE_OFFICER, unit)


@pytest.fixture
def logo(brand_manager: Any, unit: BusinessUnit) -> Asset:
    return asset_create(
        key="brand.logo.primary", title="Primary logo", kind="logo", unit=unit, actor=brand_manager
    )


@pytest.fixture
def disclaimer(brand_manager: Any, unit: BusinessUnit) -> Asset:
    return asset_create(
        key="legal.disclaimer.savings",
        title="Savings disclaimer",
        kind="disclaimer",
        unit=unit,
        actor=brand_manager,
    )


@pytest.fixture
def add_version(brand_manager: Any) -> Callable[..., Version]:
    """Create (and by default submit) a version with distinct content each call."""
    counter = iter(range(1, 10_000))

    def add(
        asset: Asset,
        *,
        data: bytes | None = None,
        text: str | None = None,
        submit: bool = True,
        selectors: Selectors | None = None,
        actor: Any = None,
    ) -> Version:
        n = next(counter)
        if asset.takes_text:
            content = read_text(text or f"Terms apply. Revision {n}.")
        else:
            # Wide enough for print: 480 px across the default 40 mm slot is 305 dpi.
            content = inspect_bytes(data or images.png(480 + n, 240))
        version = version_create(
            asset=asset,
            selectors=selectors or clean_selectors(),
            content=content,
            actor=actor or brand_manager,
        )
        if submit:
            version = version_submit(version=version, actor=actor or brand_manager)
        return version

    return add
