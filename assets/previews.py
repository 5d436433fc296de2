"""Previews for reviewers: thumbnails, pixel differences to the approved version, word diffs."""

import difflib
import io
import re
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageChops, ImageCms

from assets.models import Version
from assets.storage import read_content

THUMBNAIL_SIDE = 800
ROW_THUMBNAIL_SIDE = 96  # the queue's rows
# Images smaller than this are previewed enlarged, in whole pixels (nearest neighbour).
PREVIEW_MIN_SIDE = 320
DIFF_SIDE = 400
# Channel differences up to this are compression noise, not a change a reviewer should see.
DIFF_THRESHOLD = 24
SRGB = ImageCms.createProfile("sRGB")


def _to_rgb(image: Image.Image) -> Image.Image:
    """Return the image as sRGB on white, through its ICC profile where it has one."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in {"RGB", "CMYK", "L"}:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, SRGB, outputMode="RGB")
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile still gets a preview, converted plainly
    if image.mode in {"RGBA", "LA", "P", "PA"}:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


def stored_rgb(name: str, side: int) -> Image.Image:
    """Stored raster content as sRGB on white, at most `side` on its long side."""
    image = Image.open(io.BytesIO(read_content(name)), formats=["PNG", "JPEG", "TIFF", "WEBP"])
    image.draft("RGB", (side, side))
    rgb = _to_rgb(image)
    rgb.thumbnail((side, side), Image.Resampling.LANCZOS)
    return rgb


def _open_rgb(version: Version, side: int, enlarge: bool = True) -> Image.Image:
    image = Image.open(io.BytesIO(read_content(version.file)))
    image.draft("RGB", (side, side))  # JPEG decodes at a reduced scale when it can
    rgb = _to_rgb(image)
    rgb.thumbnail((side, side))
    factor = enlargement(*rgb.size) if enlarge else 1
    if factor > 1:  # a tiny image, shown in whole pixels so it can be judged at all
        rgb = rgb.resize((rgb.width * factor, rgb.height * factor), Image.Resampling.NEAREST)
    return rgb


def enlargement(width: int, height: int) -> int:
    """How many times a preview enlarges an image smaller than PREVIEW_MIN_SIDE (1: not)."""
    longest = max(width, height, 1)
    return max(1, PREVIEW_MIN_SIDE // longest)


def thumbnail(version: Version, side: int = THUMBNAIL_SIDE) -> bytes:
    """Return a PNG thumbnail of a raster version, made once per side and kept in storage."""
    name = f"previews/{version.sha256[:2]}/{version.sha256}-{side}-{PREVIEW_MIN_SIDE}.png"
    if default_storage.exists(name):
        return read_content(name)
    output = io.BytesIO()
    _open_rgb(version, side, enlarge=side == THUMBNAIL_SIDE).save(output, "PNG")
    data = output.getvalue()
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:
        default_storage.delete(saved)
    return data


@dataclass(frozen=True)
class PixelDiff:
    png: bytes
    changed_share: float
    # Where the changes lie, as fractions of the image: (x, y, width, height); None if nowhere.
    changed_box: tuple[float, float, float, float] | None = None


def pixel_diff(new: Version, old: Version) -> PixelDiff:
    """Mark in red where the new version differs from the old one, and measure how much."""
    after = _open_rgb(new, DIFF_SIDE)
    before = _open_rgb(old, DIFF_SIDE).resize(after.size)
    changed = (
        ImageChops.difference(after, before)
        .convert("L")
        .point(lambda level: 255 if level > DIFF_THRESHOLD else 0)
    )
    share = changed.histogram()[255] / (after.width * after.height)
    faded = after.convert("L").point(lambda level: 170 + level // 3).convert("RGB")
    faded.paste((220, 30, 30), mask=changed)
    output = io.BytesIO()
    faded.save(output, "PNG")
    return PixelDiff(output.getvalue(), share, _box(changed.getbbox(), changed.size))


def _box(
    found: tuple[int, int, int, int] | None, size: tuple[int, int]
) -> tuple[float, float, float, float] | None:
    """The bounding box of the changed pixels as fractions of the image's sides."""
    if found is None:
        return None
    left, top, right, bottom = found
    width, height = size
    return (left / width, top / height, (right - left) / width, (bottom - top) / height)


WORD = re.compile(r"(\w+(?:['’-]\w+)*|[^\w\s])(\s*)")


def _words(text: str) -> list[tuple[str, str]]:
    return [(match.group(1), match.group(2)) for match in WORD.finditer(text)]


def _joined(words: list[tuple[str, str]]) -> str:
    return "".join(word + space for word, space in words)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Return (operation, text) pieces: 'same', 'added' or 'removed', word by word.

    Words and punctuation marks are compared apart, so "change." against "change at any
    time." finds "change" and "." unchanged and only "at any time" added; each keeps the space
    that followed it, so the marks stay against their words and spacing alone is no change.
    """
    before, after = _words(old), _words(new)
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(
        a=[word for word, _ in before], b=[word for word, _ in after], autojunk=False
    )
    for operation, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if operation == "equal":
            pieces.append(("same", _joined(after[b_start:b_end])))
            continue
        if a_end > a_start:
            pieces.append(("removed", _joined(before[a_start:a_end])))
        if b_end > b_start:
            pieces.append(("added", _joined(after[b_start:b_end])))
    return pieces
