"""An image found in a produced document matches the content it came from through re-encoding,
resizing and CMYK conversion, and does not when a word or a letter in it changed."""

import hashlib
import io

import pytest
from django.conf import settings
from PIL import Image, ImageCms, ImageDraw, ImageFont

from assets.produced.matching import (
    COLOUR_LIMIT,
    DIFFERENCE_LIMIT,
    DISTANCE_LIMIT,
    Known,
    Match,
    PerceptualIndex,
    colour,
    difference,
    distance,
    fingerprint,
    identify,
)

SRGB = ImageCms.createProfile("sRGB")


def logo(word: str = "INSURANCE", colour: str = "#0b3d91") -> Image.Image:
    picture = Image.new("RGB", (600, 300), colour)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=48)
    draw.rectangle((30, 30, 120, 120), fill="#ffcc00")
    draw.text((140, 60), "ACME", font=font, fill="white")
    draw.text((140, 150), word, font=font, fill="white")
    return picture


def jpeg(picture: Image.Image, quality: int) -> Image.Image:
    output = io.BytesIO()
    picture.save(output, "JPEG", quality=quality)
    return Image.open(io.BytesIO(output.getvalue())).convert("RGB")


def print_cmyk(picture: Image.Image) -> Image.Image:
    """Through the print profile, as the print rendition is made."""
    profile = ImageCms.ImageCmsProfile(str(settings.RENDITION_CMYK_ICC))
    converted = ImageCms.profileToProfile(
        picture,
        SRGB,
        profile,
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        outputMode="CMYK",
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )
    assert converted is not None
    return converted


SAME = {
    "a JPEG at quality 60": lambda: jpeg(logo(), 60),
    "a 200 px e-mail JPEG": lambda: jpeg(logo().resize((200, 100), Image.Resampling.LANCZOS), 70),
    "half the size": lambda: logo().resize((300, 150), Image.Resampling.LANCZOS),
    "print CMYK, shown through the profile": lambda: ImageCms.profileToProfile(
        print_cmyk(logo()),
        ImageCms.ImageCmsProfile(str(settings.RENDITION_CMYK_ICC)),
        SRGB,
        outputMode="RGB",
    ),
}
CHANGED = {
    "one word changed": lambda: logo("ASSURANCE"),
    "one letter changed": lambda: logo("INSURANCF"),
}


@pytest.mark.parametrize("made", SAME.values(), ids=SAME.keys())
def test_a_re_encoded_resized_or_cmyk_image_matches_its_source(made: object) -> None:
    found = made()  # type: ignore[operator]
    assert distance(fingerprint(found), fingerprint(logo())) <= DISTANCE_LIMIT
    assert difference(found, logo()) <= DIFFERENCE_LIMIT / 2, "well inside the limit"
    assert colour(found, logo()) <= COLOUR_LIMIT / 2


@pytest.mark.parametrize("made", CHANGED.values(), ids=CHANGED.keys())
def test_a_logo_with_a_word_or_letter_changed_does_not_match(made: object) -> None:
    found = made()  # type: ignore[operator]
    assert distance(fingerprint(found), fingerprint(logo())) <= DISTANCE_LIMIT, "a candidate"
    assert difference(found, logo()) > DIFFERENCE_LIMIT * 2, "well outside the limit"


def test_the_same_shapes_in_another_colour_do_not_match() -> None:
    assert colour(logo(colour="#c62828"), logo()) > COLOUR_LIMIT * 2
    plain_red = Image.new("RGB", (600, 300), "#c62828")
    plain_blue = Image.new("RGB", (600, 300), "#0b3d91")
    assert difference(plain_red, plain_blue) == 0, "no structure tells them apart"
    seen = Match(known("version:1", plain_blue), 0, 0.0, colour(plain_red, plain_blue))
    assert not seen.confirmed


def known(key: str, picture: Image.Image) -> Known:
    data = picture.tobytes()
    return Known(key, hashlib.sha256(data).hexdigest(), fingerprint(picture))


def test_identify_finds_by_exact_hash_then_by_picture_and_names_the_nearest_miss() -> None:
    pictures = {
        "version:1": logo(),
        "version:2": logo("ASSURANCE"),
        "version:3": Image.new("RGB", (600, 300), "#c9a227"),
    }
    index = PerceptualIndex(known(key, picture) for key, picture in pictures.items())

    def load(item: Known) -> Image.Image:
        return pictures[item.key]

    stored = hashlib.sha256(pictures["version:2"].tobytes()).hexdigest()
    exact = identify(index, stream_sha256=stored, pixels=None, load=load)
    assert exact.match is not None and exact.match.known.key == "version:2"
    assert (exact.match.distance, exact.match.difference) == (0, None)
    email = jpeg(logo().resize((200, 100), Image.Resampling.LANCZOS), 70)
    seen = identify(index, stream_sha256="0" * 64, pixels=email, load=load)
    assert seen.match is not None and seen.match.known.key == "version:1"
    altered = identify(index, stream_sha256="0" * 64, pixels=logo("INSURANCF"), load=load)
    assert altered.match is None
    assert altered.nearest is not None and altered.nearest.known.key == "version:1"
    assert altered.nearest.difference is not None
    assert altered.nearest.difference > DIFFERENCE_LIMIT


def test_the_index_measures_only_content_sharing_a_band_of_the_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import random

    from assets.produced import matching

    chance = random.Random(7)
    others = [
        Known(f"version:{n}", f"{n:064x}", f"{chance.getrandbits(256):064x}") for n in range(500)
    ]
    index = PerceptualIndex([*others, known("version:logo", logo())])
    measured: list[str] = []

    def counted(first: str, second: str) -> int:
        measured.append(second)
        return distance(first, second)

    monkeypatch.setattr(matching, "distance", counted)
    near = index.candidates(fingerprint(jpeg(logo(), 60)))
    assert [item.key for _, item in near] == ["version:logo"]
    assert len(measured) < 10, "not every known item is measured"
