"""Signing in through a real OpenID provider on loopback (oidc-provider under Node.js): the
authorization code flow with PKCE, the ID token checked against the provider's published keys,
roles following the provider's groups through mappings; what is wrong refused with a reason."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from joserfc import jwt
from joserfc.jwk import RSAKey

from audit.models import AuditEvent
from govern.identity import oidc
from govern.identity.services import grants_follow, group_map, group_unmap
from govern.models import BusinessUnit, ExternalIdentity, ProviderGrant
from govern.roles import Role
from tests.identity_provider import Provider, node_ready, sign_in_at, start_provider

pytestmark = pytest.mark.skipif(node_ready() is not None, reason=str(node_ready()))
CALLBACK = "http://testserver/login/sso/callback/"
ACCOUNTS = {
    "dora": {"groups": ["govern-compliance-de", "staff"], "email": "dora@bank.example"},
    "colin": {"groups": ["govern-compliance-de"]},
    "nemo": {"groups": ["staff"]},
}


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    provider = start_provider(tmp_path_factory.mktemp("oidc"), [CALLBACK], ACCOUNTS)
    yield provider
    provider.stop()


@pytest.fixture
def sso(idp: Provider, settings: Any) -> Iterator[Provider]:
    settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID = idp.issuer, idp.client_id
    settings.OIDC_CLIENT_SECRET = idp.client_secret
    settings.OIDC_SCOPES = "openid profile email groups"
    settings.SITE_URL = "http://testserver"
    oidc.provider.forget()
    yield idp
    oidc.provider.forget()


@pytest.fixture
def mapped(unit: BusinessUnit, roles: None) -> BusinessUnit:
    group_map(group="govern-compliance-de", role=Role.COMPLIANCE_OFFICER, unit=unit, actor=None)
    return unit


def sign_in(client: Client, login: str, next_path: str = "") -> Any:
    started = client.get("/login/sso/" + (f"?next={next_path}" if next_path else ""))
    assert started.status_code == 302, started.content
    answer = sign_in_at(started["Location"], login)
    return client.get("/login/sso/callback/", answer), answer


def refusals() -> list[str]:
    return [event.data["reason"] for event in AuditEvent.objects.filter(action="auth.oidc_refused")]


def test_a_person_signs_in_and_gets_the_roles_their_groups_are_mapped_to(
    sso: Provider, mapped: BusinessUnit
) -> None:
    client = Client()
    landed, _answer = sign_in(client, "dora", "/usage/exceptions/")
    assert landed.status_code == 302 and landed["Location"] == "/usage/exceptions/"
    dora = User.objects.get(username="dora")
    assert not dora.has_usable_password() and dora.email == "dora@bank.example"
    identity = ExternalIdentity.objects.get(user=dora)
    assert (identity.issuer, identity.subject) == (sso.issuer, "dora")
    assert identity.groups == ["govern-compliance-de", "staff"]
    assert list(ProviderGrant.objects.values_list("role", "business_unit")) == [
        ("compliance_officer", mapped.pk)
    ]
    assert client.get("/usage/exceptions/").status_code == 200
    assert client.session["auth_method"] == "oidc" and client.session["auth_time"] > 0
    assert AuditEvent.objects.filter(action="auth.login", actor_id=dora.pk).exists()


def test_an_existing_account_is_linked_once_and_keeps_the_roles_given_by_hand(
    sso: Provider, mapped: BusinessUnit, compliance_officer: User
) -> None:
    assert compliance_officer.username == "colin"
    sign_in(Client(), "colin")
    assert ExternalIdentity.objects.get(subject="colin").user == compliance_officer
    assert not ProviderGrant.objects.exists(), "colin held the role by hand already"
    grants_follow(compliance_officer, [], source="test")  # the provider drops the group
    assert compliance_officer.has_perm(Role.COMPLIANCE_OFFICER.value, mapped)
    assert AuditEvent.objects.filter(action="auth.identity_linked").count() == 1


def test_grants_the_provider_gave_follow_its_groups_and_the_mappings(
    sso: Provider, mapped: BusinessUnit, roles: None
) -> None:
    sign_in(Client(), "dora")
    dora = User.objects.get(username="dora")
    assert grants_follow(dora, ["staff"], source="test") == (0, 1)
    assert not dora.has_perm(Role.COMPLIANCE_OFFICER.value, mapped)
    assert grants_follow(dora, ["govern-compliance-de"], source="test") == (1, 0)
    group_map(group="staff", role=Role.AUDITOR, unit=mapped, actor=None)
    ExternalIdentity.objects.filter(user=dora).update(groups=["staff"])
    group_map(group="staff", role=Role.BRAND_MANAGER, unit=mapped, actor=None)
    assert set(ProviderGrant.objects.values_list("role", flat=True)) >= {"brand_manager"}
    group_unmap(group="staff", role=Role.BRAND_MANAGER, unit=mapped, actor=None)
    assert "brand_manager" not in set(ProviderGrant.objects.values_list("role", flat=True))
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"group.mapped", "group.unmapped", "auth.grants_followed"} <= actions


def test_a_person_with_no_mapped_group_is_told_so_and_sees_nothing(
    sso: Provider, mapped: BusinessUnit
) -> None:
    client = Client()
    landed, _answer = sign_in(client, "nemo")
    assert landed.status_code == 200
    assert "none of the groups your identity provider puts you in" in landed.content.decode()
    assert client.get("/usage/exceptions/").status_code == 403, "signed in, with no role"
    assert "_auth_user_id" in client.session
    assert not ProviderGrant.objects.exists()


def test_an_answer_used_twice_or_never_asked_for_is_refused(
    sso: Provider, mapped: BusinessUnit
) -> None:
    client = Client()
    _landed, answer = sign_in(client, "dora")
    client.logout()
    again = client.get("/login/sso/callback/", answer)
    assert again.status_code == 400
    assert "not one Govern issued, or was used already" in again.content.decode()
    client.get("/login/sso/")  # a fresh state, the old code: the provider refuses it
    state = next(iter(client.session[oidc.SESSION_KEY]))
    replayed = client.get("/login/sso/callback/", {**answer, "state": state})
    assert replayed.status_code == 400 and "refused the code" in replayed.content.decode()
    assert len(refusals()) == 2
    assert "_auth_user_id" not in client.session


def crafted(provider: Provider, key: RSAKey | None = None, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": provider.issuer,
        "sub": "dora",
        "aud": provider.client_id,
        "iat": now,
        "exp": now + 300,
        "auth_time": now,
        "nonce": "the-nonce",
        **changes,
    }
    signer = key or provider.key
    return jwt.encode({"alg": "RS256", "kid": signer.kid}, claims, signer)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"iss": "http://127.0.0.1:1"}, "iss"),
        ({"aud": "someone-else"}, "for another client"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"nonce": "another"}, "nonce"),
    ],
)
def test_an_id_token_with_a_wrong_claim_is_refused(
    sso: Provider, changes: dict[str, Any], said: str
) -> None:
    pending = oidc.Pending("the-nonce", "v", "login", None, time.time())
    with pytest.raises(oidc.Refused, match=said):
        oidc.verified_claims({"id_token": crafted(sso, **changes)}, pending)


def test_an_id_token_signed_by_another_key_is_refused_and_a_rotated_key_is_picked_up(
    sso: Provider, tmp_path: Path
) -> None:
    pending = oidc.Pending("the-nonce", "v", "login", None, time.time())
    assert oidc.verified_claims({"id_token": crafted(sso)}, pending)["sub"] == "dora"
    stranger = RSAKey.generate_key(2048, parameters={"kid": str(sso.key.kid)})
    with pytest.raises(oidc.Refused, match="not valid"):
        oidc.verified_claims({"id_token": crafted(sso, key=stranger)}, pending)
    port = int(sso.issuer.rsplit(":", 1)[1])
    sso.stop()
    rotated = RSAKey.generate_key(2048, parameters={"kid": "rotated"})
    restarted = start_provider(tmp_path, [CALLBACK], ACCOUNTS, key=rotated, port=port)
    try:
        signed = crafted(restarted, key=rotated)
        assert oidc.verified_claims({"id_token": signed}, pending)["sub"] == "dora"
    finally:
        restarted.stop()
        sso.process = start_provider(tmp_path, [CALLBACK], ACCOUNTS, sso.key, port).process


def test_with_local_login_off_passwords_are_refused_and_only_sso_is_offered(
    sso: Provider, compliance_officer: User, settings: Any
) -> None:
    settings.LOCAL_LOGIN = False
    page = Client().get("/login/").content.decode()
    assert "Sign in with single sign-on" in page and 'name="password"' not in page
    tried = Client().post("/login/", {"username": "colin", "password": "irrelevant"})
    assert "Passwords are switched off here" in tried.content.decode()
    assert "_auth_user_id" not in Client().session


@pytest.fixture
def waiting_terms(disclaimer: Any, add_version: Any) -> Any:
    """A regulated disclaimer's version in review."""
    return add_version(disclaimer, text="Capital at risk. Past performance is no guide.")


