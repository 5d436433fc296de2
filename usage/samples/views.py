"""A sample's page: each page of the document as a picture with every image outlined and
numbered, beside it what each image turned out to be and the approved version it matched; the
texts the sample was found to carry altered or outdated, with their word diffs."""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from assets.produced.reading import Unreadable, page_png, page_sizes
from assets.storage import read_content
from govern.access import get_scoped_or_404
from govern.pagination import page_of
from govern.roles import Capability
from usage.models import ExceptionCode, ProductionSample, SampleImage, UsageException

PAGES_SHOWN = 10  # pages of a document on one screen
PICTURE_WIDTH = 800  # pixels across a page's picture
TEXT_CODES = (ExceptionCode.AS_PRODUCED_ALTERED, ExceptionCode.AS_PRODUCED_OUTDATED)


@dataclass
class ShownPage:
    number: int
    width: float  # PDF points
    height: float
    images: list[tuple[int, SampleImage, list[float]]] = field(default_factory=list)

    @property
    def pixel_height(self) -> int:
        """The height of its picture, drawn PICTURE_WIDTH pixels wide."""
        return round(self.height * PICTURE_WIDTH / max(self.width, 1))


def _sample(request: HttpRequest, pk: int) -> ProductionSample:
    return get_scoped_or_404(
        request,
        ProductionSample.objects.select_related("run"),
        capability=Capability.READ_USAGE,
        pk=pk,
    )


@login_required
def sample_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the sample's pages with images (a PDF), or its images and text (an email)."""
    sample = _sample(request, pk)
    images = list(sample.images.select_related("version__variant__asset").order_by("page", "pk"))
    numbers = sorted({image.page for image in images})
    shown = page_of(request, numbers, PAGES_SHOWN)
    context: dict[str, Any] = {
        "sample": sample,
        "run": sample.run,
        "images": images,
        "page": shown,
        "is_pdf": sample.media_type == "application/pdf",
        "texts": UsageException.objects.filter(
            run=sample.run, code__in=TEXT_CODES, evidence__sample=sample.pk
        ).select_related("version__variant__asset"),
    }
    if context["is_pdf"] and sample.file and shown.object_list:
        context["pages"] = _pages(sample, list(shown.object_list), images)
    return render(request, "usage/sample_detail.html", context)


def _pages(
    sample: ProductionSample, numbers: list[int], images: list[SampleImage]
) -> list[ShownPage]:
    """The pages to draw, each with its images numbered and boxed in SVG's top-down points."""
    sizes = page_sizes(read_content(sample.file), numbers)
    pages = {n: ShownPage(n, *sizes[n]) for n in numbers if n in sizes}
    for label, image in enumerate(images, start=1):
        page = pages.get(image.page)
        if page is not None:
            left, bottom, right, top = image.box
            box = [left, page.height - top, right - left, top - bottom]
            page.images.append((label, image, [round(value, 2) for value in box]))
    return list(pages.values())


@login_required
def sample_page(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """One page of a PDF sample as a PNG picture."""
    sample = _sample(request, pk)
    if sample.media_type != "application/pdf" or not sample.file:
        raise Http404("This sample has no pages to draw.")
    try:
        picture = page_png(read_content(sample.file), number, PICTURE_WIDTH)
    except Unreadable as refused:
        raise Http404(refused.reason) from None
    response = HttpResponse(picture, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"  # a sample's bytes never change
    return response
