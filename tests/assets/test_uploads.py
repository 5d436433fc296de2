"""Uploads are sniffed, fully decoded, normalised, and refused with a reason when hostile."""

import io
from collections.abc import Callable
from functools import partial

import pytest
from PIL import Image

from assets.uploads import UploadRejected, inspect_bytes, read_text
from tests import images


def reopen(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(
    ("make", "media_type", "image_format"),
    [
        (images.png, "image/png", "PNG"),
        (images.jpeg, "image/jpeg", "JPEG"),
        (images.webp, "image/webp", "WEBP"),
        (images.tiff, "image/tiff", "TIFF"),
    ],
)
def test_rasters_are_recognised_from_their_bytes(make, media_type: str, image_format: str) -> None:
    content = inspect_bytes(make())
    assert content.media_type == media_type
    assert content.metadata["format"] == image_format
    assert reopen(content.data).format == image_format


def test_metadata_records_size_dpi_mode_and_icc() -> None:
    content = inspect_bytes(images.png(64, 48))
    assert content.metadata == {
        "format": "PNG",
        "width": 64,
        "height": 48,
        "dpi": [300.0, 300.0],
        "mode": "RGB",
        "icc_profile": False,
    }
    assert inspect_bytes(images.tiff()).metadata["mode"] == "CMYK"


def test_exif_orientation_is_applied_other_exif_dropped_icc_kept() -> None:
    content = inspect_bytes(images.jpeg(64, 48, orientation=6, icc=True))
    image = reopen(content.data)
    assert image.size == (48, 64), "rotated upright"
    assert not image.getexif(), "no EXIF (camera, GPS) left"
    assert image.info.get("icc_profile"), "ICC profile kept"
    assert content.metadata["icc_profile"] is True


def test_same_upload_normalises_to_the_same_bytes() -> None:
    assert inspect_bytes(images.jpeg()).sha256 == inspect_bytes(images.jpeg()).sha256


def test_svg_is_kept_clean_with_its_size() -> None:
    content = inspect_bytes(images.svg())
    assert content.media_type == "image/svg+xml"
    assert content.metadata["width"] == 120 and content.metadata["height"] == 40
    assert b"<rect" in content.data


HOSTILE: dict[str, tuple[Callable[[], bytes], int, str]] = {
    "decompression bomb": (images.bomb, 400, "million pixels"),
    "truncated PNG": (images.truncated_png, 400, "truncated or corrupt"),
    "truncated JPEG": (images.truncated_jpeg, 400, "truncated or corrupt"),
    "corrupt PNG checksum": (images.corrupt_png_checksum, 400, "truncated or corrupt"),
    "PNG with HTML appended": (images.png_with_html_appended, 400, "markup"),
    "JPEG with ZIP appended": (images.jpeg_with_zip_appended, 400, "extra data after the end"),
    "HTML named like an image": (images.html_named_like_an_image, 415, "not a PNG, JPEG"),
    "zero bytes": (lambda: b"", 400, "empty"),
    "absurd dimensions": (images.absurd_dimensions, 400, "each side must be between"),
    "PDF": (lambda: b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF", 415, "not a PNG, JPEG"),
    "GIF": (lambda: b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", 415, "not a PNG, JPEG"),
}
for name, document in images.HOSTILE_SVGS.items():
    HOSTILE[f"SVG with {name}"] = (partial(bytes, document), 400, "The SVG contains")


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_content_is_refused_with_a_reason(name: str) -> None:
    make, status, reason = HOSTILE[name]
    with pytest.raises(UploadRejected) as refused:
        inspect_bytes(make())
    assert refused.value.status == status
    assert reason in refused.value.detail


def test_internal_references_stay_allowed_and_huge_svgs_are_refused() -> None:
    inner = images.svg('<defs><rect id="r" width="3" height="3"/></defs><use href="#r"/>')
    assert b'href="#r"' in inspect_bytes(inner).data
    huge = b'<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="10"></svg>'
    with pytest.raises(UploadRejected, match="larger than 30000 px on a side"):
        inspect_bytes(huge)


def test_texts_are_normalised_and_empty_ones_refused() -> None:
    content = read_text("  Cafe\u0301 rates apply.\r\n")
    assert content.data == "Café rates apply.".encode()
    assert content.metadata["words"] == 3
    with pytest.raises(UploadRejected, match="empty"):
        read_text(" \n ")
