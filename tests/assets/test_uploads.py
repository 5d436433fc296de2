"""Uploads are sniffed, fully decoded, normalised, and refused with a reason when hostile."""

import io
from collections.abc import Callable
from functools import partial
from typing import Any

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
    "PNG with ZIP appended": (images.png_with_zip_appended, 400, "extra data after the end"),
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


def nested(depth: int) -> bytes:
    return images.svg("<g>" * depth + '<rect width="1" height="1"/>' + "</g>" * depth)


def test_deep_or_crowded_svgs_are_refused_before_they_are_cleaned(settings: Any) -> None:
    with pytest.raises(UploadRejected, match=r"nests 200\d\d levels deep; at most 64"):
        inspect_bytes(nested(20_000))
    assert inspect_bytes(nested(60)).media_type == "image/svg+xml"
    settings.SVG_MAX_ELEMENTS = 100
    crowded = images.svg('<rect width="1" height="1"/>' * 150)
    with pytest.raises(UploadRejected, match=r"has 15\d elements; at most 100"):
        inspect_bytes(crowded)


def test_a_cleaned_svg_is_stored_without_indentation_and_stays_near_its_size() -> None:
    sent = nested(60)
    stored = inspect_bytes(sent).data
    assert b"\n  " not in stored, "svg-hush's indentation is not stored"
    assert len(stored) <= 2 * len(sent) + 4096


def test_css_references_inside_the_document_stay_allowed() -> None:
    gradient = images.svg(
        '<defs><linearGradient id="g"/></defs><rect width="5" height="5" fill="url(#g)"/>'
        "<style>rect { stroke: url( '#g') }</style>"
    )
    assert b"url(#g)" in inspect_bytes(gradient).data


def test_texts_are_normalised_and_empty_ones_refused() -> None:
    content = read_text("  Cafe\u0301 rates apply.\r\n")
    assert content.data == "Café rates apply.".encode()
    assert content.metadata["words"] == 3
    with pytest.raises(UploadRejected, match="empty"):
        read_text(" \n ")
