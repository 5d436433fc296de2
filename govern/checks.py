"""System checks: setup problems are named at startup, not discovered as failed deliveries."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


def icc_profile_problem() -> str:
    """Say what is wrong with the CMYK output profile, or return an empty string."""
    path = settings.RENDITION_CMYK_ICC
    if not path.is_file():
        return (
            f"The CMYK output profile {path} is missing: install Debian's libgs-common "
            "(make does it as root) or point RENDITION_CMYK_ICC at an ICC profile."
        )
    return ""


@register()
def check_icc_profile(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problem = icc_profile_problem()
    return [Error(problem, id="govern.E001")] if problem else []
