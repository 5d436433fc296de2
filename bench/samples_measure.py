"""One phase of the samples benchmark, in its own process so its peak memory is its own.

    python -m bench.samples_measure make|pikepdf|govern|ocr FILE PAGES

`make` writes a PDF of PAGES pages with four distinct images each; `pikepdf` decodes every image
with pikepdf's own extraction (the baseline); `govern` reads it as a sample is read, page by page,
text and images, OCR off; `ocr` reads the first pages with OCR on. Prints one JSON line.
"""

import io
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

# isort: off
import bench.django_setup  # noqa: F401  (before anything that needs settings)

# isort: on
import pikepdf
from django.conf import settings
from fpdf import FPDF
from PIL import Image, ImageDraw

from assets.produced.reading import read_pdf

IMAGES_PER_PAGE = 4
OCR_PAGES = 5


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _picture(n: int) -> bytes:
    picture = Image.new("RGB", (400, 200), (n * 7 % 256, n * 13 % 256, n * 29 % 256))
    ImageDraw.Draw(picture).text((20, 80), f"Image {n}: terms apply", fill="white")
    output = io.BytesIO()
    picture.save(output, "JPEG" if n % 2 else "PNG", quality=85)
    return output.getvalue()


def make(path: Path, pages: int) -> dict[str, Any]:
    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    for page in range(pages):
        pdf.add_page()
        for slot in range(IMAGES_PER_PAGE):
            n = page * IMAGES_PER_PAGE + slot
            pdf.image(
                io.BytesIO(_picture(n)), x=10 + 95 * (slot % 2), y=10 + 60 * (slot // 2), w=90
            )
        pdf.set_xy(10, 150)
        pdf.multi_cell(180, 5, f"Page {page + 1}. Interest rates may change. Terms apply.")
    path.write_bytes(bytes(pdf.output()))
    return {"bytes": path.stat().st_size}


def baseline(path: Path, pages: int) -> dict[str, Any]:
    started, images = time.monotonic(), 0
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for _name, raw in page.images.items():
                pikepdf.PdfImage(raw).as_pil_image().load()  # type: ignore[arg-type]
                images += 1
    return {"seconds": time.monotonic() - started, "images": images, "peak_mb": peak_mb()}


def govern(path: Path, pages: int) -> dict[str, Any]:
    settings.SAMPLE_OCR = False
    started, images, read = time.monotonic(), 0, 0
    for page in read_pdf(path.read_bytes()):
        images += len(page.images)
        read += 1
    return {
        "seconds": time.monotonic() - started,
        "images": images,
        "pages": read,
        "peak_mb": peak_mb(),
    }


def ocr(path: Path, pages: int) -> dict[str, Any]:
    settings.SAMPLE_OCR = True
    started, read = time.monotonic(), 0
    for _page in read_pdf(path.read_bytes()):
        read += 1
        if read == OCR_PAGES:
            break
    return {"seconds": time.monotonic() - started, "pages": read, "peak_mb": peak_mb()}


PHASES = {"make": make, "pikepdf": baseline, "govern": govern, "ocr": ocr}

if __name__ == "__main__":
    phase, file, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(PHASES[phase](file, count)))
