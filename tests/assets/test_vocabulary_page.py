"""The mapping page lists every key with its label and use, unmapped first, and maps them."""

from typing import Any

from django.test import Client

from assets.models import (
    Asset,
    LicensePurchase,
    LicenseTerm,
    RightsPolicy,
    VocabularyLabel,
    VocabularyMapping,
)
from audit.models import AuditEvent


def test_keys_are_listed_unmapped_first_with_labels_and_term_counts(
    logo: Asset, compliance_officer: Any, client_for: Any
) -> None:
    purchase = LicensePurchase.objects.create(
        uuid="lpt-p", cart_uuid="c", asset=logo, state="completed", content_element_uuid="e"
    )
    for number in (1, 2):
        LicenseTerm.objects.create(
            purchase=purchase,
            sequence_number=number,
            fingerprint=f"f{number}",
            allowed_geographies=["geography_atlantis", "geography_germany"],
        )
    VocabularyLabel.objects.create(
        vocabulary="license_geographies", key="geography_atlantis", culture="en", label="Atlantis"
    )
    html = client_for(compliance_officer).get("/assets/vocabularies/").content.decode()
    atlantis, germany = html.index("geography_atlantis"), html.index("geography_germany")
    assert atlantis < germany, "unmapped keys come first"
    row = html[atlantis : html.index("</tr>", atlantis)]
    assert "unmapped" in row and "Atlantis" in row and "<td>2</td>" in row


def test_saving_a_mapping_goes_through_the_audited_service(
    compliance_officer: Any, client_for: Any
) -> None:
    client: Client = client_for(compliance_officer)
    body = {"vocabulary": "license_geographies", "key": "geography_atlantis", "values": "GR, CY"}
    response = client.post("/assets/vocabularies/save/", body)
    assert response.status_code == 302
    mapping = VocabularyMapping.objects.get(key="geography_atlantis")
    assert mapping.values == ["CY", "GR"]
    assert AuditEvent.objects.get(action="vocabulary.mapped").actor == compliance_officer
    refused = client.post("/assets/vocabularies/save/", {**body, "values": "Greece"}, follow=True)
    assert "&#x27;Greece&#x27; is not valid" in refused.content.decode()
    mapping.refresh_from_db()
    assert mapping.values == ["CY", "GR"]


def test_roles_that_do_not_decide_may_not_map(designer: Any, client_for: Any) -> None:
    client = client_for(designer)
    assert client.get("/assets/vocabularies/").status_code == 403
    body = {"vocabulary": "license_usages", "key": "usage_print", "values": "email"}
    assert client.post("/assets/vocabularies/save/", body).status_code == 403
    assert VocabularyMapping.objects.get(key="usage_print").values == ["print"]


def test_the_policy_page_lists_each_kind_with_its_default_and_saves_a_choice(
    logo: Asset, compliance_officer: Any, client_for: Any
) -> None:
    client: Client = client_for(compliance_officer)
    html = client.get("/assets/rights-policies/").content.decode()
    disclaimer = html[html.index("Disclaimer") : html.index("</tr>", html.index("Disclaimer"))]
    assert 'value="block" selected' in disclaimer and "default" in disclaimer
    unit = logo.business_unit
    saved = client.post(
        f"/assets/rights-policies/{unit.pk}/", {"kind": "logo", "on_unknown": "block"}, follow=True
    )
    assert "an unknown licence now blocks the run" in saved.content.decode()
    assert RightsPolicy.objects.get(business_unit=unit, kind="logo").on_unknown == "block"
    bad = client.post(f"/assets/rights-policies/{unit.pk}/", {"kind": "logo", "on_unknown": "x"})
    assert bad.status_code == 302
    assert RightsPolicy.objects.get(business_unit=unit, kind="logo").on_unknown == "block"


def test_the_policy_page_is_403_for_other_roles_and_404_for_other_units(
    logo: Asset, designer: Any, outsider: Any, compliance_officer: Any, client_for: Any
) -> None:
    unit = logo.business_unit
    body = {"kind": "logo", "on_unknown": "block"}
    assert client_for(designer).get("/assets/rights-policies/").status_code == 403
    assert client_for(designer).post(f"/assets/rights-policies/{unit.pk}/", body).status_code == 403
    assert client_for(outsider).post(f"/assets/rights-policies/{unit.pk}/", body).status_code == 404
    assert not RightsPolicy.objects.exists()


def test_labels_come_in_the_readers_language_first(
    compliance_officer: Any, client_for: Any
) -> None:
    for culture, label in (("en", "Germany"), ("de", "Deutschland")):
        VocabularyLabel.objects.create(
            vocabulary="license_geographies", key="geography_germany", culture=culture, label=label
        )
    client = client_for(compliance_officer)
    german = client.get("/assets/vocabularies/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    english = client.get("/assets/vocabularies/")
    assert "<td>Deutschland</td>" in german.content.decode()
    assert "<td>Germany</td>" in english.content.decode()
