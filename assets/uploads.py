"""Checks and normalises uploaded content; nothing here touches storage or the database.

Rasters are decoded in full and re-encoded, which applies EXIF orientation, drops every other
piece of metadata (and anything appended to or hidden in the file) and keeps the ICC profile.
SVG with active content is refused; what is accepted is still passed through svg-hush.
"""

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError
from py_svg_hush import filter_svg

from govern.errors import RequestRejected

RASTER_FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "TIFF": ("image/tiff", "tif"),
    "WEBP": ("image/webp", "webp"),
}
ACCEPTED = "PNG, JPEG, TIFF, WebP or SVG"
SVG_MEDIA_TYPE = "image/svg+xml"

# Active or external content that an SVG logo never needs; found means refused, with the reason.
SVG_HAZARDS = [
    (re.compile(rb"<\s*script", re.I), "a script"),
    (re.compile(rb"\son[a-z]+\s*=", re.I), "an event handler attribute (onload, onclick...)"),
    (re.compile(rb"<!\s*(doctype|entity)", re.I), "a DTD or entity declaration"),
    (re.compile(rb"javascript\s*:", re.I), "a javascript: link"),
    (re.compile(rb"<\s*foreignObject", re.I), "embedded HTML (foreignObject)"),
    # Only references inside the document (#id) are allowed: a path would let a renderer on the
    # server read its own files into the image.
    (
        re.compile(rb"""(href|src)\s*=\s*["']\s*[^#\s"']""", re.I),
        "a reference to another file or resource",
    ),
    # CSS url() may only point inside the document (#id), as href and src may.
    (re.compile(rb"url\((?!\s*['\"]?\s*#)", re.I), "a CSS reference to a resource"),
    (re.compile(rb"@import", re.I), "a CSS @import"),
]


class UploadRejected(RequestRejected):
    """The content cannot be accepted; the detail says why in words a person understands."""

    def __init__(self, detail: str, status: int = 400, code: str = "invalid_upload") -> None:
        super().__init__(detail, status, code)


@dataclass(frozen=True)
class Content:
    data: bytes
    media_type: str
    extension: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_upload(upload: UploadedFile) -> Content:
    """Check an uploaded file and return its normalised content."""
    if not upload.size:
        raise UploadRejected("The file is empty.")
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise UploadRejected(
            f"The file is {upload.size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB.",
            status=413,
            code="too_large",
        )
    return inspect_bytes(upload.read())


def inspect_bytes(data: bytes) -> Content:
    """Sniff the format from the bytes and return the normalised content."""
    if not data:
        raise UploadRejected("The file is empty.")
    if _looks_like_svg(data):
        return _read_svg(data)
    return _read_raster(data)


def read_text(text: str) -> Content:
    """Normalise a disclaimer or legal text (Unicode NFC, no surrounding whitespace)."""
    normalised = unicodedata.normalize("NFC", text).strip().replace("\r\n", "\n")
    if not normalised:
        raise UploadRejected("The text is empty.")
    if len(normalised) > settings.TEXT_MAX_CHARACTERS:
        raise UploadRejected(f"The text is longer than {settings.TEXT_MAX_CHARACTERS} characters.")
    return Content(
        data=normalised.encode("utf-8"),
        media_type="text/plain; charset=utf-8",
        extension="txt",
        metadata={
            "format": "TEXT",
            "characters": len(normalised),
            "words": len(normalised.split()),
        },
    )


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return (
        head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg"))
        and b"<svg" in data[:65536].lower()
    )


def _measure_svg(data: bytes) -> None:
    """Refuse an SVG nested deeper or with more elements than the limits, before svg-hush
    (whose output is indented: its size grows with the depth times the elements)."""
    parser = ElementTree.XMLPullParser(events=("start", "end"))  # noqa: S314 - no DTD (checked)
    depth = deepest = elements = 0
    try:
        parser.feed(data)
        parser.close()
        for event, *_element in parser.read_events():
            if event == "start":
                depth, elements = depth + 1, elements + 1
                deepest = max(deepest, depth)
            else:
                depth -= 1
    except ElementTree.ParseError as error:
        raise UploadRejected("The SVG is not well-formed XML.") from error
    if deepest > settings.SVG_MAX_DEPTH:
        raise UploadRejected(
            f"The SVG nests {deepest} levels deep; at most {settings.SVG_MAX_DEPTH} are accepted."
        )
    if elements > settings.SVG_MAX_ELEMENTS:
        raise UploadRejected(
            f"The SVG has {elements:,} elements; at most {settings.SVG_MAX_ELEMENTS:,} are "
            "accepted."
        )


INDENT = re.compile(rb"\n[ \t]+")


