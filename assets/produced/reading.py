"""Read a document Exstream produced: every page's text in reading order and every embedded
image, with where it sits, bounded, never executing anything the document carries.

A PDF is first looked over with pikepdf (qpdf): encryption, active content (JavaScript, launch
actions, embedded files, XFA forms), a broken cross-reference table or absurd numbers of objects
refuse it whole. PDFium (pypdfium2, Chrome's PDF engine) then reads it page by page, so memory
stays bounded by one page: text through its text page, images through their streams. An image
is measured before it is decoded; one with more pixels than uploads may have is listed as
unreadable, never decoded.
"""

import hashlib
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytesseract
from django.conf import settings
from PIL import Image

# A document's pages, objects and images at most; beyond them it is refused as absurd.
MAX_PAGES = 2_000
MAX_OBJECTS = 500_000
MAX_IMAGES_PER_PAGE = 200
MAX_NESTING = 64
# Images smaller than this on either side hold no words worth reading; OCR reads at most this.
OCR_MIN_SIDE = 24
OCR_SIDE = 2400
# The side of the image kept for matching: enough to see a changed word in a logo.
KEPT_SIDE = 512
# Names whose presence means active content: run, launched or carried inside the document.
ACTIVE = {
    "/JavaScript": "JavaScript",
    "/JS": "JavaScript",
    "/Launch": "a launch action",
    "/EmbeddedFile": "an embedded file",
    "/EmbeddedFiles": "embedded files",
    "/XFA": "an XFA form",
}


class OcrUnavailable(Exception):
    """Tesseract is not installed: the document can be read once the machine is set up."""


class Unreadable(Exception):
    """The document is refused whole; `reason` says why in words a person can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FoundImage:
    """One image placed on a page."""

    page: int  # from 1
    # Where it sits, in PDF points from the page's lower left corner: left, bottom, right, top.
    box: tuple[float, float, float, float]
    width: int
    height: int
    # sha256 of the image's stored stream: a JPEG embedded as is keeps its file's bytes.
    stream_sha256: str
    # The pixels in RGB, at most KEPT_SIDE on the long side; None when it cannot be decoded.
    pixels: Image.Image | None
    problem: str = ""
    text: str = ""  # the words in it, by OCR


@dataclass
class FoundPage:
    number: int
    text: str
    images: list[FoundImage] = field(default_factory=list)


def look_over(data: bytes) -> int:
    """Refuse a PDF that is encrypted, broken, absurdly large or carries active content;
    return its page count."""
    try:
        with pikepdf.open(io.BytesIO(data), attempt_recovery=False) as pdf:
            return _judged(pdf)
    except pikepdf.PasswordError:
        raise Unreadable("The PDF is encrypted: Govern reads only documents it can open.") from None
    except (pikepdf.PdfError, TypeError, ValueError, RecursionError) as error:  # parsed lazily
        raise Unreadable(f"The PDF is damaged and cannot be read as it is: {error}.") from None


def _judged(pdf: pikepdf.Pdf) -> int:
    if pdf.is_encrypted:
        raise Unreadable("The PDF is encrypted: Govern reads only documents it can open.")
    if len(pdf.objects) > MAX_OBJECTS:
        raise Unreadable(f"The PDF has more than {MAX_OBJECTS:,} objects.")
    if len(pdf.pages) > MAX_PAGES:
        raise Unreadable(f"The PDF has more than {MAX_PAGES:,} pages.")
    found = _active_content(pdf)
    if found:
        raise Unreadable(f"The PDF carries {found}; Govern does not read active documents.")
    return len(pdf.pages)


def _active_content(pdf: pikepdf.Pdf) -> str:
    """Name the first active content in any dictionary of the document, or return ''."""
    for item in pdf.objects:
        for dictionary in _dictionaries(item):
            found = _active_in(dictionary)
            if found:
                return found
    return ""


def _dictionaries(item: object) -> Iterator[pikepdf.Dictionary]:
    """The dictionaries in an object and nested directly in it (an indirect one is an object
    of its own, looked at in its turn), at most MAX_NESTING deep."""
    waiting = [(item, 0)]
    while waiting:
        current, depth = waiting.pop()
        if isinstance(current, pikepdf.Stream):
            current = current.stream_dict
        if depth > MAX_NESTING:
            raise Unreadable(f"The PDF nests objects more than {MAX_NESTING} deep.")
        if isinstance(current, pikepdf.Dictionary):
            yield current
            children = [value for _key, value in current.items()]
        elif isinstance(current, pikepdf.Array):
            children = list(current)
        else:
            continue
        nested = (c for c in children if isinstance(c, pikepdf.Dictionary | pikepdf.Array))
        waiting.extend((child, depth + 1) for child in nested if not child.is_indirect)


def _active_in(dictionary: pikepdf.Dictionary) -> str:
    for key in dictionary.keys():  # noqa: SIM118 - pikepdf's keys are its names
        if key in ACTIVE:
            return ACTIVE[key]
    kind = dictionary.get("/S")
    if isinstance(kind, pikepdf.Name) and str(kind) in ACTIVE:
        return ACTIVE[str(kind)]
    if dictionary.get("/Type") == pikepdf.Name.EmbeddedFile:
        return ACTIVE["/EmbeddedFile"]
    return ""


def read_pdf(data: bytes, first_page: int = 1) -> Iterator[FoundPage]:
    """Yield each page's text and images from `first_page` on, one page at a time. Raise
    Unreadable first."""
    look_over(data)
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise Unreadable(f"PDFium cannot open the PDF: {error}.") from None
    try:
        for index in range(max(0, first_page - 1), len(document)):
            yield _page(document, index)
    finally:
        document.close()


def _page(document: pdfium.PdfDocument, index: int) -> FoundPage:
    try:
        page = document[index]
        try:
            return _read_page(page, index + 1)
        finally:
            page.close()
    except pdfium.PdfiumError as error:
        raise Unreadable(f"Page {index + 1} cannot be read: {error}.") from None


def _read_page(page: pdfium.PdfPage, number: int) -> FoundPage:
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_bounded()
    finally:
        textpage.close()
    found = FoundPage(number=number, text=text)
    deadline = ocr_deadline()
    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        if len(found.images) >= MAX_IMAGES_PER_PAGE:
            raise Unreadable(f"Page {number} has more than {MAX_IMAGES_PER_PAGE} images.")
        found.images.append(_read_image(image, number, deadline))
    return found


def ocr_deadline() -> float:
    """When a page's OCR must end: its images share SAMPLE_OCR_PAGE_SECONDS."""
    return time.monotonic() + settings.SAMPLE_OCR_PAGE_SECONDS


