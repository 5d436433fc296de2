"""The Exstream sandbox's default mode: the Design API (DAS) and the OTDS token as OpenText
publishes them (`manage.py sandbox exstream [--api das]`; sandboxes/exstream.py lists the
endpoints).

The shapes follow OpenText's public SDK sample, repository `opentext/ocp-communication`, folder
`Samples/Communications SDK/`: `DasService` and `DasUriBuilder` (paths, query parameters, which
calls are paged), `OtdsService` and `OtdsUriBuilder` (the token paths and form), the DTOs
`DasResourceVersion`, `DasDomain`, `DasLink`, `ResourceFilter`, `PageInfo`, `SimplePage`,
`BackendServiceVersionInfo`, `WorkflowRequestBody`, `ExstreamErrorResponse` and
`OtdsTokenResponse`, the enums `WorkflowState` and `ResourceType`; and, at the repository's
root, the Postman collection `communication_service_collection.postman_collection.json` (the
`rfilter.*` and `count`/`offset` query strings). The code and the data here are the sandbox's
own.

Where that material is silent, the sandbox decides, and says so here:
- `offset` counts items skipped; `page.pageOffset` repeats it, `page.currentPageNumber` is
  `offset // count` (from 0). `count` is 1 to 1000 (100 if absent), `offset` 0 to 10^9;
  anything else is a 400.
- `filter.latestVersion` is true when absent. With `filter.states`, the state filter applies
  first: `filter.states=APPROVED&filter.latestVersion=true` gives each resource's newest
  APPROVED version, even when a newer DRAFT exists.
- Names are not unique: a create sent twice makes two resources (the public material does not
  say DAS refuses a second one), so a client that creates twice shows in the answers.
- `locked` is kept and shown, not enforced. Only the latest version of a resource moves, and
  only a DRAFT takes new content.
- `errorCode` numbers are the sandbox's own; `details` carries the sandbox's short reason
  (`invalid_transition`, `not_draft`, `unknown_domain`, ...).
- Links belong to a subject's version; APPROVED -> DRAFT copies them to the new version.
  `GET /links` follows links from the subject's latest version (`linkSubjectVersion` picks
  another at the first level; `filter.latestVersion=false` follows every version's);
  `filter.types` and `filter.states` choose which links are shown by their object's type and
  latest state, not where the walk goes. `GET /links/{domain}/resources` answers every subject
  version that links to the object, or to a resource found at a lower level, `rfilter.*`
  choosing by the version's own type and state.
- The token answer's `refresh_token` is random; no refresh grant is served (the SDK asks for
  a new token instead). Tokens live `token_ttl` seconds; createdBy and lastModifiedBy name
  whom the token was issued to (the client id, or the service account's username).
- DAS's published calls never return a version's bytes; `GET /_sandbox/content/{id}/{version}`
  does, for tests.
- Slots: DAS has no slot names publicly. The sandbox keeps one on each link for its own
  endpoints (`GET|POST /_sandbox/links`); no `/design` answer shows it.
- Links may name their object instead of pointing at it: such a link reaches every resource
  of the domain whose name is the given name or starts with it followed by "/". Govern names
  the images it pushes `<asset key>/<variant>/<profile>`, so a seeded link naming
  `insurance.logo.primary` reaches each of that asset's images once Govern has pushed them.

Seeded into the first domain (again on `POST /_sandbox/reset`): Govern's demo templates for the
units `insurance` and `banking` as APPROVED version 1 resources with stable ids, named by their
exstream id (`INSURANCE-FOOTER`), described by their title: the component `*-FOOTER` (image slot
`footer_logo`: the unit's `*.logo.primary`), the communications `*-POLICY-LETTER` (the footer),
`*-STATEMENT` (the footer; `rates_disclaimer`: `*.disclaimer.rates`), `*-WELCOME-LETTER`
(`letterhead_logo`: `*.logo.primary`) and `*-RENEWAL-MAILING` (`hero`:
`*.campaign.renewal-hero`).
"""

import json
import math
import re
import secrets
import sqlite3
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sandboxes.common import (
    CHANGED_OUTCOMES,
    Answer,
    Database,
    Fault,
    Faults,
    FaultSettings,
    Part,
    Problem,
    Reply,
    Request,
    Route,
    now,
    parse_multipart,
    resolve,
    route,
    same,
)
from sandboxes.orchestration import (
    GENERATE,
    ORCHESTRATION,
    Driver,
    Piece,
    Switches,
    apply_edits,
    choose,
    generate_reply,
    local_image,
    read_driver,
    render,
)
from sandboxes.production import Govern, run_request

DESIGN = "/design"
BASE = DESIGN + "/api/v1"
STATES = ("DRAFT", "REVIEW", "APPROVED", "REJECTED")
MOVES = {
    "standard": frozenset(
        {
            *(("DRAFT", "REVIEW"), ("REVIEW", "APPROVED"), ("REVIEW", "REJECTED")),
            *(("REJECTED", "DRAFT"), ("APPROVED", "DRAFT")),
        }
    ),
    "simple": frozenset({("DRAFT", "APPROVED"), ("APPROVED", "DRAFT")}),
}
NEXT_VERSION = ("APPROVED", "DRAFT")  # the move that starts the next version
COMMUNICATION, COMPONENT, IMAGE = "exstrapplication", "exstrcomponentobj", "image"
DEFAULT_COUNT, MAX_COUNT, MAX_OFFSET, MAX_DEPTH = 100, 1000, 10**9, 10
MAX_NAME, MAX_COMMENT, MAX_VALUES, MAX_LINKS = 255, 4000, 50, 100
SCOPE = "otds:groups"
WRITES = ("POST", "PUT")
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # domains, resource types and subtypes
VERSION_INFO = {
    "apiIdentifier": "design-sandbox",
    "major": "1",
    "minor": "0",
    "patch": "0",
    "versionString": "1.0.0-sandbox",
}
ERROR_CODES = {
    "invalid_request": 40000,
    "invalid_token": 40100,
    "not_found": 40400,
    "unknown_domain": 40401,
    "unknown_resource": 40402,
    "method_not_allowed": 40500,
    "invalid_transition": 40900,
    "not_draft": 40901,
    "unavailable": 50300,
}
SEED_NAMESPACE = uuid.UUID("d86fe66a-8f42-40fe-8677-588d2a06654b")
SEED_UNITS = ("insurance", "banking")


