"""Renditions per channel profile: print as CMYK through an ICC profile, digital as sRGB.

A rendition is made once per version, profile and profile settings, and stored under its sha256;
it records what it was made from and how.
"""

import hashlib
import io
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from PIL import Image, ImageCms
from resvg_py import svg_to_bytes

from assets import profiles
from assets.criteria import skips_print
from assets.models import Rendition, Version
from assets.storage import read_content, store_content
from assets.uploads import Content
from audit.chain import canonical_json

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
FORMATS = {
    "TIFF": ("image/tiff", "tif"),
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
}
MM_PER_INCH = 25.4


class RenditionRefused(Exception):
    """The source cannot serve this profile (too few pixels for print): it never will."""


class RenditionUnavailable(Exception):
    """This machine cannot make the rendition now (a missing ICC profile): a setup problem."""


@dataclass(frozen=True)
class Made:
    data: bytes
    media_type: str
    extension: str
    details: dict[str, Any]


def profile_settings(name: str) -> dict[str, Any]:
    if name == SVG_FALLBACK:
        return dict(SVG_FALLBACK_SETTINGS)
    try:
        return dict(profiles.PROFILES[name])
    except KeyError:
        raise RenditionRefused(f"No rendition profile named '{name}'.") from None


# Screens get an SVG as it is; this extra rendition is the PNG for those that cannot show SVG.
SVG_FALLBACK = "svg_png_fallback"
SVG_FALLBACK_SETTINGS = {"format": "PNG", "max_side": 2000, "rasterise": True}


def profiles_for(version: Version) -> list[str]:
    """Return the profiles a version is pushed in: its variant's channels, or all of them, but
    not print for a version the criteria found too coarse for it (open to every channel)."""
    if version.is_text:
        return ["text"]
    channels = version.variant.channel_list
    names = [
        name
        for name, profile in profiles.PROFILES.items()
        if (not channels or profile["channel"] in channels)
        and not (profile["channel"] == "print" and skips_print(version))
    ]
    if version.is_svg and any(profiles.PROFILES[name].get("colour") != "CMYK" for name in names):
        names.append(SVG_FALLBACK)
    return names


def rendition_for(version: Version, profile: str, print_width_mm: int | None = None) -> Rendition:
    """Return the stored rendition, making it the first time."""
    wanted = (
        {**profile_settings(profile), "print_width_mm": print_width_mm} if profile != "text" else {}
    )
    settings_hash = hashlib.sha256(canonical_json(wanted).encode()).hexdigest()
    existing = Rendition.objects.filter(
        version=version, profile=profile, settings_hash=settings_hash
    ).first()
    if existing is not None:
        return existing
    made = _make(version, wanted)
    content = Content(made.data, made.media_type, made.extension)
    try:
        with transaction.atomic():
            return Rendition.objects.create(
                version=version,
                profile=profile,
                settings_hash=settings_hash,
                settings=wanted,
                sha256=content.sha256,
                file=store_content(content),
                media_type=made.media_type,
                size=len(made.data),
                details=made.details,
            )
    except IntegrityError:  # another worker made the same rendition a moment ago
        return Rendition.objects.get(version=version, profile=profile, settings_hash=settings_hash)


def _make(version: Version, profile: dict[str, Any]) -> Made:
    if version.is_text:
        return Made(version.text.encode("utf-8"), "text/plain; charset=utf-8", "txt", {})
    source = read_content(version.file)
    if version.is_svg:
        if profile.get("colour") != "CMYK" and not profile.get("rasterise"):
            return Made(source, "image/svg+xml", "svg", {"svg": "sanitised source"})
        dpi = profile.get("min_dpi", 96)
        source = svg_to_bytes(svg_string=source.decode("utf-8"), dpi=dpi)
    image = Image.open(io.BytesIO(source))
    image.load()
    if profile.get("colour") == "CMYK":
        return _print(image, profile)
    return _digital(image, profile)


def _source_profile(image: Image.Image) -> ImageCms.ImageCmsProfile:
    icc = image.info.get("icc_profile")
    return ImageCms.ImageCmsProfile(io.BytesIO(icc)) if icc else SRGB


def _print(image: Image.Image, profile: dict[str, Any]) -> Made:
    width_mm = profile.get("print_width_mm") or profile["default_width_mm"]
    dpi = image.width / (width_mm / MM_PER_INCH)
    if dpi < profile["min_dpi"]:
        raise RenditionRefused(
            f"{image.width} px across {width_mm} mm is {dpi:.0f} dpi; print needs "
            f"{profile['min_dpi']} dpi. Upload an image at least "
            f"{math.ceil(profile['min_dpi'] * width_mm / MM_PER_INCH):,} px across."
        )
    icc_path = settings.RENDITION_CMYK_ICC
    if not icc_path.is_file():
        raise RenditionUnavailable(
            f"The CMYK output profile {icc_path} is missing (RENDITION_CMYK_ICC)."
        )
    output_profile = ImageCms.ImageCmsProfile(str(icc_path))
    source = image.convert("RGB") if image.mode not in {"RGB", "CMYK", "L"} else image
    cmyk = ImageCms.profileToProfile(
        source,
        _source_profile(source),
        output_profile,
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        outputMode="CMYK",
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )
    assert cmyk is not None  # noqa: S101 - not in place, so a new image is returned
    output = io.BytesIO()
    cmyk.save(
        output,
        profile["format"],
        compression="tiff_lzw",
        dpi=(round(dpi), round(dpi)),
        icc_profile=output_profile.tobytes(),
    )
    media_type, extension = FORMATS[profile["format"]]
    details = {
        "icc": icc_path.name,
        "intent": "relative colorimetric",
        "dpi": round(dpi),
        "width_mm": width_mm,
        "pixels": [cmyk.width, cmyk.height],
    }
    return Made(output.getvalue(), media_type, extension, details)


def _digital(image: Image.Image, profile: dict[str, Any]) -> Made:
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
    rgb = image.convert("RGBA" if has_alpha else "RGB") if image.mode != "CMYK" else image
    if image.info.get("icc_profile") or image.mode == "CMYK":
        mode = "RGBA" if has_alpha else "RGB"
        source = rgb if rgb.mode in {"RGB", "RGBA", "CMYK"} else rgb.convert("RGB")
        converted = ImageCms.profileToProfile(source, _source_profile(image), SRGB, outputMode=mode)
        rgb = converted if converted is not None else rgb
    rgb.thumbnail((profile["max_side"], profile["max_side"]), Image.Resampling.LANCZOS)
    image_format = profile["format"]
    if image_format == "JPEG" and rgb.mode == "RGBA":
        rgb = rgb.convert("RGB")
    output = io.BytesIO()
    options: dict[str, Any] = {"icc_profile": SRGB.tobytes()}
    if image_format == "WEBP":
        options.update(quality=90)
    elif image_format == "JPEG":
        options.update(quality=90)
    rgb.save(output, image_format, **options)
    media_type, extension = FORMATS[image_format]
    return Made(
        output.getvalue(),
        media_type,
        extension,
        {"colour": "sRGB", "pixels": [rgb.width, rgb.height]},
    )
