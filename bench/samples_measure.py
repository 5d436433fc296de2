"""One phase of the samples benchmark, in its own process so its peak memory is its own.

    python -m bench.samples_measure make|pikepdf|govern|ocr|match|scan FILE PAGES

`make` writes a PDF of PAGES pages with four distinct images each; `pikepdf` decodes every image
with pikepdf's own extraction (the baseline); `govern` reads it as a sample is read, page by page,
text and images, OCR off; `ocr` reads the first pages with OCR on; `match` identifies every image
of the first pages against an index of KNOWN renditions' perceptual hashes (as a sample's images
are matched) and `scan` against the same renditions one by one, the naive way. Prints one JSON line.
"""

import io
import json
import random
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

from assets.produced.matching import (
    COLOUR_LIMIT,
    DIFFERENCE_LIMIT,
    DISTANCE_LIMIT,
    Known,
    PerceptualIndex,
    colour,
    difference,
    distance,
    fingerprint,
    identify,
)
from assets.produced.reading import FoundImage, read_pdf

IMAGES_PER_PAGE = 4
OCR_PAGES = 5
MATCH_PAGES = 50  # 200 images
KNOWN = 20_000  # renditions and versions a large unit holds


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


def _known(found: list[FoundImage]) -> tuple[list[Known], dict[str, Image.Image]]:
    """KNOWN renditions: the found images' own pictures (so each has its match) and random
    fingerprints standing for the rest of a large unit's library."""
    rng = random.Random(7)  # noqa: S311 - a benchmark's fixed library
    pictures: dict[str, Image.Image] = {}
    known = []
    for n, image in enumerate(found):
        if image.pixels is not None:
            key = f"rendition:{n}"
            pictures[key] = image.pixels
            known.append(Known(key, f"not-the-stream-{n}", fingerprint(image.pixels)))
    while len(known) < KNOWN:
        bits = f"{rng.getrandbits(256):064x}"
        known.append(Known(f"rendition:r{len(known)}", f"r{len(known)}", bits))
    return known, pictures


def _found(path: Path) -> list[FoundImage]:
    settings.SAMPLE_OCR = False
    images: list[FoundImage] = []
    for page in read_pdf(path.read_bytes()):
        images += page.images
        if page.number == MATCH_PAGES:
            break
    return images


def match(path: Path, pages: int) -> dict[str, Any]:
    found = _found(path)
    known, pictures = _known(found)
    started = time.monotonic()
    index = PerceptualIndex(known)
    built = time.monotonic() - started
    started = time.monotonic()
    matched = 0
    for image in found:
        verdict = identify(
            index,
            stream_sha256=image.stream_sha256,
            pixels=image.pixels,
            load=lambda item: pictures[item.key],
        )
        matched += verdict.match is not None
    seconds = time.monotonic() - started
    return {"seconds": seconds, "build_seconds": built, "images": len(found), "matched": matched}


def scan(path: Path, pages: int) -> dict[str, Any]:
    found = _found(path)
    known, pictures = _known(found)
    started, matched = time.monotonic(), 0
    for image in found:
        if image.pixels is None:
            continue
        print_ = fingerprint(image.pixels)
        nearest = min(known, key=lambda item: distance(print_, item.fingerprint))
        if distance(print_, nearest.fingerprint) <= DISTANCE_LIMIT:
            approved = pictures[nearest.key]
            same = difference(image.pixels, approved) <= DIFFERENCE_LIMIT
            matched += same and colour(image.pixels, approved) <= COLOUR_LIMIT
    return {"seconds": time.monotonic() - started, "images": len(found), "matched": matched}


PHASES = {
    "make": make,
    "pikepdf": baseline,
    "govern": govern,
    "ocr": ocr,
    "match": match,
    "scan": scan,
}

if __name__ == "__main__":
    phase, file, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(PHASES[phase](file, count)))