@dataclass(frozen=True)
class Seed:
    """A demo template: its name after the unit's prefix, and what it links to."""

    suffix: str
    type: str
    description: str
    images: tuple[tuple[str, str], ...] = ()  # (slot, asset key after the unit's prefix)
    components: tuple[str, ...] = ()  # suffixes of seeded components


SEEDS = (
    Seed("FOOTER", COMPONENT, "Letter footer", images=(("footer_logo", "logo.primary"),)),
    Seed("POLICY-LETTER", COMMUNICATION, "Policy letter", components=("FOOTER",)),
    Seed(
        "STATEMENT",
        COMMUNICATION,
        "Annual statement",
        images=(("rates_disclaimer", "disclaimer.rates"),),
        components=("FOOTER",),
    ),
    Seed("WELCOME-LETTER", COMMUNICATION, "Welcome letter", (("letterhead_logo", "logo.primary"),)),
    Seed("RENEWAL-MAILING", COMMUNICATION, "Renewal mailing", (("hero", "campaign.renewal-hero"),)),
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS das_resources (
    id TEXT PRIMARY KEY,
    domain TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    subtype TEXT
);
CREATE TABLE IF NOT EXISTS das_versions (
    resource_id TEXT NOT NULL REFERENCES das_resources (id),
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    state_comment TEXT NOT NULL,
    description TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_date TEXT NOT NULL,
    last_modified_by TEXT NOT NULL,
    last_modified_date TEXT NOT NULL,
    locked INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (resource_id, version)
);
CREATE TABLE IF NOT EXISTS das_links (
    seq INTEGER PRIMARY KEY,
    domain TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    subject_version INTEGER NOT NULL,
    object_id TEXT,
    object_name TEXT,
    slot TEXT
);
CREATE TABLE IF NOT EXISTS das_principals (
    token TEXT PRIMARY KEY,
    principal TEXT NOT NULL
);
"""
VERSION_SELECT = (
    "SELECT r.id, r.name, r.type, r.subtype, v.version, v.state, v.state_comment,"
    " v.description, v.created_by, v.created_date, v.last_modified_by, v.last_modified_date,"
    " v.locked FROM das_versions v JOIN das_resources r ON r.id = v.resource_id"
)


@dataclass(frozen=True)
class Domain:
    id: str
    workflow: str = "standard"
    job_tracing: bool = False

    def body(self) -> dict[str, Any]:
        """Return the domain as DAS shows it (DasDomain)."""
        return {
            "id": self.id,
            "production": False,
            "jobTracing": self.job_tracing,
            "workflow": self.workflow,
            "restrictApproval": False,
            "parent": None,
        }


def parse_domain(text: str) -> Domain:
    """Read `NAME[:simple|:standard][:tracing]`; ValueError says what is wrong."""
    name, *options = text.split(":")
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"{name!r} is not a domain name (letters, digits, '_', '.', '-')")
    unknown = sorted(set(options) - {"simple", "standard", "tracing"})
    if unknown:
        raise ValueError(f"unknown domain options: {', '.join(unknown)}")
    if {"simple", "standard"} <= set(options):
        raise ValueError(f"domain {name} cannot have both workflows")
    return Domain(name, "simple" if "simple" in options else "standard", "tracing" in options)


@dataclass(frozen=True)
class Accounts:
    """Who may have a token: the OTDS tenant, the OAuth client and the service account."""

    tenant: str = "govern"
    client_id: str = "govern"
    client_secret: str = "sandbox-secret"  # noqa: S105 - the sandbox's documented default
    username: str = "govern-service"
    password: str = "sandbox-password"  # noqa: S105 - the sandbox's documented default
    token_ttl: int = 300

    def grant(self, form: dict[str, str]) -> str:
        """Return whom a token request's grant names, or raise a Refusal saying why not."""
        client = form.get("client_id", "")
        if form.get("grant_type") == "client_credentials":
            if not (
                same(client, self.client_id)
                and same(form.get("client_secret", ""), self.client_secret)
            ):
                raise Refusal(401, "invalid_client", "unknown client or wrong secret")
            principal = client
        elif form.get("grant_type") == "password":
            if not same(client, self.client_id):
                raise Refusal(401, "invalid_client", "unknown client")
            if not (
                same(form.get("username", ""), self.username)
                and same(form.get("password", ""), self.password)
            ):
                raise Refusal(401, "invalid_grant", "wrong username or password")
            principal = self.username
        else:
            raise Refusal(400, "unsupported_grant_type", "use password or client_credentials")
        if SCOPE not in form.get("scope", "").split():
            raise Refusal(400, "invalid_scope", f"the scope must include {SCOPE}")
        return principal


class Refusal(Exception):
    """A token request OTDS refuses; answered with OAuth's {error, error_description}."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def _form(body: bytes) -> dict[str, str]:
    try:
        fields = parse_qs(body.decode(), max_num_fields=20)
    except (UnicodeDecodeError, ValueError) as error:
        raise Refusal(400, "invalid_request", "the body must be a URL-encoded form") from error
    return {name: values[0] for name, values in fields.items()}


@dataclass(frozen=True)
class Edge:
    """A link resolved to its object: subject (at a version) -> object."""

    subject: str
    version: int
    object: str


@dataclass
class LinkGraph:
    """A domain's resource versions and links, for walking the links either way."""

    versions: dict[tuple[str, int], dict[str, Any]]
    latest: dict[str, dict[str, Any]]
    named: dict[str, list[str]]  # every name a named link may give -> the resources it reaches
    edges: list[Edge] = field(default_factory=list)
    from_subject: dict[str, list[Edge]] = field(default_factory=dict)

    @classmethod
    def build(cls, versions: list[dict[str, Any]], links: list[sqlite3.Row]) -> "LinkGraph":
        latest = {version["id"]: version for version in versions}  # ascending: the newest wins
        named: dict[str, list[str]] = defaultdict(list)
        for resource in sorted(latest.values(), key=_order):
            for prefix in _prefixes(resource["name"]):
                named[prefix].append(resource["id"])
        graph = cls({(v["id"], v["version"]): v for v in versions}, latest, dict(named))
        for link in links:
            for target in graph.reach(link):
                edge = Edge(link["subject_id"], link["subject_version"], target)
                graph.edges.append(edge)
                graph.from_subject.setdefault(edge.subject, []).append(edge)
        return graph

    def reach(self, link: sqlite3.Row) -> list[str]:
        """Return the resources a link reaches now: its object, or all that its name reaches."""
        if link["object_id"]:
            objects = [link["object_id"]]
        else:
            objects = self.named.get(link["object_name"], [])
        return [each for each in objects if each != link["subject_id"] and each in self.latest]

    def forward(
        self, subject: str, version: int | None, depth: int, every_version: bool
    ) -> list[Edge]:
        """Return the links from the subject, then from their objects, `depth` levels deep."""
        found: dict[Edge, None] = {}
        frontier, seen = [subject], {subject}
        for level in range(depth):
            following = []
            for node in frontier:
                wanted = version if level == 0 and version is not None else None
                if wanted is None and not every_version:
                    wanted = self.latest[node]["version"]
                for edge in self.from_subject.get(node, []):
                    if wanted is not None and edge.version != wanted:
                        continue
                    found.setdefault(edge)
                    if edge.object not in seen:
                        seen.add(edge.object)
                        following.append(edge.object)
            frontier = following
        return list(found)

    def users(self, target: str, depth: int) -> list[dict[str, Any]]:
        """Return the subject versions that link to the target, or to one of these, recursively."""
        found: dict[tuple[str, int], dict[str, Any]] = {}
        frontier, seen = {target}, {target}
        for _level in range(depth):
            linking = [edge for edge in self.edges if edge.object in frontier]
            for edge in linking:
                if (edge.subject, edge.version) in self.versions:
                    found[edge.subject, edge.version] = self.versions[edge.subject, edge.version]
            frontier = {edge.subject for edge in linking} - seen
            seen |= frontier
        return sorted(found.values(), key=_order)


def _prefixes(name: str) -> list[str]:
    """Return "a", "a/b" and "a/b/c" for "a/b/c": the names a named link reaches it by."""
    parts = name.split("/")
    return ["/".join(parts[: end + 1]) for end in range(len(parts))]


def _order(version: dict[str, Any]) -> tuple[str, str, int]:
    return version["name"], version["id"], version["version"]


def _das(row: sqlite3.Row) -> dict[str, Any]:
    """Return a version row as DAS shows it (DasResourceVersion)."""
    return {
        "id": row["id"],
        "version": row["version"],
        "name": row["name"],
        "type": row["type"],
        "state": row["state"],
        "stateComment": row["state_comment"],
        "description": row["description"],
        "createdBy": row["created_by"],
        "createdDate": row["created_date"],
        "lastModifiedBy": row["last_modified_by"],
        "lastModifiedDate": row["last_modified_date"],
        "metadata": {"subtype": row["subtype"]},
        "locked": bool(row["locked"]),
    }


class Store(Database):
    """The DAS mode's SQLite state: resources and their versions, links, tokens and their
    principals, the write log, and the manifests production runs read last."""

    def __init__(self, path: Path, seed_domain: str) -> None:
        super().__init__(path, SCHEMA)
        self.seed_domain = seed_domain
        with self.transaction():
            seeded = self._connection.execute(
                "SELECT 1 FROM das_resources WHERE domain = ? LIMIT 1", (seed_domain,)
            ).fetchone()
            if seeded is None:
                self._seed()

    def reset(self) -> None:
        """Forget every resource, link and write; seed the demo templates afresh."""
        with self.transaction():
            for table in ("das_links", "das_versions", "das_resources"):
                self._connection.execute(f"DELETE FROM {table}")  # noqa: S608 - names above
            self.forget_writes()
            self._seed()

    def _seed(self) -> None:
        for unit in SEED_UNITS:
            for seed in SEEDS:
                name = f"{unit.upper()}-{seed.suffix}"
                resource = str(uuid.uuid5(SEED_NAMESPACE, f"{self.seed_domain}/{name}"))
                self.insert(
                    resource=resource,
                    domain=self.seed_domain,
                    name=name,
                    kind=seed.type,
                    state="APPROVED",
                    description=seed.description,
                    upload=_placeholder(name),
                    principal="sandbox",
                )
                for slot, key in seed.images:
                    self.add_link(self.seed_domain, resource, 1, None, f"{unit}.{key}", slot)
                for component in seed.components:
                    target = f"{self.seed_domain}/{unit.upper()}-{component}"
                    self.add_link(
                        self.seed_domain, resource, 1, str(uuid.uuid5(SEED_NAMESPACE, target))
                    )

    def issue(self, principal: str, ttl_seconds: int) -> str:
        """Issue a bearer token for `principal` (who createdBy and lastModifiedBy name)."""
        token = self.issue_token(ttl_seconds)
        with self.transaction():
            self._connection.execute(
                "DELETE FROM das_principals WHERE token NOT IN (SELECT token FROM tokens)"
            )
            self._connection.execute(
                "INSERT INTO das_principals (token, principal) VALUES (?, ?)", (token, principal)
            )
        return token

    def principal(self, token: str) -> str | None:
        """Return whom an unexpired token was issued to, or None."""
        if not token or not self.token_valid(token):
            return None
        with self.transaction():
            row = self._connection.execute(
                "SELECT principal FROM das_principals WHERE token = ?", (token,)
            ).fetchone()
        return None if row is None else str(row["principal"])

    def versions(self, domain: str) -> list[dict[str, Any]]:
        """Return every version of the domain's resources, by name, id and version."""
        with self.transaction():
            rows = self._connection.execute(
                VERSION_SELECT + " WHERE r.domain = ? ORDER BY r.name, r.id, v.version", (domain,)
            ).fetchall()
        return [_das(row) for row in rows]

    def latest(self, domain: str, resource: str) -> dict[str, Any] | None:
        with self.transaction():
            row = self._connection.execute(
                VERSION_SELECT + " WHERE r.domain = ? AND r.id = ? ORDER BY v.version DESC LIMIT 1",
                (domain, resource),
            ).fetchone()
        return None if row is None else _das(row)

    def named(self, domain: str, name: str) -> list[str]:
        """Return the ids of the domain's resources called `name`."""
        with self.transaction():
            rows = self._connection.execute(
                "SELECT id FROM das_resources WHERE domain = ? AND name = ? ORDER BY id",
                (domain, name),
            ).fetchall()
        return [row["id"] for row in rows]

    def insert(
        self,
        *,
        resource: str,
        domain: str,
        name: str,
        kind: str,
        upload: Part,
        principal: str,
        state: str = "DRAFT",
        description: str = "",
        subtype: str | None = None,
    ) -> None:
        """Create a resource with its version 1."""
        at = now()
        with self.transaction():
            self._connection.execute(
                "INSERT INTO das_resources (id, domain, name, type, subtype)"
                " VALUES (?, ?, ?, ?, ?)",
                (resource, domain, name, kind, subtype),
            )
            self._connection.execute(
                "INSERT INTO das_versions (resource_id, version, state, state_comment,"
                " description, created_by, created_date, last_modified_by, last_modified_date,"
                " locked, content_type, content) VALUES (?, 1, ?, '', ?, ?, ?, ?, ?, 0, ?, ?)",
                (
                    *(resource, state, description, principal, at, principal, at),
                    *(upload.content_type or "application/octet-stream", upload.content),
                ),
            )

    def replace_content(self, resource: str, version: int, upload: Part, principal: str) -> None:
        with self.transaction():
            self._connection.execute(
                "UPDATE das_versions SET content = ?, content_type = ?, last_modified_by = ?,"
                " last_modified_date = ? WHERE resource_id = ? AND version = ?",
                (
                    *(upload.content, upload.content_type or "application/octet-stream"),
                    *(principal, now(), resource, version),
                ),
            )

    def set_state(
        self, resource: str, version: int, state: str, comment: str, locked: bool, principal: str
    ) -> None:
        with self.transaction():
            self._connection.execute(
                "UPDATE das_versions SET state = ?, state_comment = ?, locked = ?,"
                " last_modified_by = ?, last_modified_date = ?"
                " WHERE resource_id = ? AND version = ?",
                (state, comment, locked, principal, now(), resource, version),
            )

    def next_version(
        self, resource: str, version: int, comment: str, locked: bool, principal: str
    ) -> None:
        """Start version+1 as a DRAFT copy of `version`, its bytes and links; `version` stays."""
        at = now()
        with self.transaction():
            self._connection.execute(
                "INSERT INTO das_versions (resource_id, version, state, state_comment,"
                " description, created_by, created_date, last_modified_by, last_modified_date,"
                " locked, content_type, content) SELECT resource_id, version + 1, 'DRAFT', ?,"
                " description, ?, ?, ?, ?, ?, content_type, content FROM das_versions"
                " WHERE resource_id = ? AND version = ?",
                (comment, principal, at, principal, at, locked, resource, version),
            )
            self._connection.execute(
                "INSERT INTO das_links (domain, subject_id, subject_version, object_id,"
                " object_name, slot) SELECT domain, subject_id, subject_version + 1, object_id,"
                " object_name, slot FROM das_links WHERE subject_id = ? AND subject_version = ?"
                " ORDER BY seq",
                (resource, version),
            )

    def add_link(
        self,
        domain: str,
        subject: str,
        version: int,
        object_id: str | None,
        object_name: str | None = None,
        slot: str | None = None,
    ) -> dict[str, Any]:
        with self.transaction():
            self._connection.execute(
                "INSERT INTO das_links (domain, subject_id, subject_version, object_id,"
                " object_name, slot) VALUES (?, ?, ?, ?, ?, ?)",
                (domain, subject, version, object_id, object_name, slot),
            )
        return {
            "subject": subject,
            "subjectVersion": version,
            "object": object_id,
            "objectName": object_name,
            "slot": slot,
        }

    def content(self, resource: str, version: int) -> Part | None:
        with self.transaction():
            row = self._connection.execute(
                "SELECT content_type, content FROM das_versions"
                " WHERE resource_id = ? AND version = ?",
                (resource, version),
            ).fetchone()
        return None if row is None else Part(row["content_type"], bytes(row["content"]))

    def approved(self, resource: str) -> list[tuple[int, Part]]:
        """Return the resource's APPROVED versions with their bytes, newest first."""
        with self.transaction():
            rows = self._connection.execute(
                "SELECT version, content_type, content FROM das_versions"
                " WHERE resource_id = ? AND state = 'APPROVED' ORDER BY version DESC",
                (resource,),
            ).fetchall()
        return [(row["version"], Part(row["content_type"], bytes(row["content"]))) for row in rows]

    def links(self, domain: str) -> list[sqlite3.Row]:
        with self.transaction():
            return self._connection.execute(
                "SELECT subject_id, subject_version, object_id, object_name, slot FROM das_links"
                " WHERE domain = ? ORDER BY seq",
                (domain,),
            ).fetchall()

    def graph(self, domain: str) -> LinkGraph:
        with self.transaction():
            return LinkGraph.build(self.versions(domain), self.links(domain))


def _placeholder(name: str) -> Part:
    """Return the bytes of a seeded template: the sandbox designs nothing."""
    return Part("application/json", json.dumps({"sandbox": "seeded", "name": name}).encode())


@dataclass(frozen=True)
class DasFaults(Faults):
    """The common faults, and a write applied then answered 502, as a gateway in front of DAS
    answers when the service behind it finished but the connection to it broke."""

    applied_error_rate: float = 0.0

    def shares(self) -> tuple[tuple[Fault, float], ...]:
        return (*super().shares(), (Fault.APPLIED_ERROR, self.applied_error_rate))


class Sandbox:
    """The simulated Design API: routes a request, applies faults under /design, logs writes."""

    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        domains: Sequence[Domain],
        faults: Faults,
        seed: int | None,
        govern: Govern | None = None,
    ) -> None:
        if not domains:
            raise ValueError("the sandbox needs at least one domain")
        self.domains = {domain.id: domain for domain in domains}
        if len(self.domains) != len(domains):
            raise ValueError("a domain is given twice")
        self.store = store
        self.accounts = accounts
        self.govern = govern
        self.faults = FaultSettings(DasFaults(**asdict(faults)), seed)
        in_domain = r"/(?P<domain>[^/]+)"
        resource = BASE + r"/resources" + in_domain + r"/(?P<id>[^/]+)"
        self._design_routes = [
            route("GET", BASE + r"/version", self._version),
            route("GET", BASE + r"/domains", self._domains),
            route("GET", BASE + r"/resources" + in_domain, self._resources),
            route("POST", BASE + r"/resources" + in_domain + r"/content", self._create),
            route("PUT", resource + r"/content", self._replace_content),
            route("PUT", resource + r"/state", self._change_state),
            route("GET", BASE + r"/links" + in_domain, self._links),
            route("GET", BASE + r"/links" + in_domain + r"/resources", self._users),
        ]
        self.output = Switches()
        self._orchestration_routes = [
            route("GET", ORCHESTRATION + r"/version", self._version),
            route("POST", GENERATE, self._generate),
        ]
        self._routes: list[Route] = [
            route("GET", r"/_sandbox/output", self._get_output),
            route("POST", r"/_sandbox/output", self._set_output),
            route("POST", r"/otdsws/otdstenant/(?P<tenant>[^/]+)/oauth2/token", self._token),
            route("POST", r"/otdstenant/(?P<tenant>[^/]+)/oauth2/token", self._token),
            route("GET", r"/_sandbox/health", self._health),
            route("GET", r"/_sandbox/writes", self._writes),
            route("POST", r"/_sandbox/reset", self._reset),
            route("GET", r"/_sandbox/faults", self._get_faults),
            route("POST", r"/_sandbox/faults", self._set_faults),
            route("POST", r"/_sandbox/runs", self._run),
            route("POST", r"/_sandbox/resources", self._seed_resource),
            route("GET", r"/_sandbox/links", self._sandbox_links),
            route("POST", r"/_sandbox/links", self._add_link),
            route("GET", r"/_sandbox/content/(?P<id>[^/]+)/(?P<version>\d{1,9})", self._content),
        ]

    def summary(self) -> str:
        """Say where the API and the token are, for the sandbox's first lines."""
        tenant = self.accounts.tenant
        domains = ", ".join(f"{domain.id} ({domain.workflow})" for domain in self.domains.values())
        return (
            f"DAS under {BASE}, domains {domains}; OTDS token at"
            f" /otdsws/otdstenant/{tenant}/oauth2/token and /otdstenant/{tenant}/oauth2/token"
        )

    def respond(self, request: Request) -> Answer:
        """Answer one request; one under /design first waits and draws its fault."""
        if request.path.startswith(ORCHESTRATION + "/"):
            return Answer(self._orchestrate(request))
        if request.path != DESIGN and not request.path.startswith(DESIGN + "/"):
            return Answer(self._dispatch(request))
        faults = self.faults.current
        time.sleep(faults.latency_ms / 1000)
        fault = self.faults.draw(faults)
        if request.method in WRITES:
            reply = self._write(request, fault)
        elif fault in (Fault.ERROR, Fault.APPLIED_ERROR):
            reply = self._unavailable(request)
        else:
            reply = self._design(request)
        delay = faults.timeout_seconds if fault is Fault.TIMEOUT else 0.0
        return Answer(reply, delay_seconds=delay, drop=fault is Fault.DROP)

    def _write(self, request: Request, fault: Fault) -> Reply:
        """Apply a write each time it arrives (DAS has no idempotency key) and log it."""
        with self.store.transaction():
            if fault is Fault.ERROR:
                reply, outcome = self._unavailable(request), "failed"
            else:
                reply = self._design(request)
                outcome = "rejected" if reply.status >= 400 else CHANGED_OUTCOMES[fault]
            self.store.log_write(request, None, reply, outcome, fault)
        if fault is Fault.APPLIED_ERROR and reply.status < 400:
            return _error(request, Problem(502, "bad_gateway", "the upstream answer was lost"))
        return reply

    def _dispatch(self, request: Request) -> Reply:
        try:
            action, params = resolve(self._routes, request)
            return action(request, params)
        except Problem as problem:
            return problem.reply()

    def _design(self, request: Request) -> Reply:
        """Answer a request under /design; every refusal gets DAS's error body."""
        try:
            self._principal(request)
            action, params = resolve(self._design_routes, request)
            return action(request, params)
        except Problem as problem:
            return _error(request, problem)

    def _orchestrate(self, request: Request) -> Reply:
        """Answer a request to Orchestration; refusals get the same error body as DAS's."""
        try:
            self._principal(request)
            action, params = resolve(self._orchestration_routes, request)
            return action(request, params)
        except Problem as problem:
            return _error(request, problem)

    def _generate(self, request: Request, params: dict[str, str]) -> Reply:
        """Produce one document on demand (sandboxes/orchestration.py says how)."""
        switches = self.output.current
        if switches.unavailable:
            raise Problem(503, "unavailable", "the sandbox is switched to produce nothing")
        domain = self._domain(params)
        communication = _text(request.headers.get("communicationId"), "communicationId", 64)
        _text(request.headers.get("driverDataSource"), "driverDataSource", MAX_NAME)
        driver = read_driver(request.headers.get("Content-Type", ""), request.body)
        pdf, name = self.produce(domain.id, communication, driver)
        return generate_reply(request, pdf, name)

    def produce(self, domain: str, communication: str, driver: Driver) -> tuple[bytes, str]:
        """Make the communication's document for the driver data; return it and its name."""
        graph = self.store.graph(domain)
        resource = graph.latest.get(communication)
        approved = self.store.approved(communication) if resource is not None else []
        if resource is None or not approved:
            raise Problem(404, "unknown_resource", f"no approved communication {communication}")
        if resource["type"] != COMMUNICATION:
            raise Problem(400, "invalid_request", f"{communication} is not a communication")
        version = approved[0][0]
        pieces = self._pieces(graph, communication, version, driver)
        pdf = render(resource["description"] or resource["name"], driver, pieces)
        return pdf, f"{resource['name']}-v{version}"

    def _pieces(
        self, graph: LinkGraph, communication: str, version: int, driver: Driver
    ) -> list[Piece]:
        """Return what the communication shows: per linked asset, one rendition's version."""
        switches = self.output.current
        groups: dict[str, dict[str, str]] = {}  # asset key -> rendition name -> resource id
        for edge in graph.forward(communication, version, MAX_DEPTH, every_version=False):
            found = graph.latest[edge.object]
            if found["type"] not in (COMMUNICATION, COMPONENT):
                groups.setdefault(found["name"].split("/")[0], {})[found["name"]] = found["id"]
        pieces = []
        for renditions in groups.values():
            chosen = choose(sorted(renditions), driver)
            versions = self.store.approved(renditions[chosen]) if chosen else []
            if not versions:
                continue
            number, part = versions[0]
            if _is_image(part):
                if switches.stale_images and len(versions) > 1:
                    number, part = versions[1]
            elif (part.content_type or "").startswith("text/"):
                text = apply_edits(part.content.decode("utf-8", "replace"), switches.text_edits)
                part = Part(part.content_type, text.encode())
            else:
                continue
            pieces.append(Piece(chosen or "", number, part))
        return self._with_local_image(pieces)

    def _with_local_image(self, pieces: list[Piece]) -> list[Piece]:
        if not self.output.current.local_image:
            return pieces
        images = [index for index, piece in enumerate(pieces) if not piece.is_text]
        drawn = Piece("sandbox/local", 1, local_image())
        if not images:
            return [*pieces, drawn]
        return [drawn if index == images[0] else piece for index, piece in enumerate(pieces)]

    def _get_output(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, _switches(self.output.current))

    def _set_output(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, _switches(self.output.change(request.body)))

    def _unavailable(self, request: Request) -> Reply:
        detail = "injected fault; nothing changed, try again"
        return _error(request, Problem(503, "unavailable", detail, {"Retry-After": "0"}))

    def _principal(self, request: Request) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        principal = self.store.principal(token.strip()) if scheme.lower() == "bearer" else None
        if principal is None:
            raise Problem(
                401,
                "invalid_token",
                "a valid, unexpired bearer token is required",
                {"WWW-Authenticate": "Bearer"},
            )
        return principal

    def _token(self, request: Request, params: dict[str, str]) -> Reply:
        """Answer OTDS's token endpoint: a password or client-credentials grant."""
        try:
            if params["tenant"] != self.accounts.tenant:
                raise Refusal(404, "invalid_tenant", f"no tenant {params['tenant']}")
            principal = self.accounts.grant(_form(request.body))
        except Refusal as refusal:
            refused = {"error": refusal.error, "error_description": refusal.description}
            return Reply(refusal.status, refused)
        body = {
            "access_token": self.store.issue(principal, self.accounts.token_ttl),
            "refresh_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": self.accounts.token_ttl,
        }
        return Reply(200, body, {"Cache-Control": "no-store"})

    def _version(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, VERSION_INFO)

    def _domains(self, request: Request, params: dict[str, str]) -> Reply:
        page = _page(request.query)
        return Reply(200, _paged([domain.body() for domain in self.domains.values()], page))

    def _domain(self, params: dict[str, str]) -> Domain:
        domain = self.domains.get(params["domain"])
        if domain is None:
            raise Problem(404, "unknown_domain", f"no domain {params['domain']}")
        return domain

    def _latest(self, domain: Domain, resource: str) -> dict[str, Any]:
        latest = self.store.latest(domain.id, resource)
        if latest is None:
            raise Problem(404, "unknown_resource", f"no resource {resource} in {domain.id}")
        return latest

    def _resources(self, request: Request, params: dict[str, str]) -> Reply:
        domain = self._domain(params)
        query = request.query
        types, states = _values(query, "filter.types"), _states(query, "filter.states")
        latest_only, page = _flag(query, "filter.latestVersion"), _page(query)
        versions = [
            version
            for version in self.store.versions(domain.id)
            if _fits(version["type"], types) and _fits(version["state"], states)
        ]
        if latest_only:
            newest = {version["id"]: version for version in versions}
            versions = [version for version in versions if newest[version["id"]] is version]
        return Reply(200, _paged(versions, page))

    def _create(self, request: Request, params: dict[str, str]) -> Reply:
        domain = self._domain(params)
        name = _text(request.query.get("name"), "name", MAX_NAME)
        kind = _kind(request.query.get("type"), "type")
        subtype = request.query.get("subtype")
        if subtype is not None:
            subtype = _kind(subtype, "subtype")
        upload = _file(request)
        resource = str(uuid.uuid4())
        self.store.insert(
            resource=resource,
            domain=domain.id,
            name=name,
            kind=kind,
            subtype=subtype,
            upload=upload,
            principal=self._principal(request),
        )
        return self._changed(domain, resource, 201)

    def _replace_content(self, request: Request, params: dict[str, str]) -> Reply:
        domain = self._domain(params)
        latest = self._latest(domain, params["id"])
        upload = _file(request)
        if latest["state"] != "DRAFT":
            raise Problem(
                409,
                "not_draft",
                f"version {latest['version']} of {latest['id']} is {latest['state']};"
                " only a DRAFT version takes new content",
            )
        principal = self._principal(request)
        self.store.replace_content(latest["id"], latest["version"], upload, principal)
        return self._changed(domain, latest["id"], 200)

    def _change_state(self, request: Request, params: dict[str, str]) -> Reply:
        domain = self._domain(params)
        latest = self._latest(domain, params["id"])
        target, comment, locked = _state_change(request.body)
        move = (latest["state"], target)
        if move not in MOVES[domain.workflow]:
            raise Problem(
                409,
                "invalid_transition",
                f"the {domain.workflow} workflow of {domain.id} has no move from"
                f" {latest['state']} to {target} (version {latest['version']})",
            )
        locked = latest["locked"] if locked is None else locked
        arguments = (latest["id"], latest["version"])
        if move == NEXT_VERSION:
            self.store.next_version(*arguments, comment, locked, self._principal(request))
        else:
            self.store.set_state(*arguments, target, comment, locked, self._principal(request))
        return self._changed(domain, latest["id"], 200)

    def _changed(self, domain: Domain, resource: str, status: int) -> Reply:
        """Answer a write with the resource's latest version, naming it for the write log."""
        latest = self._latest(domain, resource)
        body = {"status": "success", "details": "", "data": latest}
        return Reply(status, body, resource=resource, version=latest["version"])

    def _links(self, request: Request, params: dict[str, str]) -> Reply:
        domain, query = self._domain(params), request.query
        subject = self._latest(domain, _text(query.get("linkSubjectId"), "linkSubjectId", 64))
        depth = _number(query, "linkDepth", 1, MAX_DEPTH, 1)
        version = _number(query, "linkSubjectVersion", 1, MAX_OFFSET, 0) or None
        types, states = _values(query, "filter.types"), _states(query, "filter.states")
        every_version, page = not _flag(query, "filter.latestVersion"), _page(query)
        graph = self.store.graph(domain.id)
        links = [
            {
                "linkSubjectId": edge.subject,
                "subjectVersion": edge.version,
                "linkObjectId": edge.object,
                "typeId": graph.latest[edge.object]["type"],
            }
            for edge in graph.forward(subject["id"], version, depth, every_version)
            if _fits(graph.latest[edge.object]["type"], types)
            and _fits(graph.latest[edge.object]["state"], states)
        ]
        return Reply(200, _paged(links, page))

    def _users(self, request: Request, params: dict[str, str]) -> Reply:
        domain, query = self._domain(params), request.query
        target = self._latest(domain, _text(query.get("linkObjectId"), "linkObjectId", 64))
        depth = _number(query, "linkDepth", 1, MAX_DEPTH, 1)
        types, states = _values(query, "rfilter.types"), _states(query, "rfilter.states")
        page = _page(query)
        users = [
            version
            for version in self.store.graph(domain.id).users(target["id"], depth)
            if _fits(version["type"], types) and _fits(version["state"], states)
        ]
        return Reply(200, _paged(users, page))

    def _health(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, {"status": "ok", "api": "das"})

    def _writes(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, {"items": self.store.writes()})

    def _reset(self, request: Request, params: dict[str, str]) -> Reply:
        self.store.reset()
        self.output = Switches()
        return Reply(200, {"status": "reset"})

    def _get_faults(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, asdict(self.faults.current))

    def _set_faults(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, asdict(self.faults.change(request.body)))

    def _run(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, run_request(self.govern, request.body, self.store, self._produce_for))

    def _produce_for(self, template: str, context: dict[str, str]) -> tuple[bytes, str]:
        """Make a template's document for a production run's context, in the first domain."""
        domain = next(iter(self.domains))
        named = self.store.named(domain, template)
        if not named:
            raise Problem(404, "unknown_resource", f"no communication {template} in {domain}")
        fields = (("customer", "Sample customer"), *((k, v) for k, v in context.items() if v))
        driver = Driver(fields, context.get("language", ""), context.get("channel", ""))
        return self.produce(domain, named[0], driver)

    def _seed_resource(self, request: Request, params: dict[str, str]) -> Reply:
        """Create a resource as a designer would, at version 1, with its links."""
        body = _json_object(request.body)
        domain = self._sandbox_domain(body)
        name = _text(body.get("name"), "name", MAX_NAME)
        kind = _kind(body.get("type"), "type")
        description = _text(body.get("description", ""), "description", MAX_COMMENT, empty=True)
        state = body.get("state", "APPROVED")
        if state not in STATES:
            raise Problem(400, "invalid_request", f"state must be one of {', '.join(STATES)}")
        links = body.get("links", [])
        if not isinstance(links, list) or len(links) > MAX_LINKS:
            raise Problem(400, "invalid_request", f"links must be a list of at most {MAX_LINKS}")
        targets = [self._link_target(domain, _json_link(link)) for link in links]
        resource = str(uuid.uuid4())
        with self.store.transaction():
            self.store.insert(
                resource=resource,
                domain=domain.id,
                name=name,
                kind=kind,
                state=state,
                description=description,
                upload=_placeholder(name),
                principal="sandbox",
            )
            for target in targets:
                self.store.add_link(domain.id, resource, 1, *target)
        return Reply(201, self._latest(domain, resource))

    def _add_link(self, request: Request, params: dict[str, str]) -> Reply:
        """Link a resource's latest version to another resource, by id or by name."""
        body = _json_object(request.body)
        domain = self._sandbox_domain(body)
        subject = self._find(domain, _text(body.get("subject"), "subject", MAX_NAME))
        target = self._link_target(domain, _json_link(body))
        if target[0] == subject["id"]:
            raise Problem(400, "invalid_request", "a resource cannot link to itself")
        link = self.store.add_link(domain.id, subject["id"], subject["version"], *target)
        return Reply(201, link)

    def _sandbox_links(self, request: Request, params: dict[str, str]) -> Reply:
        """List the domain's links as the sandbox keeps them, slots and named objects too."""
        domain = self._sandbox_domain({"domain": request.query.get("domain")})
        graph = self.store.graph(domain.id)
        items = [
            {
                "subject": row["subject_id"],
                "subjectVersion": row["subject_version"],
                "object": row["object_id"],
                "objectName": row["object_name"],
                "slot": row["slot"],
                "reaches": graph.reach(row),
            }
            for row in self.store.links(domain.id)
        ]
        return Reply(200, {"items": items})

    def _content(self, request: Request, params: dict[str, str]) -> Reply:
        """Answer a version's bytes, which DAS's published calls never return."""
        stored = self.store.content(params["id"], int(params["version"]))
        if stored is None:
            raise Problem(404, "not_found", f"no version {params['version']} of {params['id']}")
        return Reply(200, stored.content, content_type=stored.content_type or "")

    def _sandbox_domain(self, body: dict[str, Any]) -> Domain:
        name = body.get("domain") or next(iter(self.domains))
        if not isinstance(name, str) or name not in self.domains:
            raise Problem(404, "unknown_domain", f"no domain {name}")
        return self.domains[name]

    def _find(self, domain: Domain, reference: str) -> dict[str, Any]:
        """Return the latest version of the resource with this id, or the one with this name."""
        latest = self.store.latest(domain.id, reference)
        if latest is not None:
            return latest
        named = self.store.named(domain.id, reference)
        if len(named) > 1:
            raise Problem(409, "ambiguous", f"{len(named)} resources are called {reference}")
        if not named:
            raise Problem(404, "unknown_resource", f"no resource {reference} in {domain.id}")
        return self._latest(domain, named[0])

    def _link_target(
        self, domain: Domain, link: tuple[str, str | None]
    ) -> tuple[str | None, str | None, str | None]:
        """Return (object id, object name, slot): an id when one is given, else the name."""
        reference, slot = link
        if self.store.latest(domain.id, reference) is not None:
            return reference, None, slot
        return None, reference, slot


