"""Orchestration's on-demand generation in the Exstream sandbox's DAS mode: a document made the
way Exstream would make it, from what DAS holds.

The shapes follow OpenText's public SDK sample, repository `opentext/ocp-communication`, folder
`Samples/Communications SDK/`: `OrchestrationService`, `OrchestrationUriBuilder`, the DTOs
`OrchestrationResponseData` and `OrchestrationErrorData`, and the README's "Generating output":
- `POST /orchestration/api/v1/inputs/ondemand/{domain}/generate` with a bearer token from OTDS,
  the headers `communicationId` (the communication's DAS id) and `driverDataSource` (the
  communication set's `prodDsn`), the driver data as the body (`application/json` or
  `application/xml`);
- with `Accept: application/pdf` the answer is the raw PDF; otherwise
  `{status, details, data: [{content (base64), mimeType, engineOutputContext: {fileName}}]}`.
- `GET /orchestration/api/v1/version` answers the service's version.

Where that material is silent, the sandbox decides, and says so here:
- The communication is its DAS resource's latest APPROVED version; a draft-only or unknown id
  is 404, a resource that is not a communication 400. The driverDataSource must be given (400
  without it) but is not checked against a communication set, which the sandbox does not keep.
- The document: an A4 page titled with the communication's description, the driver data's
  fields (top-level JSON scalars, or XML leaf elements, at most 20), then each resource the
  communication links to, through its components (links followed 10 levels deep), at its
  latest APPROVED version: an image is placed, a text/plain resource is set as a paragraph.
  Where a link reaches several of Govern's renditions (`<key>/<variant>/<profile>`), one is
  chosen: the variant whose language is the driver data's `language` (else one for any), in
  the profile named by its `channel` (else print, then email, web, mobile).
- Driver data is at most 1 MB; XML is read with defusedxml (no entities, no DTD).
- Switches for tests and the demo, `GET|POST /_sandbox/output` (JSON, the sandbox's own):
  `stale_images` embeds each image's APPROVED version before the latest one (the latest when
  there is none), `local_image` puts an image the sandbox drew itself, known to nobody, in
  place of the first image, `text_edits` ([[old, new], ...]) replaces words in every text, and
  `unavailable` answers 503, as an Orchestration that cannot produce.
"""

import base64
import io
import json
import threading
from dataclasses import asdict, dataclass, replace
from typing import Any

from defusedxml import DefusedXmlException, ElementTree
from fpdf import FPDF
from PIL import Image, ImageDraw

from sandboxes.common import Part, Problem, Reply, Request

ORCHESTRATION = "/orchestration/api/v1"
GENERATE = ORCHESTRATION + r"/inputs/ondemand/(?P<domain>[^/]+)/generate"
MAX_DRIVER_BYTES = 1_000_000
MAX_FIELDS = 20
MAX_DEPTH = 10
PROFILE_ORDER = ("print", "email", "web", "mobile", "text")
VERSION_INFO = {
    "apiIdentifier": "orchestration-sandbox",
    "major": "1",
    "minor": "0",
    "patch": "0",
    "versionString": "1.0.0-sandbox",
}
FONT = "helvetica"  # one of PDF's core fonts: Windows-1252 only, anything else shows as "?"


@dataclass(frozen=True)
class OutputSwitches:
    stale_images: bool = False
    local_image: bool = False
    text_edits: tuple[tuple[str, str], ...] = ()
    unavailable: bool = False

    def changed(self, changes: dict[str, Any]) -> "OutputSwitches":
        unknown = sorted(set(changes) - {f for f in asdict(self)})
        if unknown:
            raise ValueError(f"unknown switches: {', '.join(unknown)}")
        for name in ("stale_images", "local_image", "unavailable"):
            if name in changes and not isinstance(changes[name], bool):
                raise ValueError(f"{name} must be true or false")
        edits = changes.get("text_edits", list(self.text_edits))
        if not isinstance(edits, list) or not all(_is_edit(edit) for edit in edits):
            raise ValueError("text_edits must be a list of [old words, new words] pairs")
        kept = {k: v for k, v in changes.items() if k != "text_edits"}
        return replace(self, **kept, text_edits=tuple((old, new) for old, new in edits))


def _is_edit(edit: Any) -> bool:
    return (
        isinstance(edit, list)
        and len(edit) == 2
        and all(isinstance(words, str) and 0 < len(words) <= 1000 for words in edit)
    )


class Switches:
    """The output switches in force, changed at run time under a lock."""

    def __init__(self) -> None:
        self.current = OutputSwitches()
        self._lock = threading.Lock()

    def change(self, body: bytes) -> OutputSwitches:
        try:
            changes = json.loads(body or b"{}")
        except ValueError:
            changes = None
        if not isinstance(changes, dict):
            raise Problem(400, "invalid_request", "the body must be a JSON object")
        with self._lock:
            try:
                self.current = self.current.changed(changes)
            except ValueError as error:
                raise Problem(400, "invalid_request", str(error)) from error
            return self.current


