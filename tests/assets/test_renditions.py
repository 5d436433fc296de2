"""Renditions: CMYK through the ICC profile for print, sRGB within limits for digital channels."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from assets import profiles
from assets.models import Asset, Rendition, Version
from assets.renditions import (
    RenditionRefused,
    RenditionUnavailable,
    profiles_for,
    rendition_for,
)
from assets.selectors import clean_selectors
from assets.storage import read_content
from tests import images

AddVersion = Callable[..., Version]
BRAND_BLUE = (31, 95, 191)


def opened(rendition: Rendition) -> Image.Image:
    return Image.open(io.BytesIO(read_content(rendition.file)))


def test_print_rendition_is_cmyk_through_the_icc_profile(
    logo: Asset, add_version: AddVersion
) -> None:
    version = add_version(logo, data=images.png(600, 300, BRAND_BLUE))
    rendition = rendition_for(version, "print", print_width_mm=40)
    image = opened(rendition)
    assert (image.format, image.mode) == ("TIFF", "CMYK")
    pixel = image.getpixel((10, 10))
    assert isinstance(pixel, tuple)
    cyan, magenta, yellow, black = pixel
    # default_cmyk.icc puts this blue at about (220, 170, 0, 0); a naive conversion gives yellow 64.
    assert abs(cyan - 220) <= 8 and abs(magenta - 170) <= 8 and yellow <= 8 and black <= 8
    assert image.info.get("icc_profile"), "the output profile is embedded"
    assert rendition.details["icc"] == "default_cmyk.icc" and rendition.details["dpi"] == 381


def test_print_refuses_too_few_pixels_for_the_slot(logo: Asset, add_version: AddVersion) -> None:
    version = add_version(logo, data=images.png(200, 100))
    with pytest.raises(
        RenditionRefused,
        match="127 dpi; print needs 300 dpi. Upload an image at least 473 px across",
    ):
        rendition_for(version, "print", print_width_mm=40)
    assert not Rendition.objects.exists()


def test_a_missing_icc_profile_is_a_setup_problem_not_a_refusal(
    settings: Any, logo: Asset, add_version: AddVersion, tmp_path: Any
) -> None:
    settings.RENDITION_CMYK_ICC = tmp_path / "absent.icc"
    version = add_version(logo, data=images.png(600, 300))
    with pytest.raises(RenditionUnavailable, match="absent.icc is missing"):
        rendition_for(version, "print")


def test_digital_renditions_are_srgb_within_the_pixel_limit(
    logo: Asset, add_version: AddVersion
) -> None:
    version = add_version(logo, data=images.png(3000, 1500))
    email = opened(rendition_for(version, "email"))
    web = opened(rendition_for(version, "web"))
    assert (email.format, email.size) == ("PNG", (1200, 600))
    assert (web.format, web.size) == ("WEBP", (2000, 1000))
    assert email.info.get("icc_profile"), "tagged sRGB"


def test_svg_goes_as_sanitised_svg_to_screens_and_rasterised_to_print(
    logo: Asset, add_version: AddVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = add_version(logo, data=images.svg())
    web = rendition_for(version, "web")
    assert web.media_type == "image/svg+xml" and read_content(web.file) == read_content(
        version.file
    )
    monkeypatch.setitem(profiles.PROFILES, "print", {**profiles.PROFILES["print"], "min_dpi": 72})
    printed = opened(rendition_for(version, "print", print_width_mm=40))
    assert printed.mode == "CMYK"
    fallback = opened(rendition_for(version, "svg_png_fallback"))
    assert (fallback.format, fallback.size) == ("PNG", (120, 40))
    assert profiles_for(version)[-1] == "svg_png_fallback"


def test_a_rendition_is_made_once_and_records_its_source_and_settings(
    logo: Asset, add_version: AddVersion
) -> None:
    version = add_version(logo, data=images.png(600, 300))
    first, again = rendition_for(version, "email"), rendition_for(version, "email")
    assert first.pk == again.pk and Rendition.objects.count() == 1
    assert first.version == version and first.settings["max_side"] == 1200


def test_profiles_follow_the_variant_channels(
    logo: Asset, disclaimer: Asset, add_version: AddVersion
) -> None:
    anywhere = add_version(logo)
    print_only = add_version(logo, selectors=clean_selectors(channels=["print"]))
    assert profiles_for(anywhere) == ["print", "email", "web", "mobile"]
    assert profiles_for(print_only) == ["print"]
    assert profiles_for(add_version(disclaimer)) == ["text"]