def sign(client: Client, version: Any, **extra: str) -> Any:
    return client.post(
        f"/assets/versions/{version.pk}/decide/",
        {"action": "sign", "meaning": "approved", "comment": "Checked", **extra},
    )


def fresh_login(client: Client, version: Any, login: str = "colin") -> tuple[Any, str]:
    """Sign, log in again at the provider, land on the confirmation page."""
    asked = sign(client, version)
    assert asked.status_code == 302 and "prompt=login" in asked["Location"]
    assert "max_age=0" in asked["Location"]
    back = client.get("/login/sso/callback/", sign_in_at(asked["Location"], login))
    return back, asked["Location"]


def test_a_person_signed_in_through_sso_signs_after_a_fresh_login_bound_into_the_signature(
    sso: Provider, mapped: BusinessUnit, compliance_officer: User, waiting_terms: Any
) -> None:
    from assets.models import Decision, Signature
    from assets.signatures import verifies

    client = Client()
    sign_in(client, "colin")
    back, _asked = fresh_login(client, waiting_terms)
    assert back.status_code == 302 and back["Location"].startswith("/sign/")
    assert not Decision.objects.exists(), "nothing is decided before the signature"
    page = client.get(back["Location"]).content.decode()
    assert "Sign now: <strong>Approved" in page and 'name="fresh_login"' in page
    token = back["Location"].split("/")[2]
    signed = sign(client, waiting_terms, fresh_login=token)
    assert signed.status_code == 302
    signature = Signature.objects.get()
    assert signature.authentication["method"] == "oidc"
    assert signature.authentication["issuer"] == sso.issuer
    assert abs(signature.authentication["auth_time"] - time.time()) < 30
    assert verifies(signature, signature.decision.version)
    again = sign(client, waiting_terms, fresh_login=token)
    assert Signature.objects.count() == 1, again.status_code
    review = client.get(f"/assets/versions/{waiting_terms.pk}/").content.decode()
    assert f"after a fresh login at {sso.issuer} at " in review


