"""Electronic signatures on regulated decisions: re-authentication, meaning, binding, lockout."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assets import signatures
from assets.models import Asset, Decision, Signature, Version, VersionState
from assets.services import version_approve, version_reject
from audit.models import AuditEvent
from tests.conftest import PASSWORD

ClientFor = Callable[[Any], Client]
AddVersion = Callable[..., Version]


def approve(client: Client, version: Version, **body: Any) -> Any:
    return client.post(
        f"/api/v1/versions/{version.pk}/approve/", body, content_type="application/json"
    )


@pytest.fixture
def regulated(disclaimer: Asset, add_version: AddVersion) -> Version:
    return add_version(disclaimer)


@pytest.fixture
def officer(compliance_officer: Any) -> Any:
    compliance_officer.first_name, compliance_officer.last_name = "Colin", "Compliance"
    compliance_officer.save()
    return compliance_officer


def test_a_regulated_approval_is_signed_with_name_time_meaning_and_content(
    regulated: Version, officer: Any, client_for: ClientFor
) -> None:
    response = approve(
        client_for(officer), regulated, password=PASSWORD, meaning="approved", comment="Legal ok"
    )
    assert response.status_code == 200, response.content
    assert "password" not in response.content.decode()
    signature = Signature.objects.get()
    assert signature.decision.version_id == regulated.pk
    assert signature.decision.action == "approve"
    assert (signature.printed_name, signature.meaning, signature.reason) == (
        "Colin Compliance",
        "approved",
        "Legal ok",
    )
    assert signature.content_sha256 == regulated.sha256
    assert signatures.verifies(signature, Version.objects.get(pk=regulated.pk))
    event = AuditEvent.objects.get(action="version.approval_recorded")
    assert event.data["signature"]["digest"] == signature.digest
    assert event.data["signature"]["printed_name"] == "Colin Compliance"


@pytest.mark.parametrize(
    "body",
    [{}, {"password": PASSWORD}, {"meaning": "approved"}, {"password": PASSWORD, "meaning": "ok"}],
)
def test_a_regulated_approval_without_password_or_meaning_is_400_and_records_nothing(
    body: dict[str, str], regulated: Version, officer: Any, client_for: ClientFor
) -> None:
    response = approve(client_for(officer), regulated, **body)
    assert response.status_code == 400, response.content
    assert not Decision.objects.exists() and not Signature.objects.exists()


def test_a_wrong_password_is_403_and_records_no_decision(
    regulated: Version, officer: Any, client_for: ClientFor
) -> None:
    response = approve(client_for(officer), regulated, password="not-mine", meaning="approved")
    assert response.status_code == 403
    assert "nothing was signed or decided" in response.json()["detail"]
    assert not Decision.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="version.approv").exists()


def test_a_meaning_that_is_not_the_decision_is_refused(
    regulated: Version, officer: Any, client_for: ClientFor
) -> None:
    response = approve(client_for(officer), regulated, password=PASSWORD, meaning="rejected")
    assert response.status_code == 400
    assert not Decision.objects.exists()


def test_a_signed_rejection_over_the_api(
    regulated: Version, officer: Any, client_for: ClientFor
) -> None:
    client = client_for(officer)
    path = f"/api/v1/versions/{regulated.pk}/reject/"
    unsigned = client.post(path, {"comment": "Wrong rate"}, content_type="application/json")
    assert unsigned.status_code == 400
    body = {"comment": "Wrong rate", "password": PASSWORD, "meaning": "rejected"}
    assert client.post(path, body, content_type="application/json").status_code == 200
    assert Version.objects.get(pk=regulated.pk).state == VersionState.REJECTED
    assert Signature.objects.get().meaning == "rejected"
    assert AuditEvent.objects.get(action="version.rejected").data["signature"]["meaning"] == (
        "rejected"
    )


def test_repeated_wrong_passwords_lock_signing_out(
    regulated: Version, officer: Any, client_for: ClientFor, settings: Any
) -> None:
    client = client_for(officer)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert approve(client, regulated, password="guess", meaning="approved").status_code == 403
    last_guess = approve(client, regulated, password="guess", meaning="approved")
    assert last_guess.status_code == 429 and last_guess.json()["error"] == "locked_out"
    locked = approve(client, regulated, password=PASSWORD, meaning="approved")
    assert locked.status_code == 429
    assert "locked" in locked.json()["detail"]
    assert not Decision.objects.exists()
    assert (
        Client().post("/login/", {"username": officer.username, "password": PASSWORD}).status_code
        == 429
    )


def test_a_signature_beside_changed_content_does_not_verify(
    regulated: Version, officer: Any, client_for: ClientFor
) -> None:
    approve(client_for(officer), regulated, password=PASSWORD, meaning="approved")
    signature = Signature.objects.get()
    Version.objects.filter(pk=regulated.pk).update(sha256="0" * 64)
    assert not signatures.verifies(signature, Version.objects.get(pk=regulated.pk))
    Version.objects.filter(pk=regulated.pk).update(sha256=regulated.sha256)
    Signature.objects.filter(pk=signature.pk).update(printed_name="Someone Else")
    assert not signatures.verifies(Signature.objects.get(), Version.objects.get(pk=regulated.pk))


def test_services_refuse_a_regulated_decision_without_a_signature(
    regulated: Version, officer: Any
) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        version_approve(version=regulated, actor=officer)
    with pytest.raises(ValidationError):
        version_reject(version=regulated, actor=officer, comment="no")
    version_reject(version=regulated, actor=None, comment="Licence cancelled")  # the system
    assert Version.objects.get(pk=regulated.pk).state == VersionState.REJECTED


def test_a_non_regulated_approval_needs_no_signature(
    logo: Asset, add_version: AddVersion, officer: Any, client_for: ClientFor
) -> None:
    version = add_version(logo)
    assert approve(client_for(officer), version).status_code == 200
    assert not Signature.objects.exists()


# The review page


def test_the_review_page_signs_with_the_password_and_shows_the_signature(
    regulated: Version,
    officer: Any,
    second_compliance_officer: Any,
    client_for: ClientFor,
) -> None:
    client = client_for(officer)
    page = client.get(f"/assets/versions/{regulated.pk}/").content.decode()
    assert "Sign your decision" in page and 'type="password"' in page
    path = f"/assets/versions/{regulated.pk}/decide/"
    wrong = {"action": "sign", "meaning": "approved", "password": "nope"}
    refused = client.post(path, wrong, follow=True).content.decode()
    assert "That password is not yours" in refused
    assert not Decision.objects.exists()
    right = {"action": "sign", "meaning": "approved", "password": PASSWORD, "comment": "Ok"}
    client.post(path, right)
    shown = client_for(second_compliance_officer).get(f"/assets/versions/{regulated.pk}/")
    html = shown.content.decode()
    assert "Electronic signatures" in html
    assert "<strong>Colin Compliance</strong> signed <strong>approved</strong>" in html
    assert "verifies" in html


def test_evidence_packs_show_the_signature_and_whether_it_verifies(
    regulated: Version, officer: Any, client_for: ClientFor
) -> None:
    import io

    from pypdf import PdfReader

    from usage.evidence import Pack, _versions_section

    approve(client_for(officer), regulated, password=PASSWORD, meaning="approved")
    signature = Signature.objects.get()

    def text() -> str:
        pack = Pack("Evidence")
        _versions_section(pack, [Version.objects.get(pk=regulated.pk)])
        pages = PdfReader(io.BytesIO(bytes(pack.output()))).pages
        return " ".join(" ".join(page.extract_text().split()) for page in pages)

    shown = text()
    assert "Electronic signature: Colin Compliance, meaning approved" in shown
    assert signature.digest in shown and "(verifies)" in shown
    Version.objects.filter(pk=regulated.pk).update(sha256="f" * 64)
    assert "(DOES NOT VERIFY)" in text()