def _is_image(part: Part) -> bool:
    return (part.content_type or "").startswith("image/")


def _switches(switches: Any) -> dict[str, Any]:
    return {**asdict(switches), "text_edits": [list(edit) for edit in switches.text_edits]}


def _error(request: Request, problem: Problem) -> Reply:
    """Return DAS's error body (ExstreamErrorResponse) for a refusal."""
    body = {
        "timestamp": int(time.time() * 1000),
        "status": problem.status,
        "message": problem.detail,
        "error": HTTPStatus(problem.status).phrase,
        "details": problem.error,
        "errorCode": ERROR_CODES.get(problem.error, problem.status * 100),
        "path": request.path,
    }
    return Reply(problem.status, body, problem.headers)


def _paged(items: list[Any], page: tuple[int, int]) -> dict[str, Any]:
    """Return one page of `items` in DAS's envelope (ExstreamPageResponse)."""
    count, offset = page
    return {
        "status": "success",
        "details": "",
        "data": items[offset : offset + count],
        "page": {
            "pageSize": count,
            "pageOffset": offset,
            "totalElements": len(items),
            "totalPages": math.ceil(len(items) / count),
            "currentPageNumber": offset // count,
        },
    }


def _page(query: dict[str, str]) -> tuple[int, int]:
    count = _number(query, "count", 1, MAX_COUNT, DEFAULT_COUNT)
    return count, _number(query, "offset", 0, MAX_OFFSET, 0)


