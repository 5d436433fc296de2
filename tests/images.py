"""Images made by the tests: ordinary ones, and a corpus of hostile files."""

import io
import os
import struct
import zlib

from PIL import Image, ImageCms


def png(width: int = 64, height: int = 48, color: tuple[int, int, int] = (30, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


def noise_png(width: int, height: int) -> bytes:
    """A PNG that does not compress: its size follows its pixel count."""
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "PNG")
    return out.getvalue()


def jpeg(
    width: int = 64, height: int = 48, orientation: int | None = None, icc: bool = False
) -> bytes:
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste((255, 255, 255), (0, 0, width // 2, height // 4))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x8825] = {2: (52.0, 31.0, 12.0)}  # GPS latitude
    if orientation:
        exif[0x0112] = orientation
    options = {"exif": exif.tobytes(), "quality": 95}
    if icc:
        options["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def webp(width: int = 32, height: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 0, 128)).save(out, "WEBP", lossless=True)
    return out.getvalue()


def tiff(width: int = 32, height: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("CMYK", (width, height), (0, 100, 200, 10)).save(out, "TIFF", dpi=(600, 600))
    return out.getvalue()


def svg(body: str = '<rect width="10" height="10" fill="#1f5fbf"/>') -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
        f"{body}</svg>"
    ).encode()


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a size and carries almost no pixel data: a decompression bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def bomb() -> bytes:
    """A compressed stream of zeros that expands to 100,000 × 100,000 pixels."""
    return png_header_only(100_000, 100_000)


def truncated_png() -> bytes:
    data = png(400, 300)
    return data[: len(data) // 2]


def truncated_jpeg() -> bytes:
    data = jpeg(400, 300)
    return data[: len(data) * 2 // 3]


def corrupt_png_checksum() -> bytes:
    data = bytearray(png(64, 64))
    inside_idat = data.index(b"IDAT") + 10
    data[inside_idat] ^= 0xFF  # the chunk's CRC no longer matches
    return bytes(data)


def png_with_html_appended() -> bytes:
    return png() + b"<html><body><script>alert(document.cookie)</script></body></html>"


def png_with_zip_appended() -> bytes:
    return png() + b"PK\x03\x04" + b"\x00" * 26 + b"payload.txt"


def jpeg_with_zip_appended() -> bytes:
    return jpeg() + b"PK\x03\x04" + b"\x00" * 26 + b"payload.txt"


def html_named_like_an_image() -> bytes:
    return b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>"


def absurd_dimensions() -> bytes:
    return png(1, 31_000)


HOSTILE_SVGS = {
    "script": svg("<script>alert(1)</script>"),
    "event handler": svg('<rect width="5" height="5" onclick="steal()"/>'),
    "external image": svg('<image href="https://tracker.example/pixel.png" width="1" height="1"/>'),
    "external use": svg(
        '<use xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="//evil.example/a.svg#x"/>'
    ),
    "javascript link": svg('<a href="javascript:alert(1)"><rect width="5" height="5"/></a>'),
    "entities": (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&lol2;</text></svg>'
    ),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>'
    ),
    "foreign object": svg("<foreignObject><div>html</div></foreignObject>"),
    "css import": svg("<style>@import url(https://evil.example/x.css);</style>"),
    "local file": svg('<image href="/srv/media/content/ab/secret.png" width="9" height="9"/>'),
    "relative file": svg('<image xlink:href="../../etc/passwd.png"/>'),
    "css local file": svg('<rect width="5" height="5" style="fill: url(/srv/media/x.png)"/>'),
    "css relative file": svg("<style>rect { fill: url('../../etc/x.png') }</style>"),
}
