"""A produced PDF is read page by page, text and images with where they sit; a hostile one is
refused whole, naming why, and an image too large to decode is listed, never decoded."""

import hashlib
import io
import zlib
from typing import Any

import pikepdf
import pytest
from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from assets.produced import reading
from assets.produced.reading import Unreadable, look_over, read_pdf

DISCLAIMER = "Interest rates may change. Terms and conditions apply."


def picture(colour: str = "#0b3d91", size: tuple[int, int] = (600, 300)) -> Image.Image:
    return Image.new("RGB", size, colour)


def encoded(image: Image.Image, kind: str) -> bytes:
    output = io.BytesIO()
    image.save(output, kind)
    return output.getvalue()


def letter(*images: bytes, text: str = DISCLAIMER, pages: int = 1) -> bytes:
    document = FPDF()
    document.set_font("helvetica", size=11)
    for _ in range(pages):
        document.add_page()
        for n, data in enumerate(images):
            document.image(io.BytesIO(data), x=10, y=10 + 50 * n, w=60)
        document.set_xy(10, 200)
        document.multi_cell(180, 6, text)
    return bytes(document.output())


def test_text_and_images_are_read_with_where_they_sit() -> None:
    logo = encoded(picture(), "JPEG")
    card = encoded(picture("#c9a227", (400, 250)), "PNG")
    [page] = list(read_pdf(letter(logo, card)))
    assert page.number == 1
    assert page.text.strip() == DISCLAIMER
    first, second = page.images
    assert first.stream_sha256 == hashlib.sha256(logo).hexdigest(), "a JPEG is embedded as is"
    assert (first.width, first.height, second.width, second.height) == (600, 300, 400, 250)
    left, bottom, right, top = first.box
    assert right - left == pytest.approx(60 * 72 / 25.4, abs=0.1), "60 mm wide, in points"
    assert top > bottom
    assert first.pixels is not None and first.pixels.mode == "RGB"
    assert first.pixels.getpixel((5, 5)) == pytest.approx((11, 61, 145), abs=3)
    assert second.pixels is not None and second.pixels.size == (400, 250)


def test_pages_come_one_at_a_time() -> None:
    pages = read_pdf(letter(encoded(picture(), "PNG"), pages=3))
    assert next(pages).number == 1
    assert [page.number for page in pages] == [2, 3]


def with_pikepdf(change: Any) -> bytes:
    pdf = pikepdf.open(io.BytesIO(letter(encoded(picture(), "PNG"))))
    change(pdf)
    output = io.BytesIO()
    pdf.save(output)
    return output.getvalue()


def javascript(pdf: pikepdf.Pdf) -> None:
    action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    pdf.Root.OpenAction = pdf.make_indirect(action)


def launch(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc"))


def attachment(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["terms.txt"] = pikepdf.AttachedFileSpec(pdf, b"hidden")


def xfa(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pikepdf.String("<xdp/>"))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (javascript, "carries JavaScript"),
        (launch, "carries a launch action"),
        (attachment, "carries (an )?embedded file"),
        (xfa, "carries an XFA form"),
    ],
)
def test_active_content_refuses_the_document(change: Any, named: str) -> None:
    with pytest.raises(Unreadable, match=named):
        list(read_pdf(with_pikepdf(change)))


def test_an_encrypted_pdf_is_refused_even_without_a_password() -> None:
    pdf = pikepdf.open(io.BytesIO(letter(encoded(picture(), "PNG"))))
    output = io.BytesIO()
    pdf.save(output, encryption=pikepdf.Encryption(owner="owner", user=""))
    with pytest.raises(Unreadable, match="encrypted"):
        look_over(output.getvalue())


def test_a_broken_cross_reference_table_is_refused() -> None:
    data = letter(encoded(picture(), "PNG"))
    start = data.rindex(b"startxref")
    broken = data[: start + 10] + b"999999\n%%EOF\n"
    with pytest.raises(Unreadable, match="damaged"):
        look_over(broken)
    with pytest.raises(Unreadable, match="damaged"):
        look_over(b"%PDF-1.7\nnot a document")


def test_absurd_numbers_of_objects_or_pages_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = letter(encoded(picture(), "PNG"), pages=3)
    monkeypatch.setattr(reading, "MAX_PAGES", 2)
    with pytest.raises(Unreadable, match="more than 2 pages"):
        look_over(data)
    monkeypatch.setattr(reading, "MAX_OBJECTS", 5)
    with pytest.raises(Unreadable, match="more than 5 objects"):
        look_over(data)


def test_an_image_declaring_too_many_pixels_is_listed_never_decoded() -> None:
    pdf = pikepdf.new()
    side = 100_000  # ten billion pixels declared; the stream holds a few bytes
    bomb = pikepdf.Stream(pdf, zlib.compress(b"\0" * 1024))
    bomb.stream_dict = pikepdf.Dictionary(
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=side,
        Height=side,
        ColorSpace=pikepdf.Name.DeviceGray,
        BitsPerComponent=8,
        Filter=pikepdf.Name.FlateDecode,
    )
    page = pdf.add_blank_page(page_size=(595, 842))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=bomb))
    page.Contents = pdf.make_stream(b"q 100 0 0 100 50 50 cm /Im0 Do Q")
    output = io.BytesIO()
    pdf.save(output)
    [found] = list(read_pdf(output.getvalue()))
    [image] = found.images
    assert image.pixels is None
    assert image.problem.startswith(f"{side}×{side} pixels: not decoded")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.integers(min_value=0, max_value=4000))
def test_any_damage_to_a_pdf_is_refused_with_a_reason_never_a_crash(junk: bytes, at: int) -> None:
    """Bytes spliced into a real document, or a document cut short."""
    data = letter(encoded(picture(size=(40, 20)), "PNG"))
    damaged = data[:at] + junk + data[at + len(junk) :]
    try:
        pages = list(read_pdf(damaged))
    except Unreadable as refused:
        assert refused.reason
    else:
        assert all(page.number >= 1 for page in pages)


def test_the_words_in_an_image_are_read_by_ocr() -> None:
    from PIL import ImageDraw, ImageFont

    artwork = Image.new("RGB", (900, 120), "white")
    ImageDraw.Draw(artwork).text(
        (20, 40), "Capital at risk.", font=ImageFont.load_default(size=36), fill="black"
    )
    [page] = list(read_pdf(letter(encoded(artwork, "PNG"), text="")))
    [image] = page.images
    assert image.text == "Capital at risk."
    assert page.text.strip() == "", "the words are the image's, not the page's"


def test_ocr_is_skipped_for_tiny_images_and_when_switched_off(settings: Any) -> None:
    from assets.produced.reading import ocr_deadline, words_in

    assert words_in(Image.new("RGB", (400, 10), "white"), ocr_deadline()) == ("", "")
    settings.SAMPLE_OCR = False
    assert words_in(Image.new("RGB", (400, 400), "white"), ocr_deadline()) == ("", "")


def test_a_pages_images_share_its_ocr_time_and_those_past_it_say_so(settings: Any) -> None:
    from PIL import ImageDraw, ImageFont

    artwork = Image.new("RGB", (900, 120), "white")
    ImageDraw.Draw(artwork).text(
        (20, 40), "Capital at risk.", font=ImageFont.load_default(size=36), fill="black"
    )
    settings.SAMPLE_OCR_PAGE_SECONDS = 0  # spent before the first image
    [page] = list(read_pdf(letter(encoded(artwork, "PNG"), text="")))
    [image] = page.images
    assert (image.text, image.problem) == (
        "",
        "OCR not run: the page's 0 s of OCR went to its other images",
    )