def _number(query: dict[str, str], name: str, low: int, high: int, default: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not re.fullmatch(r"\d{1,10}", text) or not low <= int(text) <= high:
        raise Problem(400, "invalid_request", f"{name} must be a whole number from {low} to {high}")
    return int(text)


def _values(query: dict[str, str], name: str) -> frozenset[str] | None:
    """Return the comma-separated values of a filter, or None when it is absent."""
    text = query.get(name)
    if text is None:
        return None
    values = [value.strip() for value in text.split(",") if value.strip()]
    if len(values) > MAX_VALUES:
        raise Problem(400, "invalid_request", f"{name} takes at most {MAX_VALUES} values")
    return frozenset(values)


def _states(query: dict[str, str], name: str) -> frozenset[str] | None:
    states = _values(query, name)
    unknown = sorted((states or frozenset()) - set(STATES))
    if unknown:
        raise Problem(
            400,
            "invalid_request",
            f"{name}: unknown state {', '.join(unknown)}; one of {', '.join(STATES)}",
        )
    return states


def _flag(query: dict[str, str], name: str) -> bool:
    text = query.get(name, "true").lower()
    if text not in {"true", "false"}:
        raise Problem(400, "invalid_request", f"{name} must be true or false")
    return text == "true"


def _fits(value: str, wanted: frozenset[str] | None) -> bool:
    return wanted is None or value in wanted


def _text(value: Any, name: str, limit: int, empty: bool = False) -> str:
    if not isinstance(value, str) or not (empty or value.strip()) or len(value) > limit:
        adjective = "" if empty else "non-empty "
        raise Problem(
            400, "invalid_request", f"{name} must be {adjective}text of at most {limit} characters"
        )
    return value.strip()


def _kind(value: Any, name: str) -> str:
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise Problem(
            400, "invalid_request", f"{name} must be 1 to 64 letters, digits, '_', '.' or '-'"
        )
    return value


def _file(request: Request) -> Part:
    parts = parse_multipart(request.headers.get("Content-Type", ""), request.body)
    upload = parts.get("file")
    if upload is None or not upload.content:
        raise Problem(400, "invalid_request", "the form needs a non-empty 'file' part")
    return upload


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise Problem(400, "invalid_request", "the body must be a JSON object")
    return value


def _state_change(body: bytes) -> tuple[str, str, bool | None]:
    """Read a WorkflowRequestBody: the target state, the audited comment, the lock."""
    change = _json_object(body)
    state = change.get("state")
    if state not in STATES:
        raise Problem(400, "invalid_request", f"state must be one of {', '.join(STATES)}")
    comment = change.get("auditedComment") or ""
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise Problem(
            400, "invalid_request", f"auditedComment must be text of at most {MAX_COMMENT}"
        )
    locked = change.get("locked")
    if locked is not None and not isinstance(locked, bool):
        raise Problem(400, "invalid_request", "locked must be true or false")
    return state, comment, locked


def _json_link(link: Any) -> tuple[str, str | None]:
    """Read a link's object (an id or a name) and its slot from a sandbox request."""
    if not isinstance(link, dict):
        raise Problem(400, "invalid_request", "a link is an object with 'object' and 'slot'")
    slot = link.get("slot")
    if slot is not None:
        slot = _text(slot, "slot", MAX_NAME)
    return _text(link.get("object"), "object", MAX_NAME), slot
