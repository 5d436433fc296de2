"""Match an image found in a produced document to the approved content it came from.

An embedded image is the same content as a rendition when its stored stream has the rendition's
sha256 (a JPEG is embedded as is). Otherwise Exstream or a printer re-encoded it: converted to
CMYK, resized, recompressed. Two measures then decide, after normalising both to RGB:

- `distance`, the Hamming distance of 256-bit perceptual hashes (imagehash's pHash at hash size
  16), finds candidates through an index of hash bands, never by comparing with every rendition;
- `difference` confirms one: both pictures in luminance at the found image's size (at most
  256 px), softened by a 0.8 px blur and brought to the same mean and spread, then the mean
  absolute difference in the most-changed cell of a 24 × 24 grid.

Why two: a global hash is blind to a changed word. On the test logo, 64-bit pHash put a logo
with one word changed at distance 0; 256-bit at 4 to 10, while a 200 px JPEG of the same logo
was at 4. The grid difference separates them: a JPEG at 200 px, a CMYK conversion through the
print profile (and back through it) stay at or below 3.5; one changed
letter is above 30, one changed word above 100. DIFFERENCE_LIMIT sits at 10, in the gap; tests
hold both sides.

Structure is compared in luminance, so colour is checked on its own: `colour`, the largest
CIE76 ΔE between the mean colours of a 4 × 4 grid of cells. A round trip through the print
profile stays under 10, a slightly bluer logo about 14; a red logo for a blue one is over 100,
and two plain pictures of different colours over 120. COLOUR_LIMIT is 30. CMYK shown without
its profile (C, M, Y and K simply subtracted) shifts colours by about 60: a reader must bring
CMYK images to RGB through a profile before they are compared.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image, ImageCms, ImageFilter

HASH_SIZE = 16  # 16 × 16 = 256 bits
BANDS = 16  # of 16 bits each: a candidate within DISTANCE_LIMIT shares at least one band
DISTANCE_LIMIT = 15  # fewer than BANDS: the pigeonhole finds every candidate within it
DIFFERENCE_LIMIT = 10.0
COLOUR_LIMIT = 30.0  # CIE76 ΔE, the worst of 4 × 4 cells
COLOUR_CELLS = 4
GRID = 24
COMPARE_SIDE = 256
BLUR = 0.8


def fingerprint(picture: Image.Image) -> str:
    """The picture's 256-bit perceptual hash, as 64 hex digits."""
    return str(imagehash.phash(picture.convert("RGB"), hash_size=HASH_SIZE))


def distance(first: str, second: str) -> int:
    return int((int(first, 16) ^ int(second, 16)).bit_count())


def difference(found: Image.Image, approved: Image.Image) -> float:
    """How much the most-changed cell differs, on 0-255 (see the module's note)."""
    width, height = found.size
    scale = min(1.0, COMPARE_SIDE / max(width, height))
    size = (max(GRID, round(width * scale)), max(GRID, round(height * scale)))
    first, second = (_normalised(picture, size) for picture in (found, approved))
    changed = np.abs(first - second)
    rows = np.array_split(changed, GRID, axis=0)
    cells = (cell for row in rows for cell in np.array_split(row, GRID, axis=1))
    return round(float(max(cell.mean() for cell in cells if cell.size)), 1)


def _normalised(picture: Image.Image, size: tuple[int, int]) -> "np.ndarray":
    """Luminance at `size`, softened, brought to mean 128 and spread 48: what is left is the
    picture's structure, not its colour space or how a printer profile shifted its tones."""
    grey = picture.convert("L").resize(size, Image.Resampling.LANCZOS)
    levels = np.asarray(grey.filter(ImageFilter.GaussianBlur(BLUR)), dtype=np.float32)
    spread = float(levels.std()) or 1.0
    return (levels - float(levels.mean())) / spread * 48.0 + 128.0


_TO_LAB = ImageCms.buildTransformFromOpenProfiles(
    ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB"
)


