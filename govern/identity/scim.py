"""SCIM 2.0 at /scim/v2/ (RFC 7643 resources, RFC 7644 protocol) for the identity provider's
provisioning client: Users and Groups with create, read, replace, PATCH and delete; filters
`userName eq`, `externalId eq` (Users) and `displayName eq`, `externalId eq` (Groups);
`startIndex`/`count` pages; ServiceProviderConfig, ResourceTypes and Schemas. A client
authenticates with the bearer token `create_scim_token <provider>` printed once (stored hashed).
Every refusal is a SCIM error body with its `scimType`; a refused request changes nothing.
"""

import json
import re
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from govern.identity import provisioning
from govern.identity.provisioning import ScimRefusal
from govern.models import ScimGroup, ScimToken, ScimUser, hash_api_key

CONTENT_TYPE = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_BODY = 1_000_000
MAX_COUNT = 200
MAX_START = 1_000_000_000  # a startIndex past it answers an empty page
MAX_MEMBERS = 5_000
FILTER = re.compile(r'^\s*(\w+)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)
FILTERABLE = {"users": {"username": "userName", "externalid": "externalId"},
              "groups": {"displayname": "displayName", "externalid": "externalId"}}  # fmt: skip
USER_FIELDS = ("userName", "externalId", "name", "emails", "active")
MEMBER_PATH = re.compile(r'^members\[value eq "([^"]+)"\]$', re.IGNORECASE)


def token_create(provider: str) -> str:
    """Issue the provider's token (replacing its earlier one); return it, shown once."""
    raw = f"scim_{secrets.token_urlsafe(32)}"
    stored = {"prefix": raw[:12], "token_hash": hash_api_key(raw), "created_at": timezone.now()}
    ScimToken.objects.update_or_create(provider=provider, defaults=stored)
    return raw


def _located(path: str) -> str:
    """A resource's URI (RFC 7643 meta.location): absolute, at SITE_URL."""
    return settings.SITE_URL.rstrip("/") + path


def _answer(body: Any, status: int = 200, location: str = "") -> HttpResponse:
    response = HttpResponse(
        json.dumps(body) if body is not None else b"", status=status, content_type=CONTENT_TYPE
    )
    if location:
        response["Location"] = location
    return response


def _error(status: int, detail: str, scim_type: str = "") -> HttpResponse:
    body = {"schemas": [ERROR], "status": str(status), "detail": detail}
    return _answer({**body, **({"scimType": scim_type} if scim_type else {})}, status)


def scim_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Authenticate the provider's token, answer refusals as SCIM errors."""

    @csrf_exempt
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        token = (
            ScimToken.objects.filter(token_hash=hash_api_key(raw.strip())).first()
            if scheme.lower() == "bearer" and raw.strip()
            else None
        )
        if token is None:
            return _error(401, "A valid SCIM bearer token is required.")
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        try:
            return view(request, token.provider, *args, **kwargs)
        except ScimRefusal as refused:
            return _error(refused.status, refused.detail, refused.scim_type)

    return wrapped


def _body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY:
        raise ScimRefusal(413, f"A SCIM request is at most {MAX_BODY} bytes.", "tooMany")
    try:
        found = json.loads(request.body or b"null")
    except ValueError:
        raise ScimRefusal(400, "The body is not JSON.", "invalidSyntax") from None
    if not isinstance(found, dict):
        raise ScimRefusal(400, "The body must be a JSON object.", "invalidSyntax")
    return found


def _page(request: HttpRequest) -> tuple[int, int]:
    try:
        start = int(request.GET.get("startIndex", "1"))
        count = int(request.GET.get("count", "100"))
    except ValueError:
        raise ScimRefusal(400, "startIndex and count are whole numbers.", "invalidValue") from None
    if not 1 <= start <= MAX_START:  # RFC 7644 3.4.2.4: below 1 is read as 1
        start = 1 if start < 1 else MAX_START
    return start, min(MAX_COUNT, max(0, count))


def _filtered(request: HttpRequest, kind: str) -> tuple[str, str] | None:
    text = request.GET.get("filter")
    if text is None:
        return None
    found = FILTER.match(text)
    field = FILTERABLE[kind].get(found.group(1).lower()) if found else None
    if found is None or field is None:
        allowed = " or ".join(f'{name} eq "..."' for name in FILTERABLE[kind].values())
        raise ScimRefusal(400, f"Filters here are {allowed}.", "invalidFilter")
    return field, found.group(2).replace('\\"', '"').replace("\\\\", "\\")


def _listed(items: list[dict[str, Any]], total: int, start: int) -> HttpResponse:
    return _answer(
        {
            "schemas": [LIST],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(items),
            "Resources": items,
        }
    )


# Users


def _user_json(person: ScimUser) -> dict[str, Any]:
    user = person.user
    return {
        "schemas": [USER],
        "id": str(user.pk),
        "externalId": person.external_id or None,
        "userName": user.username,
        "name": {"givenName": user.first_name, "familyName": user.last_name},
        "emails": [{"value": user.email, "primary": True}] if user.email else [],
        "active": user.is_active,
        "groups": [
            {"value": str(group.pk), "display": group.display_name}
            for group in user.scim_groups.all()
        ],
        "meta": {
            "resourceType": "User",
            "created": person.created_at.isoformat(),
            "lastModified": person.modified_at.isoformat(),
            "location": _located(f"/scim/v2/Users/{user.pk}"),
        },
    }


def _people(provider: str) -> Any:
    return ScimUser.objects.filter(provider=provider, deleted_at__isnull=True).select_related(
        "user"
    )


def _is_id(text: str) -> bool:
    """Whether the text can be one of Govern's ids (a number a database key holds)."""
    return text.isdigit() and len(text) <= 18


def _person(provider: str, pk: str) -> ScimUser:
    found = _people(provider).filter(user_id=pk).first() if _is_id(pk) else None
    if found is None:
        raise ScimRefusal(404, f"No user {pk}.")
    return found


def _user_attributes(body: dict[str, Any], replacing: bool) -> dict[str, Any]:
    """The User attributes Govern keeps, checked; refuse what is malformed."""
    attributes: dict[str, Any] = {}
    name = body.get("userName")
    if name is not None or not replacing:
        if not isinstance(name, str) or not re.fullmatch(r"[\w.@+-]{1,150}", name):
            raise ScimRefusal(
                400, "userName is 1 to 150 letters, digits and @.+-_ .", "invalidValue"
            )
        attributes["userName"] = name
    for key in ("externalId", "name", "emails", "active"):
        if key in body:
            attributes[key] = body[key]
    _check_user_values(attributes)
    return attributes


def _check_user_values(attributes: dict[str, Any]) -> None:
    if "active" in attributes:
        attributes["active"] = _boolean(attributes["active"])
    if "externalId" in attributes and not isinstance(attributes["externalId"], str | None):
        raise ScimRefusal(400, "externalId is a string.", "invalidValue")
    if "name" in attributes and not isinstance(attributes["name"], dict):
        raise ScimRefusal(400, "name is an object.", "invalidValue")
    emails = attributes.get("emails", [])
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise ScimRefusal(400, "emails is a list of objects.", "invalidValue")


def _boolean(value: Any) -> bool:
    """A SCIM boolean; Entra ID sends "True" and "False" as strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ScimRefusal(400, "active is true or false.", "invalidValue")


@scim_view
def users(request: HttpRequest, provider: str) -> HttpResponse:
    if request.method == "POST":
        person = provisioning.person_create(provider, _user_attributes(_body(request), False))
        body = _user_json(person)
        return _answer(body, 201, body["meta"]["location"])
    if request.method != "GET":
        return _error(405, "Users takes GET and POST.")
    start, count = _page(request)
    people = _people(provider).order_by("user_id")
    wanted = _filtered(request, "users")
    if wanted is not None:
        field, value = wanted
        people = (
            people.filter(user__username=value)
            if field == "userName"
            else people.filter(external_id=value)
        )
    total = people.count()
    page = people.prefetch_related("user__scim_groups")[start - 1 : start - 1 + count]
    return _listed([_user_json(p) for p in page], total, start)


@scim_view
def user(request: HttpRequest, provider: str, pk: str) -> HttpResponse:
    person = _person(provider, pk)
    if request.method == "GET":
        return _answer(_user_json(person))
    if request.method == "PUT":
        attributes = _user_attributes(_body(request), False)
        return _answer(_user_json(provisioning.person_update(person, attributes)))
    if request.method == "PATCH":
        attributes = _user_patch(_body(request))
        return _answer(_user_json(provisioning.person_update(person, attributes)))
    if request.method == "DELETE":
        provisioning.person_delete(person)
        return _answer(None, 204)
    return _error(405, "A User takes GET, PUT, PATCH and DELETE.")


def _operations(body: dict[str, Any]) -> list[dict[str, Any]]:
    operations = body.get("Operations")
    if PATCH not in (body.get("schemas") or []) or not isinstance(operations, list):
        raise ScimRefusal(400, "A PATCH is a PatchOp with Operations.", "invalidSyntax")
    if not operations or len(operations) > 100 or not all(isinstance(o, dict) for o in operations):
        raise ScimRefusal(400, "Operations is a list of 1 to 100 objects.", "invalidSyntax")
    for operation in operations:
        if str(operation.get("op", "")).lower() not in ("add", "replace", "remove"):
            raise ScimRefusal(400, "op is add, replace or remove.", "invalidSyntax")
    return operations


def _parts(operation: dict[str, Any]) -> tuple[str, Any, Any]:
    return str(operation["op"]).lower(), operation.get("path"), operation.get("value")


def _user_patch(body: dict[str, Any]) -> dict[str, Any]:
    """The attributes a User PatchOp sets (add and replace; removing is not supported)."""
    attributes: dict[str, Any] = {}
    for operation in _operations(body):
        op, path, value = _parts(operation)
        if op == "remove":
            raise ScimRefusal(400, "Removing User attributes is not supported.", "mutability")
        if path is None and isinstance(value, dict):
            attributes.update(value)
        elif isinstance(path, str) and path in ("active", "userName", "externalId", "emails"):
            attributes[path] = value
        elif isinstance(path, str) and path in ("name.givenName", "name.familyName"):
            attributes.setdefault("name", {})[path.split(".")[1]] = value
        else:
            raise ScimRefusal(400, f"The path {path!r} cannot be patched here.", "invalidPath")
    kept = {k: v for k, v in attributes.items() if k in USER_FIELDS}
    if "userName" in kept and (not isinstance(kept["userName"], str) or not kept["userName"]):
        raise ScimRefusal(400, "userName is a non-empty string.", "invalidValue")
    _check_user_values(kept)
    return kept


# Groups


def _group_json(group: ScimGroup) -> dict[str, Any]:
    return {
        "schemas": [GROUP],
        "id": str(group.pk),
        "externalId": group.external_id or None,
        "displayName": group.display_name,
        "members": [
            {"value": str(member.pk), "display": member.username} for member in group.members.all()
        ],
        "meta": {
            "resourceType": "Group",
            "created": group.created_at.isoformat(),
            "lastModified": group.modified_at.isoformat(),
            "location": _located(f"/scim/v2/Groups/{group.pk}"),
        },
    }


def _group(provider: str, pk: str) -> ScimGroup:
    found = ScimGroup.objects.filter(provider=provider, pk=pk).first() if _is_id(pk) else None
    if found is None:
        raise ScimRefusal(404, f"No group {pk}.")
    return found


def _members(provider: str, value: Any) -> list[User]:
    """The people a members list names: each must be one this provider provisioned."""
    if not isinstance(value, list) or len(value) > MAX_MEMBERS:
        raise ScimRefusal(400, f"members is a list of at most {MAX_MEMBERS}.", "invalidValue")
    ids = [str(m.get("value", "")) if isinstance(m, dict) else "" for m in value]
    if not all(_is_id(i) for i in ids):
        raise ScimRefusal(400, 'Each member is {"value": "<user id>"}.', "invalidValue")
    people = {str(p.user_id): p.user for p in _people(provider).filter(user_id__in=ids)}
    unknown = [i for i in ids if i not in people]
    if unknown:
        raise ScimRefusal(400, f"No user {unknown[0]} to add as a member.", "invalidValue")
    return list(people.values())


def _group_fields(provider: str, body: dict[str, Any]) -> tuple[str, str, list[User]]:
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise ScimRefusal(400, "displayName is 1 to 255 characters.", "invalidValue")
    external_id = body.get("externalId") or ""
    if not isinstance(external_id, str):
        raise ScimRefusal(400, "externalId is a string.", "invalidValue")
    return name, external_id, _members(provider, body.get("members") or [])


@scim_view
def groups(request: HttpRequest, provider: str) -> HttpResponse:
    if request.method == "POST":
        group = provisioning.group_save(provider, None, *_group_fields(provider, _body(request)))
        body = _group_json(group)
        return _answer(body, 201, body["meta"]["location"])
    if request.method != "GET":
        return _error(405, "Groups takes GET and POST.")
    start, count = _page(request)
    found = ScimGroup.objects.filter(provider=provider).order_by("pk")
    wanted = _filtered(request, "groups")
    if wanted is not None:
        field, value = wanted
        found = (
            found.filter(display_name=value)
            if field == "displayName"
            else found.filter(external_id=value)
        )
    total = found.count()
    page = found.prefetch_related("members")[start - 1 : start - 1 + count]
    return _listed([_group_json(g) for g in page], total, start)


@scim_view
def group(request: HttpRequest, provider: str, pk: str) -> HttpResponse:
    found = _group(provider, pk)
    if request.method == "GET":
        return _answer(_group_json(found))
    if request.method == "PUT":
        fields = _group_fields(provider, _body(request))
        return _answer(_group_json(provisioning.group_save(provider, found, *fields)))
    if request.method == "PATCH":
        _group_patch(provider, found, _body(request))
        found.refresh_from_db()
        return _answer(_group_json(found))
    if request.method == "DELETE":
        provisioning.group_delete(found)
        return _answer(None, 204)
    return _error(405, "A Group takes GET, PUT, PATCH and DELETE.")


def _group_patch(provider: str, group: ScimGroup, body: dict[str, Any]) -> None:
    """Apply a Group PatchOp: members added, replaced or removed, the name replaced."""
    current = {member.pk: member for member in group.members.all()}
    final, name = dict(current), group.display_name
    for operation in _operations(body):
        op, path, value = _parts(operation)
        text = path if isinstance(path, str) else ""
        one = MEMBER_PATH.match(text)
        if text.lower() == "members" and op == "add":
            final.update({user.pk: user for user in _members(provider, value)})
        elif text.lower() == "members" and op == "replace":
            final = {user.pk: user for user in _members(provider, value)}
        elif text.lower() == "members" and op == "remove":
            gone = _members(provider, value) if value else list(final.values())
            for user in gone:
                final.pop(user.pk, None)
        elif one and op == "remove":
            final.pop(int(one.group(1)) if _is_id(one.group(1)) else -1, None)
        elif text == "displayName" and op in ("add", "replace") and isinstance(value, str):
            name = value
        elif path is None and op == "replace" and isinstance(value, dict):
            name = str(value.get("displayName", name))
        else:
            raise ScimRefusal(400, f"The path {path!r} cannot be patched here.", "invalidPath")
    if not name.strip() or len(name) > 255:
        raise ScimRefusal(400, "displayName is 1 to 255 characters.", "invalidValue")
    if name != group.display_name:
        provisioning.group_save(provider, group, name, group.external_id, list(final.values()))
        return
    adding = [user for pk, user in final.items() if pk not in current]
    removing = [user for pk, user in current.items() if pk not in final]
    if adding or removing:
        provisioning.group_members_change(group, adding, removing)


# Discovery


def _discovery(body: Any) -> Callable[..., HttpResponse]:
    @scim_view
    def answer(request: HttpRequest, provider: str) -> HttpResponse:
        return _answer(body)

    return answer


service_provider_config = _discovery(
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_COUNT},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "The token `manage.py create_scim_token <provider>` printed.",
            }
        ],
    }
)
resource_types = _discovery(
    {
        "schemas": [LIST],
        "totalResults": 2,
        "Resources": [
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                "id": "User",
                "name": "User",
                "endpoint": "/Users",
                "schema": USER,
            },
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                "id": "Group",
                "name": "Group",
                "endpoint": "/Groups",
                "schema": GROUP,
            },
        ],
    }
)


def _attribute(name: str, kind: str = "string", **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "multiValued": False,
        "required": False,
        "mutability": "readWrite",
        "returned": "default",
        **more,
    }


schemas = _discovery(
    {
        "schemas": [LIST],
        "totalResults": 2,
        "Resources": [
            {
                "id": USER,
                "name": "User",
                "attributes": [
                    _attribute("userName", required=True, uniqueness="server"),
                    _attribute("name", "complex"),
                    _attribute("emails", "complex", multiValued=True),
                    _attribute("active", "boolean"),
                    _attribute("groups", "complex", multiValued=True, mutability="readOnly"),
                ],
            },
            {
                "id": GROUP,
                "name": "Group",
                "attributes": [
                    _attribute("displayName", required=True, uniqueness="server"),
                    _attribute("members", "complex", multiValued=True),
                ],
            },
        ],
    }
)
