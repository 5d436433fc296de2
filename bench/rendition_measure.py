"""Time each rendition profile on a 24-megapixel image against decoding that image once."""

# isort: off
import bench.django_setup  # noqa: F401  (before anything that needs settings)

# isort: on
import io
import statistics
import time
from collections.abc import Callable

from PIL import Image, ImageDraw

from assets import profiles
from assets.models import Variant, Version
from assets.renditions import _make
from assets.storage import store_content
from assets.uploads import Content
from bench.harness import figure

WIDTH, HEIGHT = 6000, 4000
REPEATS = 3


def source() -> bytes:
    image = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for n in range(40):
        draw.ellipse((n * 140, n * 90, n * 140 + 900, n * 90 + 600), fill=(n * 6, 90, 200 - n * 4))
    output = io.BytesIO()
    image.save(output, "PNG", dpi=(300, 300))
    return output.getvalue()


def timed(action: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    data = source()
    content = Content(data, "image/png", "png")
    version = Version(variant=Variant(), file=store_content(content), media_type="image/png")

    def decode() -> None:
        Image.open(io.BytesIO(data)).load()

    baseline = timed(decode)
    figure("rendition.decode_24mp", baseline, "ms", baseline)
    for name, profile in profiles.PROFILES.items():
        wanted = {**profile, "print_width_mm": 500}

        def render(wanted: dict[str, object] = wanted) -> None:
            _make(version, wanted)

        figure(f"rendition.{name}_24mp", timed(render), "ms", baseline)
