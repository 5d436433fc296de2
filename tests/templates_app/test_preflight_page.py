"""Designers ask pre-flight from the template page and see every reason."""

from collections.abc import Callable
from typing import Any

from assets.models import Asset
from templates_app.models import Clearance, Template
from templates_app.services import binding_set


def test_a_designer_asks_pre_flight_in_the_browser_and_sees_the_reasons(
    logo: Asset, designer: Any, make_template: Callable[..., Template], client_for: Any
) -> None:
    letter = make_template("Letter")
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    client = client_for(designer)
    assert "Ask pre-flight" in client.get(f"/templates/{letter.pk}/").content.decode()
    body = {"run_at": "2026-12-01T06:00", "region": "de", "language": "de", "channel": "print"}
    response = client.post(f"/templates/{letter.pk}/preflight/", body, follow=True)
    html = response.content.decode()
    clearance = Clearance.objects.get()
    assert clearance.verdict == "no-go" and clearance.contexts[0]["region"] == "DE"
    assert f"Pre-flight {clearance.pk}: no-go, 1 reason(s)." in html
    assert "unresolved" in html and "No variant of brand.logo.primary fits" in html


def test_pre_flight_from_the_page_is_refused_to_other_roles_and_units(
    logo: Asset,
    designer: Any,
    auditor: Any,
    outsider: Any,
    make_template: Callable[..., Template],
    client_for: Any,
) -> None:
    letter = make_template("Letter")
    url = f"/templates/{letter.pk}/preflight/"
    body = {"run_at": "2026-12-01T06:00"}
    assert (
        "Ask pre-flight" not in client_for(auditor).get(f"/templates/{letter.pk}/").content.decode()
    )
    assert client_for(auditor).post(url, body).status_code == 403
    assert client_for(outsider).post(url, body).status_code == 404
    assert not Clearance.objects.exists()
    client_for(designer).post(url, {"run_at": "soon"})
    assert not Clearance.objects.exists()
