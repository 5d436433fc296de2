"""Read an HTML email Exstream produced, as an `.html` file or a whole message (`.eml`): its text
and every image it shows, as one page, bounded, never fetching anything.

- Images come inline only: `data:` URIs in the markup, or `cid:` references to the message's
  own parts (by Content-ID). An image anywhere else (http, https, a relative path) is listed
  with the problem "remote image, not fetched": a mail client would fetch it from a server
  Govern cannot vouch for, so it proves nothing about what the customer saw.
- An image is measured before it is decoded; one with more pixels than uploads may have, or
  that is no image Pillow reads, is listed with its problem, never decoded.
- Text is what a reader sees: the body's text outside `script`, `style`, `head` and
  `template`, plus each image's alternate text.
- A message of more than SAMPLE_MAX_PARTS parts, or more than MAX_IMAGES images, is refused.
"""

import base64
import binascii
import email
import email.policy
import hashlib
import io
import re
from collections.abc import Iterator
from email.message import EmailMessage
from html.parser import HTMLParser

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from assets.produced.reading import (
    KEPT_SIDE,
    FoundImage,
    FoundPage,
    Unreadable,
    ocr_deadline,
    on_white,
    words_in,
)

HTML = "text/html"
MESSAGE = "message/rfc822"
MAX_IMAGES = 200
HIDDEN = {"script", "style", "head", "template", "noscript"}
DATA_URI = re.compile(r"data:(?P<type>[\w.+/-]*)(?P<params>(;[\w.+-]+=[^;,]*)*)(?P<b64>;base64)?,")


class _Markup(HTMLParser):
    """Collect the visible text and the image sources of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.images: list[tuple[str, str]] = []  # (src, alt)
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self._hidden += 1
        elif tag == "img":
            found = dict(attrs)
            self.images.append(((found.get("src") or "").strip(), found.get("alt") or ""))
            if len(self.images) > MAX_IMAGES:
                raise Unreadable(f"The email has more than {MAX_IMAGES} images.")
        elif tag in ("br", "p", "div", "tr", "li", "h1", "h2", "h3", "table"):
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def kind_of(data: bytes, file_name: str) -> str | None:
    """HTML or a message, by the file's name and first bytes; None for neither."""
    start = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if file_name.lower().endswith(".eml") or re.match(rb"(mime-version|from|received):", start):
        return MESSAGE
    if file_name.lower().endswith((".html", ".htm")) or start.startswith((b"<!doctype", b"<html")):
        return HTML
    return None


def look_over_markup(data: bytes, kind: str) -> int:
    """Refuse what cannot be read as one page; return the page count, 1."""
    _html_and_parts(data, kind)
    return 1


def read_markup(data: bytes, kind: str) -> Iterator[FoundPage]:
    """Yield the email as one page: its text, and its images with where they came from."""
    html, parts = _html_and_parts(data, kind)
    markup = _Markup()
    try:
        markup.feed(html)
        markup.close()
    except AssertionError as error:  # HTMLParser's own complaint about broken markup
        raise Unreadable(f"The HTML cannot be read: {error}.") from None
    found = FoundPage(number=1, text=" ".join("".join(markup.text).split(" ")))
    deadline = ocr_deadline()
    for source, alt in markup.images:
        found.images.append(_image(source, alt, parts, deadline))
    alts = [alt for _source, alt in markup.images if alt.strip()]
    if alts:
        found = FoundPage(number=1, text=found.text + "\n" + "\n".join(alts), images=found.images)
    yield found


def _html_and_parts(data: bytes, kind: str) -> tuple[str, dict[str, bytes]]:
    if kind == HTML:
        return data.decode("utf-8", "replace"), {}
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(message, EmailMessage):  # the default policy makes one
        raise Unreadable("The message cannot be read.")
    parts = list(message.walk())
    if len(parts) > settings.SAMPLE_MAX_PARTS:
        raise Unreadable(
            f"The message has {len(parts)} parts; at most {settings.SAMPLE_MAX_PARTS} are read."
        )
    body = message.get_body(preferencelist=("html",))
    if body is None:
        raise Unreadable("The message has no HTML part.")
    try:
        html = body.get_content()
    except (LookupError, ValueError) as error:
        raise Unreadable(f"The HTML part cannot be decoded: {error}.") from None
    by_id: dict[str, bytes] = {}
    for part in parts:
        content_id = str(part.get("Content-ID") or "").strip().strip("<>")
        payload = part.get_payload(decode=True) if not part.is_multipart() else None
        if content_id and isinstance(payload, bytes):
            by_id[content_id] = payload
    return str(html), by_id


def _image(source: str, alt: str, parts: dict[str, bytes], deadline: float) -> FoundImage:
    data, problem = _bytes_of(source, parts)
    if data is None:
        empty = hashlib.sha256(source.encode()).hexdigest()
        return FoundImage(1, (0, 0, 0, 0), 0, 0, empty, None, problem=problem, text=alt)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
            if width * height > settings.UPLOAD_MAX_PIXELS:
                limit = settings.UPLOAD_MAX_PIXELS / 1e6
                problem = f"{width}×{height} pixels: not decoded (at most {limit:.0f} million)."
                return FoundImage(1, (0, 0, width, height), width, height, sha256, None, problem)
            picture.load()
            decoded = picture.copy()
    except Image.DecompressionBombError:
        limit = settings.UPLOAD_MAX_PIXELS / 1e6
        problem = f"more pixels than uploads may have: not decoded (at most {limit:.0f} million)."
        return FoundImage(1, (0, 0, 0, 0), 0, 0, sha256, None, problem=problem, text=alt)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        problem = f"cannot be decoded: {error}"
        return FoundImage(1, (0, 0, 0, 0), 0, 0, sha256, None, problem=problem, text=alt)
    words, ocr_problem = words_in(decoded, deadline)
    return FoundImage(
        page=1,
        box=(0, 0, width, height),
        width=width,
        height=height,
        stream_sha256=sha256,
        pixels=on_white(decoded, KEPT_SIDE),
        problem=ocr_problem,
        text=words,
    )


def _bytes_of(source: str, parts: dict[str, bytes]) -> tuple[bytes | None, str]:
    """The bytes an image source names, or None with the reason."""
    if source.lower().startswith("cid:"):
        found = parts.get(source[4:].strip().strip("<>"))
        return (found, "") if found else (None, f"the part {source} is not in the message")
    if not source.lower().startswith("data:"):
        shown = source[:200] or "(no source)"
        return None, f"remote image, not fetched: {shown}"
    header = DATA_URI.match(source)
    if header is None or not header.group("b64"):
        return None, "a data URI that is not base64"
    payload = source[header.end() :]
    if len(payload) > settings.UPLOAD_MAX_BYTES * 4 // 3 + 4:
        return None, "a data URI larger than uploads may be"
    try:
        return base64.b64decode(payload, validate=True), ""
    except (binascii.Error, ValueError):
        return None, "a data URI whose base64 is broken"