def colour(found: Image.Image, approved: Image.Image) -> float:
    """The largest colour difference (CIE76 ΔE) between the mean colours of matching cells."""
    first, second = (_cell_colours(picture) for picture in (found, approved))
    return round(float(np.sqrt(((first - second) ** 2).sum(axis=-1)).max()), 1)


def _cell_colours(picture: Image.Image) -> "np.ndarray":
    cells = picture.convert("RGB").resize((COLOUR_CELLS, COLOUR_CELLS), Image.Resampling.BOX)
    lab = np.asarray(ImageCms.applyTransform(cells, _TO_LAB), dtype=np.float32)
    # Pillow keeps L on 0-255 and a, b as signed bytes.
    return np.stack(
        [lab[..., 0] * 100 / 255, (lab[..., 1] + 128) % 256 - 128, (lab[..., 2] + 128) % 256 - 128],
        axis=-1,
    )


@dataclass(frozen=True)
class Known:
    """Approved or once-approved content an image may be: a rendition or a version's file."""

    key: str  # e.g. "rendition:12" or "version:7"
    sha256: str
    fingerprint: str


@dataclass(frozen=True)
class Match:
    known: Known
    distance: int
    difference: float | None  # None for an exact match: nothing to compare
    colour: float | None = None

    @property
    def confirmed(self) -> bool:
        if self.difference is None:
            return True
        return self.difference <= DIFFERENCE_LIMIT and (self.colour or 0.0) <= COLOUR_LIMIT


class PerceptualIndex:
    """Known content by exact sha256 and by 16-bit bands of its perceptual hash."""

    def __init__(self, known: Iterable[Known]) -> None:
        self.by_sha256: dict[str, Known] = {}
        self.bands: list[dict[str, list[Known]]] = [defaultdict(list) for _ in range(BANDS)]
        for item in known:
            self.by_sha256.setdefault(item.sha256, item)
            for band, part in enumerate(_bands(item.fingerprint)):
                self.bands[band][part].append(item)

    def exact(self, sha256: str) -> Known | None:
        return self.by_sha256.get(sha256)

    def candidates(self, print_: str) -> list[tuple[int, Known]]:
        """Known content within DISTANCE_LIMIT of the hash, nearest first."""
        seen: dict[str, Known] = {}
        for band, part in enumerate(_bands(print_)):
            for item in self.bands[band].get(part, ()):
                seen.setdefault(item.key, item)
        near = [(distance(print_, item.fingerprint), item) for item in seen.values()]
        return sorted(
            ((d, item) for d, item in near if d <= DISTANCE_LIMIT), key=lambda pair: pair[0]
        )


def _bands(print_: str) -> list[str]:
    width = len(print_) // BANDS
    return [print_[i * width : (i + 1) * width] for i in range(BANDS)]


@dataclass(frozen=True)
class Verdict:
    """What a found image is: `match` when it is known content, else the nearest looked at."""

    match: Match | None
    nearest: Match | None = None
    fingerprint: str = ""  # the found image's, when it was looked at by its pixels


def identify(
    index: PerceptualIndex,
    *,
    stream_sha256: str,
    pixels: Image.Image | None,
    load: Callable[[Known], Image.Image],
) -> Verdict:
    """Find the known content a found image is: by exact hash, else by perceptual hash and
    confirmed pixel by pixel (`load` gives a candidate's pixels)."""
    exact = index.exact(stream_sha256)
    if exact is not None:
        return Verdict(Match(exact, 0, None))
    if pixels is None:
        return Verdict(None)
    nearest, found = None, fingerprint(pixels)
    for near, known in index.candidates(found):
        approved = load(known)
        looked = Match(known, near, difference(pixels, approved), colour(pixels, approved))
        if looked.confirmed:
            return Verdict(looked, fingerprint=found)
        nearest = nearest or looked
    return Verdict(None, nearest, found)