def _read_svg(data: bytes) -> Content:
    found = [reason for pattern, reason in SVG_HAZARDS if pattern.search(data)]
    if found:
        raise UploadRejected(f"The SVG contains {', '.join(found)}; remove it and upload again.")
    _measure_svg(data)
    try:
        cleaned = INDENT.sub(b"\n", filter_svg(data, {}))  # svg-hush indents; stored without
        root = ElementTree.fromstring(cleaned)  # noqa: S314 - svg-hush output has no DTD
    except Exception as error:  # svg-hush raises plain exceptions for broken XML
        raise UploadRejected("The SVG is not well-formed XML.") from error
    if len(cleaned) > 2 * len(data) + 4096:  # what is stored stays near what was sent
        raise UploadRejected("The SVG would grow too much when cleaned; simplify it.")
    if not root.tag.endswith("svg"):
        raise UploadRejected("The file is XML but not an SVG image.", status=415)
    metadata = {
        "format": "SVG",
        "width": _svg_length(root.get("width")),
        "height": _svg_length(root.get("height")),
        "view_box": root.get("viewBox", ""),
    }
    width, height = _svg_length(root.get("width")), _svg_length(root.get("height"))
    sides = [width or 0.0, height or 0.0, *_view_box_sides(root.get("viewBox", ""))]
    if max(sides) > settings.UPLOAD_MAX_SIDE:
        raise UploadRejected(f"The SVG is larger than {settings.UPLOAD_MAX_SIDE} px on a side.")
    return Content(data=cleaned, media_type=SVG_MEDIA_TYPE, extension="svg", metadata=metadata)


def _view_box_sides(view_box: str) -> list[float]:
    numbers = re.findall(r"-?[0-9.]+", view_box)
    return [abs(float(n)) for n in numbers[2:4]] if len(numbers) == 4 else []


def _svg_length(value: str | None) -> float | None:
    match = re.match(r"^\s*([0-9.]+)\s*(px)?\s*$", value or "")
    return float(match.group(1)) if match else None


def _open(data: bytes) -> Image.Image:
    """Open a raster image, turning Pillow's bomb warning into a refusal."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=list(RASTER_FORMATS))
        except UnidentifiedImageError:
            raise UploadRejected(
                f"This is not a {ACCEPTED} image.", status=415, code="unsupported_type"
            ) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None


def _too_many_pixels() -> UploadRejected:
    limit = settings.UPLOAD_MAX_PIXELS
    return UploadRejected(f"The image has more than {limit / 1e6:.0f} million pixels.")


def _check_dimensions(image: Image.Image) -> None:
    width, height = image.size
    if width < 1 or height < 1 or max(width, height) > settings.UPLOAD_MAX_SIDE:
        raise UploadRejected(
            f"The image is {width}×{height} pixels; each side must be between 1 and "
            f"{settings.UPLOAD_MAX_SIDE}."
        )
    if width * height > settings.UPLOAD_MAX_PIXELS:
        raise _too_many_pixels()
    if getattr(image, "n_frames", 1) > 1:
        raise UploadRejected("Animated or multi-page images are not accepted; upload one frame.")


def _decode(data: bytes) -> Image.Image:
    """Decode every pixel; a truncated or corrupt file fails here."""
    _check_dimensions(_open(data))
    try:
        checked = _open(data)
        checked.verify()  # chunk checksums, where the format has them
        image = _open(data)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except UploadRejected:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombWarning) as error:
        raise UploadRejected(
            "The image is truncated or corrupt and cannot be decoded in full."
        ) from error
    return image


MARKUP = re.compile(rb"<\s*(script|html|body|iframe|\?php|svg)\b", re.I)


def _refuse_polyglot(data: bytes, image_format: str) -> None:
    """Refuse files that are also something else: markup inside, or data past the image's end."""
    if MARKUP.search(data):
        raise UploadRejected("The file hides markup (HTML or script) inside the image.")
    if image_format == "PNG":
        end = data.rfind(b"IEND") + 8  # chunk type plus its CRC
        trailing = len(data) > end
    elif image_format == "JPEG":
        trailing = not data.rstrip(b"\x00").endswith(b"\xff\xd9")
    elif image_format == "WEBP":
        declared = int.from_bytes(data[4:8], "little") + 8
        trailing = len(data) > declared + (declared % 2)
    else:
        trailing = False
    if trailing:
        raise UploadRejected("The file carries extra data after the end of the image.")


def _read_raster(data: bytes) -> Content:
    image = _decode(data)
    _refuse_polyglot(data, image.format or "")
    image_format = image.format or ""
    media_type, extension = RASTER_FORMATS[image_format]
    icc_profile = image.info.get("icc_profile")
    dpi = image.info.get("dpi")
    transparency = image.info.get("transparency")
    upright = ImageOps.exif_transpose(image)
    upright.info = {} if transparency is None else {"transparency": transparency}
    encoded = _encode(upright, image_format, icc_profile, dpi)
    metadata = {
        "format": image_format,
        "width": upright.width,
        "height": upright.height,
        "dpi": [round(float(value), 2) for value in dpi] if dpi else None,
        "mode": upright.mode,
        "icc_profile": bool(icc_profile),
    }
    return Content(data=encoded, media_type=media_type, extension=extension, metadata=metadata)


def _encode(image: Image.Image, image_format: str, icc_profile: Any, dpi: Any) -> bytes:
    options: dict[str, Any] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if dpi:
        options["dpi"] = dpi
    if image_format == "JPEG":
        options.update(quality=95, subsampling=0)
    elif image_format == "TIFF":
        options.update(compression="tiff_lzw")
    elif image_format == "WEBP":
        options.update(lossless=True, exact=True)
    output = io.BytesIO()
    image.save(output, image_format, **options)
    return output.getvalue()
