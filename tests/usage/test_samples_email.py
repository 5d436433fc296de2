"""HTML email as a sample, an `.html` file or a whole message (`.eml`): its inline images (data
URIs, `cid:` parts) are matched like a PDF's; a remote image is listed, never fetched; what is
hostile or absurd is refused with a reason."""

import base64
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from assets.models import Rendition, Version
from assets.storage import read_content
from audit.models import AuditEvent
from usage.models import ProductionRun, ProductionSample, SampleImage, UsageException
from usage.samples.services import sample_add
from usage.tasks import read_samples

BODY = "<p>Dear customer,</p><p>your renewal is due.</p>"


def html_with(*sources: str, extra: str = "") -> str:
    images = "".join(f'<img src="{source}" alt="Our logo">' for source in sources)
    return (
        "<!DOCTYPE html><html><head><title>Renewal</title><style>p {color: red}</style></head>"
        f"<body>{images}{BODY}<script>var hidden = 'never text';</script>{extra}</body></html>"
    )


def data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def message_with_logo(logo: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = "statements@bank.example"
    message["To"] = "customer@example.org"
    message["Subject"] = "Your renewal"
    message.set_content("Dear customer, your renewal is due.")
    cid = make_msgid()
    message.add_alternative(html_with(f"cid:{cid[1:-1]}"), subtype="html")
    html = message.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(logo, "image", "png", cid=cid)
    return bytes(message)


def attach(run: ProductionRun, data: bytes, name: str) -> ProductionSample:
    sample, _ = sample_add(run=run, data=data, file_name=name, actor=None, channel="email")
    return sample


def test_an_html_email_with_the_logo_inline_matches_it_and_keeps_only_visible_text(
    run: ProductionRun, approved_logo: Version
) -> None:
    email = Rendition.objects.get(version=approved_logo, profile="email")
    sample = attach(run, html_with(data_uri(read_content(email.file))).encode(), "mail.html")
    assert (sample.media_type, sample.pages_total) == ("text/html", 1)
    assert read_samples() == {"read": 1}
    sample.refresh_from_db()
    [image] = SampleImage.objects.filter(sample=sample)
    assert (image.outcome, image.version_id, image.distance) == ("approved", approved_logo.pk, 0)
    assert "your renewal is due." in sample.text and "Our logo" in sample.text
    assert "never text" not in sample.text and "color: red" not in sample.text
    assert not UsageException.objects.exists()


def test_a_message_with_the_logo_as_a_cid_part_matches_it(
    run: ProductionRun, approved_logo: Version
) -> None:
    sample = attach(run, message_with_logo(read_content(approved_logo.file)), "renewal.eml")
    assert sample.media_type == "message/rfc822"
    read_samples()
    [image] = SampleImage.objects.filter(sample=sample)
    assert (image.outcome, image.version_id) == ("approved", approved_logo.pk)


def test_a_remote_image_is_listed_as_not_fetched_and_unknown(run: ProductionRun) -> None:
    remote = "https://tracker.example/pixel.png?customer=42"
    sample = attach(run, html_with(remote, "cid:missing@part").encode(), "remote.html")
    read_samples()
    images = SampleImage.objects.filter(sample=sample).order_by("pk")
    assert [image.problem for image in images] == [
        f"remote image, not fetched: {remote}",
        "the part cid:missing@part is not in the message",
    ]
    assert {image.outcome for image in images} == {"unknown"}
    assert UsageException.objects.filter(code="as_produced_unknown").count() == 2


def test_a_message_of_too_many_parts_is_refused_and_nothing_kept(
    run: ProductionRun, settings: object
) -> None:
    message = EmailMessage()
    message["From"] = "statements@bank.example"
    message.set_content("hello")
    message.add_alternative("<html><body>hi</body></html>", subtype="html")
    for n in range(600):
        message.add_attachment(b"x", maintype="application", subtype="x", filename=f"{n}")
    with pytest.raises(ValidationError, match="parts; at most 500 are read"):
        attach(run, bytes(message), "many.eml")
    assert not ProductionSample.objects.exists()
    assert AuditEvent.objects.filter(action="usage.sample_refused").count() == 1


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (b"GIF89a not a sample", "x.gif", "Samples are PDF documents, HTML email"),
        (b"From: a@b.example\r\n\r\nplain text only", "plain.eml", "no HTML part"),
    ],
)
def test_what_is_no_email_sample_is_refused_with_a_reason(
    run: ProductionRun, data: bytes, name: str, said: str
) -> None:
    with pytest.raises(ValidationError, match=said):
        attach(run, data, name)
    assert not ProductionSample.objects.exists()


def test_a_broken_or_huge_inline_image_is_listed_not_decoded(
    run: ProductionRun, settings: Any
) -> None:
    from tests import images

    broken = "data:image/png;base64,@@@@"
    huge = data_uri(images.png_header_only(30_000, 30_000))  # Pillow refuses it on opening
    wide = data_uri(images.png_header_only(2_000, 1_000))  # Govern, before decoding
    settings.UPLOAD_MAX_PIXELS = 1_000_000
    sample = attach(run, html_with(broken, huge, wide).encode(), "odd.html")
    read_samples()
    problems = list(
        SampleImage.objects.filter(sample=sample).order_by("pk").values_list("problem", flat=True)
    )
    assert problems[0] == "a data URI whose base64 is broken"
    assert problems[1].startswith("more pixels than uploads may have: not decoded (at most")
    assert problems[2] == "2000×1000 pixels: not decoded (at most 1 million)."
