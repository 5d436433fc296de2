"""SCIM 2.0 provisioning as Entra ID and Okta send it: a person created and put in a group
mapped to a role sees that unit at their next request; deactivated, their sessions end and
their keys are revoked at once; what is malformed gets a SCIM error and changes nothing."""

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from audit.models import AuditEvent
from govern.identity.scim import token_create
from govern.identity.services import group_map
from govern.models import ApiKey, BusinessUnit, ScimUser, UserSession
from govern.roles import Role
from govern.services import api_key_create

SCIM = "application/scim+json"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def scim(db: Any) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_create('entra')}"})


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(f"/scim/v2/{path}", data, content_type=SCIM)


def create_person(scim: Client, name: str = "olivia", **more: Any) -> dict[str, Any]:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "externalId": f"ext-{name}",
        "name": {"givenName": name.title(), "familyName": "Officer"},
        "emails": [{"value": f"{name}@bank.example", "primary": True}],
        "active": True,
        **more,
    }
    made = send(scim, "post", "Users", body)
    assert made.status_code == 201, made.content
    return dict(made.json())


def patch(scim: Client, path: str, *operations: dict[str, Any]) -> Any:
    return send(scim, "patch", path, {"schemas": [PATCH], "Operations": list(operations)})


@pytest.fixture
def mapped(unit: BusinessUnit, roles: None) -> BusinessUnit:
    group_map(group="Compliance DE", role=Role.COMPLIANCE_OFFICER, unit=unit, actor=None)
    return unit


def test_a_provisioned_person_added_to_a_mapped_group_sees_the_units_queue_at_once(
    scim: Client, mapped: BusinessUnit
) -> None:
    person = create_person(scim)
    assert person["userName"] == "olivia" and person["active"] is True
    assert person["meta"]["location"].endswith(f"/scim/v2/Users/{person['id']}")
    assert person["meta"]["location"].startswith("http")
    olivia = User.objects.get(username="olivia")
    assert not olivia.has_usable_password() and olivia.email == "olivia@bank.example"
    browser = Client()
    browser.force_login(olivia)
    assert browser.get("/assets/review/").status_code == 403
    group = send(scim, "post", "Groups", {"displayName": "Compliance DE", "members": []}).json()
    olivia_member = [{"value": person["id"]}]
    added = patch(
        scim, f"Groups/{group['id']}", {"op": "Add", "path": "members", "value": olivia_member}
    )
    assert added.status_code == 200 and added.json()["members"][0]["display"] == "olivia"
    assert browser.get("/assets/review/").status_code == 200
    one = f'members[value eq "{person["id"]}"]'
    removed = patch(scim, f"Groups/{group['id']}", {"op": "remove", "path": one})
    assert removed.json()["members"] == []
    assert browser.get("/assets/review/").status_code == 403
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"scim.user_created", "scim.group_created", "scim.group_changed"} <= actions


def test_deactivating_a_person_ends_their_sessions_and_revokes_their_keys_at_once(
    scim: Client, mapped: BusinessUnit
) -> None:
    person = create_person(scim)
    olivia = User.objects.get(username="olivia")
    browser = Client()
    browser.force_login(olivia)
    assert UserSession.objects.filter(user=olivia).count() == 1, "recorded at login"
    api_key, _raw = api_key_create(name="olivia-tool", units=[mapped], actor=None)
    ApiKey.objects.filter(pk=api_key.pk).update(user=olivia)
    answer = patch(
        scim, f"Users/{person['id']}", {"op": "Replace", "path": "active", "value": "False"}
    )
    assert answer.status_code == 200 and answer.json()["active"] is False
    assert browser.get("/").status_code == 302, "signed out at the next request"
    assert not UserSession.objects.filter(user=olivia).exists()
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None
    event = AuditEvent.objects.get(action="scim.user_deactivated")
    assert event.data == {"by": "scim:entra", "username": "olivia"}
    assert (event.actor_id, event.actor_name) == (None, "scim:entra"), "the provider did it"
    assert AuditEvent.objects.filter(action="auth.sessions_ended").count() == 1


def test_a_deleted_person_is_gone_for_scim_but_stays_on_record(scim: Client) -> None:
    person = create_person(scim)
    assert send(scim, "delete", f"Users/{person['id']}").status_code == 204
    assert send(scim, "get", f"Users/{person['id']}").status_code == 404
    olivia = User.objects.get(username="olivia")
    assert not olivia.is_active and ScimUser.objects.get(user=olivia).deleted_at is not None
    again = create_person(scim)
    assert again["id"] == person["id"] and again["active"] is True, "provisioned back"


