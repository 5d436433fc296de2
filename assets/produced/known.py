"""What a unit's produced documents may show: every raster version of its assets and every
rendition made of them, by sha256 and by perceptual hash, in one index."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image

from assets.models import ContentFingerprint, Rendition, Version
from assets.previews import stored_rgb
from assets.produced.matching import Known, PerceptualIndex, fingerprint
from assets.produced.reading import KEPT_SIDE

RASTER_TYPES = ("image/png", "image/jpeg", "image/tiff", "image/webp")


@dataclass
class KnownContent:
    """The index, and for each known item its storage name and the version it is of."""

    index: PerceptualIndex
    names: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)

    def load(self, item: Known) -> Image.Image:
        return _pixels(self.names[item.key])


@lru_cache(maxsize=32)  # at most 512 px a side: some 25 MB
def _pixels(name: str) -> Image.Image:
    return stored_rgb(name, KEPT_SIDE)


def known_content(unit_id: int) -> KnownContent:
    """Index the unit's raster versions and renditions; a fingerprint missing yet is made once
    and kept by content hash."""
    items = list(_stored(unit_id))
    prints = _fingerprints({sha256: name for _, sha256, name, _ in items})
    known = [Known(key, sha256, prints[sha256]) for key, sha256, _, _ in items if sha256 in prints]
    content = KnownContent(PerceptualIndex(known))
    for key, _, name, version_id in items:
        content.names[key], content.versions[key] = name, version_id
    return content


def _stored(unit_id: int) -> Iterator[tuple[str, str, str, int]]:
    """(key, sha256, storage name, version id) of each raster item of the unit."""
    versions = Version.objects.filter(
        variant__asset__business_unit_id=unit_id, media_type__in=RASTER_TYPES
    ).exclude(file="")
    for pk, sha256, name in versions.values_list("pk", "sha256", "file"):
        yield f"version:{pk}", sha256, name, pk
    renditions = Rendition.objects.filter(
        version__variant__asset__business_unit_id=unit_id, media_type__in=RASTER_TYPES
    )
    for pk, sha256, name, version_id in renditions.values_list("pk", "sha256", "file", "version"):
        yield f"rendition:{pk}", sha256, name, version_id


def _fingerprints(names: dict[str, str]) -> dict[str, str]:
    """The perceptual hash of each content hash, made and kept where it is missing."""
    prints = dict(
        ContentFingerprint.objects.filter(sha256__in=names).values_list("sha256", "fingerprint")
    )
    made = []
    for sha256, name in names.items():
        if sha256 in prints:
            continue
        try:
            prints[sha256] = fingerprint(_pixels(name))
        except OSError:  # content that cannot be opened is known by its hash alone
            continue
        made.append(ContentFingerprint(sha256=sha256, fingerprint=prints[sha256]))
    ContentFingerprint.objects.bulk_create(made, ignore_conflicts=True)
    return prints