def test_a_signature_on_a_login_older_than_a_minute_is_refused_and_nothing_recorded(
    sso: Provider, mapped: BusinessUnit, compliance_officer: User, waiting_terms: Any
) -> None:
    import time_machine

    from assets.models import Decision

    client = Client()
    sign_in(client, "colin")
    back, _asked = fresh_login(client, waiting_terms)
    token = back["Location"].split("/")[2]
    with time_machine.travel(time.time() + 61, tick=False):
        late = sign(client, waiting_terms, fresh_login=token)
    assert late.status_code == 302
    said = client.get(late["Location"]).content.decode()
    assert "seconds old; a signature needs one at most 60 seconds old" in said
    assert not Decision.objects.exists()


def test_a_fresh_login_as_someone_else_signs_nothing(
    sso: Provider, mapped: BusinessUnit, compliance_officer: User, waiting_terms: Any
) -> None:
    from assets.models import Decision

    client = Client()
    sign_in(client, "colin")
    back, _asked = fresh_login(client, waiting_terms, login="dora")
    assert back.status_code == 400 and "was not the signer" in back.content.decode()
    assert not Decision.objects.exists()
    assert refusals() == ["The login at the provider was not the signer's."]


def test_a_licence_reading_under_sso_is_signed_after_a_fresh_login(
    sso: Provider,
    mapped: BusinessUnit,
    compliance_officer: User,
    logo: Any,
    add_version: Any,
    unit: BusinessUnit,
) -> None:
    from assets.models import LicenceReading
    from assets.services import version_approve
    from tests.assets.test_licence_readings import licensed, sdk_test_purchase

    version = version_approve(version=add_version(logo), actor=compliance_officer)
    purchase = licensed(version, sdk_test_purchase(), unit)
    client = Client()
    sign_in(client, "colin")
    form = {"purchase": purchase.uuid, "reason": "Clause 4", "meaning": "read"}
    asked = client.post(f"/assets/versions/{version.pk}/licence-readings/", form)
    assert asked.status_code == 302 and "prompt=login" in asked["Location"]
    assert not LicenceReading.objects.exists()
    back = client.get("/login/sso/callback/", sign_in_at(asked["Location"], "colin"))
    token = back["Location"].split("/")[2]
    client.post(f"/assets/versions/{version.pk}/licence-readings/", {**form, "fresh_login": token})
    reading = LicenceReading.objects.get()
    assert reading.authentication["method"] == "oidc" and reading.signer == compliance_officer


def test_prompt_and_max_age_reach_the_provider_and_max_age_is_checked(
    sso: Provider, mapped: BusinessUnit
) -> None:
    client = Client()
    started = client.get("/login/sso/?prompt=login&max_age=300")
    assert "prompt=login" in started["Location"] and "max_age=300" in started["Location"]
    landed = client.get("/login/sso/callback/", sign_in_at(started["Location"], "dora"))
    assert landed.status_code == 302
    odd = client.get("/login/sso/?prompt=none&max_age=-1")
    assert "prompt=" not in odd["Location"] and "max_age" not in odd["Location"]
    pending = oidc.Pending("the-nonce", "v", "login", 60, time.time())
    stale = crafted(sso, auth_time=int(time.time()) - 3600)
    with pytest.raises(oidc.Refused, match="auth_time"):
        oidc.verified_claims({"id_token": stale}, pending)
