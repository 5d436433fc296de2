"""Reading produced documents at volume: a PDF of 500 pages with 2,000 images, read as a sample
is read (page by page, bounded memory), against pikepdf's own extraction of the same images in
the same run; and what OCR costs per page."""

import os
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import figure, measure

PAGES = int(os.environ.get("BENCH_SAMPLE_PAGES", "500"))


def _phase(env: dict[str, str], phase: str, path: Path) -> dict[str, Any]:
    return measure("bench.samples_measure", env, phase, str(path), str(PAGES))


def run(env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory(prefix="govern-bench-samples-") as workdir:
        path = Path(workdir) / "sample.pdf"
        made = _phase(env, "make", path)
        baseline = _phase(env, "pikepdf", path)
        read = _phase(env, "govern", path)
        ocr = _phase(env, "ocr", path)
        matched = _phase(env, "match", path)
        scanned = _phase(env, "scan", path)
    base_rate = PAGES / baseline["seconds"]
    figure("samples.pikepdf_pages_per_s", base_rate, "pages/s", base_rate)
    figure("samples.read_pages_per_s", read["pages"] / read["seconds"], "pages/s", base_rate)
    figure("samples.pikepdf_peak_memory", baseline["peak_mb"], "MB", baseline["peak_mb"])
    figure("samples.read_peak_memory", read["peak_mb"], "MB", baseline["peak_mb"])
    figure("samples.images_read", read["images"], "images", baseline["images"])
    per_page = ocr["seconds"] / ocr["pages"]
    figure("samples.ocr_seconds_per_page", per_page, "s", read["seconds"] / read["pages"])
    figure("samples.document_size", made["bytes"] / 1e6, "MB", made["bytes"] / 1e6)
    # Matching against 20,000 known renditions: the index against a scan of every one.
    scan_per_image = scanned["seconds"] / scanned["images"]
    figure("samples.scan_ms_per_image", scan_per_image * 1000, "ms", scan_per_image * 1000)
    per_image = matched["seconds"] / matched["images"]
    figure("samples.match_ms_per_image", per_image * 1000, "ms", scan_per_image * 1000)
    figure("samples.images_matched", matched["matched"], "images", matched["images"])
    figure("samples.index_build_s", matched["build_seconds"], "s", scanned["seconds"])