def _read_image(image: pdfium.PdfImage, page: int, deadline: float) -> FoundImage:
    left, bottom, right, top = image.get_bounds()
    width, height = image.get_px_size()
    stream = bytes(image.get_data(decode_simple=False))
    found = FoundImage(
        page=page,
        box=(round(left, 2), round(bottom, 2), round(right, 2), round(top, 2)),
        width=width,
        height=height,
        stream_sha256=hashlib.sha256(stream).hexdigest(),
        pixels=None,
    )
    if width < 1 or height < 1 or width * height > settings.UPLOAD_MAX_PIXELS:
        limit = settings.UPLOAD_MAX_PIXELS / 1e6
        problem = f"{width}×{height} pixels: not decoded (at most {limit:.0f} million)."
        return replace(found, problem=problem)
    try:
        decoded = image.get_bitmap(render=False).to_pil()
        pixels = on_white(decoded, KEPT_SIDE)
    except (pdfium.PdfiumError, OSError, ValueError) as error:
        return replace(found, problem=f"cannot be decoded: {error}")
    text, problem = words_in(decoded, deadline)
    return replace(found, pixels=pixels, text=text, problem=problem)


def words_in(picture: Image.Image, deadline: float) -> tuple[str, str]:
    """The words Tesseract reads in a picture large enough to hold any, before the page's
    `deadline`, and a problem if it could not; raise OcrUnavailable when Tesseract is not
    installed."""
    if not settings.SAMPLE_OCR or min(picture.size) < OCR_MIN_SIDE:
        return "", ""
    left = deadline - time.monotonic()
    if left < 1:
        spent = settings.SAMPLE_OCR_PAGE_SECONDS
        return "", f"OCR not run: the page's {spent} s of OCR went to its other images"
    try:
        text = pytesseract.image_to_string(
            on_white(picture, OCR_SIDE),
            lang=settings.SAMPLE_OCR_LANGUAGES,
            timeout=min(settings.SAMPLE_OCR_SECONDS, left),
        )
    except pytesseract.TesseractNotFoundError:
        raise OcrUnavailable(
            "Tesseract is not installed: install Debian's tesseract-ocr and tesseract-ocr-deu "
            "(make does it as root)."
        ) from None
    except (RuntimeError, pytesseract.TesseractError) as error:  # a timeout is a RuntimeError
        return "", f"OCR failed: {error}"
    return text.strip(), ""


def on_white(picture: Image.Image, side: int) -> Image.Image:
    """The picture in RGB on white, at most `side` on its long side."""
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        picture = flat
    picture = picture.convert("RGB")
    picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    return picture


def page_sizes(data: bytes, numbers: list[int]) -> dict[int, tuple[float, float]]:
    """The width and height in PDF points of the pages named (from 1) that exist."""
    document = pdfium.PdfDocument(data)
    try:
        return {
            number: tuple(document.get_page_size(number - 1))  # type: ignore[misc]
            for number in numbers
            if 1 <= number <= len(document)
        }
    finally:
        document.close()


def page_png(data: bytes, number: int, width: int) -> bytes:
    """Page `number` drawn `width` pixels wide, as PNG bytes."""
    output = io.BytesIO()
    page_picture(data, number, width).save(output, "PNG")
    return output.getvalue()


def page_picture(data: bytes, number: int, width: int) -> Image.Image:
    """Page `number` (from 1) drawn `width` pixels wide, in RGB; Unreadable when it cannot be."""
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise Unreadable(f"PDFium cannot open the PDF: {error}.") from None
    try:
        if not 1 <= number <= len(document):
            raise Unreadable(f"There is no page {number}.")
        page = document[number - 1]
        try:
            scale = width / max(page.get_width(), 1)
            return page.render(scale=scale, may_draw_forms=False).to_pil().convert("RGB")
        finally:
            page.close()
    except pdfium.PdfiumError as error:
        raise Unreadable(f"Page {number} cannot be drawn: {error}.") from None
    finally:
        document.close()