def test_users_are_found_by_filter_and_paged(scim: Client) -> None:
    for name in ("ann", "ben", "cid"):
        create_person(scim, name)
    found = send(scim, "get", 'Users?filter=userName eq "ben"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["userName"] == "ben"
    by_external = send(scim, "get", 'Users?filter=externalId eq "ext-cid"').json()
    assert [u["userName"] for u in by_external["Resources"]] == ["cid"]
    far = send(scim, "get", f"Users?startIndex={'9' * 30}&count=1").json()
    assert (far["totalResults"], far["Resources"]) == (3, []), "past the end, not an error"
    page = send(scim, "get", "Users?startIndex=2&count=1").json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 2, 1)
    assert page["Resources"][0]["userName"] == "ben"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "scim_type"),
    [
        ("get", 'Users?filter=userName co "a"', None, 400, "invalidFilter"),
        ("get", 'Users?filter=password eq "x"', None, 400, "invalidFilter"),
        ("post", "Users", {"userName": ""}, 400, "invalidValue"),
        ("post", "Users", {"userName": "x", "active": "maybe"}, 400, "invalidValue"),
        ("post", "Users", ["not", "an", "object"], 400, "invalidSyntax"),
        (
            "post",
            "Groups",
            {"displayName": "G", "members": [{"value": "99999"}]},
            400,
            "invalidValue",
        ),
        ("patch", "Users/1", {"Operations": []}, 404, ""),
        ("get", "Users/99999999999999999999999", None, 404, ""),
        (
            "post",
            "Groups",
            {"displayName": "G", "members": [{"value": "9" * 30}]},
            400,
            "invalidValue",
        ),  # noqa: E501
    ],
)
def test_malformed_requests_get_a_scim_error_and_change_nothing(
    scim: Client, method: str, path: str, body: Any, status: int, scim_type: str
) -> None:
    before = (User.objects.count(), AuditEvent.objects.count())
    answer = send(scim, method, path, body)
    assert answer.status_code == status, answer.content
    error = answer.json()
    assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert error.get("scimType", "") == scim_type and error["detail"]
    assert (User.objects.count(), AuditEvent.objects.count()) == before


def test_a_patch_that_is_no_patchop_is_refused(scim: Client) -> None:
    person = create_person(scim)
    answer = send(scim, "patch", f"Users/{person['id']}", {"Operations": [{"op": "replace"}]})
    assert answer.status_code == 400 and answer.json()["scimType"] == "invalidSyntax"
    odd = patch(scim, f"Users/{person['id']}", {"op": "replace", "path": "password", "value": "x"})
    assert odd.status_code == 400 and odd.json()["scimType"] == "invalidPath"


def test_the_last_administrator_cannot_be_deactivated(scim: Client) -> None:
    person = create_person(scim, "root")
    User.objects.filter(username="root").update(is_superuser=True, is_staff=True)
    answer = patch(scim, f"Users/{person['id']}", {"op": "replace", "value": {"active": False}})
    assert answer.status_code == 409 and answer.json()["scimType"] == "mutability"
    assert User.objects.get(username="root").is_active
    assert send(scim, "delete", f"Users/{person['id']}").status_code == 409


def test_without_a_valid_token_nothing_is_answered(db: Any) -> None:
    for client in (Client(), Client(headers={"Authorization": "Bearer scim_wrong"})):
        answer = client.get("/scim/v2/Users")
        assert answer.status_code == 401 and answer["Content-Type"] == SCIM


def test_the_service_describes_itself(scim: Client) -> None:
    config = send(scim, "get", "ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["filter"]["supported"] is True
    types = send(scim, "get", "ResourceTypes").json()
    assert {r["endpoint"] for r in types["Resources"]} == {"/Users", "/Groups"}
    assert send(scim, "get", "Schemas").json()["totalResults"] == 2


def test_renaming_a_group_to_a_mapped_name_gives_its_members_the_role(
    scim: Client, mapped: BusinessUnit
) -> None:
    person = create_person(scim)
    members = [{"value": person["id"]}]
    group = send(scim, "post", "Groups", {"displayName": "Other", "members": members}).json()
    olivia = User.objects.get(username="olivia")
    assert not olivia.has_perm("compliance_officer", mapped)
    rename = {"op": "replace", "path": "displayName", "value": "Compliance DE"}
    renamed = patch(scim, f"Groups/{group['id']}", rename)
    assert renamed.json()["displayName"] == "Compliance DE"
    assert User.objects.get(username="olivia").has_perm("compliance_officer", mapped)
