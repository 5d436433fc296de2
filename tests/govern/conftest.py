"""Fixtures the govern tests share with the assets tests."""

from tests.assets.conftest import add_version, disclaimer, logo  # noqa: F401  (shared fixtures)
