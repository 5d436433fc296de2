"""The models and the migrations agree: a move made in state only left nothing unmigrated."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration() -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 when one lacks
    assert "No changes detected" in out.getvalue()