@dataclass(frozen=True)
class Piece:
    """What the document shows: an image or a text, from a DAS resource's version."""

    name: str
    version: int
    content: Part

    @property
    def is_text(self) -> bool:
        return (self.content.content_type or "").startswith("text/")


@dataclass(frozen=True)
class Driver:
    """The driver data: the fields printed on the page, and the language and channel it asks."""

    fields: tuple[tuple[str, str], ...]
    language: str = ""
    channel: str = ""


def read_driver(content_type: str, body: bytes) -> Driver:
    """Read JSON or XML driver data; a Problem says what is wrong with it."""
    if len(body) > MAX_DRIVER_BYTES:
        raise Problem(413, "too_large", f"driver data is at most {MAX_DRIVER_BYTES} bytes")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        pairs = _json_fields(body)
    elif kind in ("application/xml", "text/xml"):
        pairs = _xml_fields(body)
    else:
        raise Problem(415, "unsupported_media_type", "driver data is application/json or xml")
    found = dict(pairs)
    return Driver(
        tuple(pairs[:MAX_FIELDS]),
        language=found.get("language", "").lower(),
        channel=found.get("channel", "").lower(),
    )


def _json_fields(body: bytes) -> list[tuple[str, str]]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise Problem(400, "invalid_request", "JSON driver data must be an object")
    return [
        (str(key), str(value))
        for key, value in data.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    ]


def _xml_fields(body: bytes) -> list[tuple[str, str]]:
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException) as error:
        detail = f"the XML driver data is not readable: {error}"
        raise Problem(400, "invalid_request", detail) from None
    return [
        (element.tag, element.text.strip())
        for element in root.iter()
        if len(element) == 0 and element.text and element.text.strip()
    ]


def choose(names: list[str], driver: Driver) -> str | None:
    """Pick one of a link's renditions, `<key>/<variant>/<profile>`, for the driver data."""

    def rank(name: str) -> tuple[int, int]:
        _key, _, rest = name.partition("/")
        variant, _, profile = rest.rpartition("/")
        language = variant.split(".")[0] if variant not in ("", "any") else ""
        fits_language = 2 if language and language == driver.language else int(not language)
        order = [driver.channel, *PROFILE_ORDER] if driver.channel else list(PROFILE_ORDER)
        place = order.index(profile) if profile in order else len(order)
        return (-fits_language, place)

    return min(names, key=rank) if names else None


def local_image() -> Part:
    """An image the sandbox draws itself: a mark no asset library has."""
    picture = Image.new("RGB", (400, 200), "#7a1f5c")
    pen = ImageDraw.Draw(picture)
    pen.ellipse((40, 30, 180, 170), fill="#f4d35e")
    pen.rectangle((220, 60, 360, 140), fill="#0d3b66")
    out = io.BytesIO()
    picture.save(out, "PNG")
    return Part("image/png", out.getvalue())


def apply_edits(text: str, edits: tuple[tuple[str, str], ...]) -> str:
    for old, new in edits:
        text = text.replace(old, new)
    return text


def render(title: str, driver: Driver, pieces: list[Piece]) -> bytes:
    """Lay the pieces out on A4 pages with fpdf2; return the PDF."""
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(_latin(title))
    pdf.set_creator("Exstream sandbox")
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 9, _latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    for name, value in driver.fields:
        pdf.multi_cell(0, 5, _latin(f"{name}: {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for piece in pieces:
        if piece.is_text:
            pdf.set_font(FONT, size=10)
            words = piece.content.content.decode("utf-8", "replace")
            pdf.multi_cell(0, 5, _latin(words), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        else:
            _place_image(pdf, piece.content.content)
    return bytes(pdf.output())


def _place_image(pdf: FPDF, data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as picture:
        width, height = picture.size
        picture.load()
        shown = picture.copy()
    # fpdf2 embeds CMYK as DeviceCMYK and cannot use a CMYK ICC profile (it only warns): drop it.
    shown.info.pop("icc_profile", None)
    side = 60.0  # mm: the widest an image is shown
    scale = side / max(width, height)
    if pdf.get_y() + height * scale > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.image(shown, x=pdf.l_margin, y=pdf.get_y(), w=width * scale, h=height * scale)
    pdf.set_y(pdf.get_y() + height * scale + 4)


def _latin(text: str) -> str:
    return text.encode("cp1252", "replace").decode("cp1252")


def generate_reply(request: Request, pdf: bytes, name: str) -> Reply:
    """Answer the raw PDF when asked for it, else Orchestration's list of outputs."""
    accept = request.headers.get("Accept", "") or "*/*"
    wanted = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if "application/pdf" in wanted:
        return Reply(200, pdf, content_type="application/pdf")
    if not wanted & {"application/json", "*/*", "application/*"}:
        raise Problem(406, "not_acceptable", "outputs are application/pdf or application/json")
    output = {
        "content": base64.b64encode(pdf).decode(),
        "mimeType": "application/pdf",
        "engineOutputContext": {"fileName": name},
    }
    return Reply(200, {"status": "success", "details": "", "data": [output]})
