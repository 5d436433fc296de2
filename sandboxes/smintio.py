"""Simulate Smint.io's consumer API (CLAPI-C) as a standalone HTTP server.

Stdlib only, so it runs without Django: `python manage.py sandbox smintio --port 8102`.
Purchases, the feed, binaries with their bytes, tokens, idempotency records and the write log
live in one SQLite file and survive a restart. Like Smint.io's public SDKs, it knows no way
back: no feedback and no usage reports (Govern sends those as signed webhooks to subscribers).

    POST /connect/token                                      refresh token or consent code (PKCE)
                                                             -> access + new refresh
    GET|POST /connect/authorize                              the consent page; redirects a code
    GET  /consumer/v1/license-purchase-transactions          the feed, after a continuation_uuid
    GET  /consumer/v1/license-purchase-transactions/{cart}/{lpt}/binaries   with signed URLs
    GET  /consumer/v1/generic-metadata                       labels for every key the feed uses
    GET  /_files/{binary}/{version}?expires=..&signature=..  the bytes behind a download URL
    GET  /_sandbox/health, /_sandbox/writes;
    POST /_sandbox/reset;
    GET|POST /_sandbox/faults
    POST /_sandbox/purchases/{lpt}/cancel                    cancel a purchase (with
                                                             {"malformed": true}, a broken date too)
    POST /_sandbox/purchases/{lpt}/terms                     replace its terms with the one given
    POST /_sandbox/purchases/{lpt}/binaries/{binary}/update  a new version with new bytes

Refresh tokens rotate: each works once and its answer carries the next one; `POST /_sandbox/reset`
makes the configured one valid again. Access tokens live `token_ttl` seconds.

The feed is an append-only change log. Each seeded purchase has one entry; each cancel, terms
change or binary update appends another. An entry shows the purchase as it is when read. A
continuation_uuid names a position in the log and stays valid across restarts until a reset.

Faults work as in the Exstream sandbox, on /consumer/v1 and /_files only, with one more drawn
first: below `rate_limit_rate` a request gets a 429 with Retry-After: 1 and nothing changes.

Every POST to /consumer/v1 is in the write log with its outcome: applied, timeout, dropped,
failed (an injected 503), rate_limited (an injected 429), replayed (a repeated Idempotency-Key)
or rejected (a 4xx). Writes are remembered by their Idempotency-Key: the first successful answer
is replayed for the same key, to any path, and nothing is recorded twice.

With a hook URL, each change made through /_sandbox/purchases is announced there in the
background with a signed POST (`Govern-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"{t}.{body}">`); failures are logged and forgotten.
"""

import base64
import hashlib
import hmac
import html
import json
import secrets
import struct
import sys
import threading
import time
import urllib.request
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from sandboxes.common import (
    REFUSALS,
    WRITE_COLUMNS,
    Answer,
    Database,
    Fault,
    FaultSettings,
    Problem,
    Reply,
    Request,
    json_object,
    make_server,
    now,
    require_bearer,
    resolve,
    route,
    run_until_stopped,
    same,
    write_once,
)
from sandboxes.common import Faults as CommonFaults
from sandboxes.pusher import APP_KEY, PusherServer, channel_for, signature

CONSUMER_PREFIX = "/consumer/v1/"
FILES_PREFIX = "/_files/"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
CODE_TTL_SECONDS = 600
PUSHER_AUTH = "/consumer/v1/notifications/pusher/auth"
SCOPE = {"smintio.full", "openid", "profile", "offline_access"}
HOOK_EVENT = "license_purchase_transactions.changed"
HOOK_TIMEOUT_SECONDS = 5
# The hook goes straight to its URL: a proxy from the environment would not reach a loopback app.
HOOK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

TERM_LISTS = (
    *("exclusivities", "allowed_usages", "restricted_usages", "allowed_sizes"),
    *("restricted_sizes", "allowed_placements", "restricted_placements"),
    *("allowed_distributions", "restricted_distributions", "allowed_geographies"),
    *("restricted_geographies", "allowed_industries", "restricted_industries"),
    *("allowed_languages", "restricted_languages", "usage_limits"),
)
TERM_DATES = ("valid_from", "valid_until", "to_be_used_until")
TERM_FIELDS = ("sequence_number", "name", *TERM_LISTS, *TERM_DATES, "is_editorial_use")
LPT_FIELDS = (
    *("uuid", "cart_purchase_transaction_uuid", "reused_license_purchase_transaction_uuid"),
    *("state", "can_be_synced", "project_uuid", "project_name", "collection_uuid"),
    *("collection_name", "licensee_uuid", "licensee_name", "purchased_at", "completed_at"),
    *("created_at", "last_updated_at", "purchased_by_user_uuid", "purchased_by_user_name"),
    *("has_potentially_restrictive_license_terms", "content_element", "offering"),
    *("license_text", "license_terms", "license_download_constraints"),
    # Smint.io's counters against the download constraints (read-only; the SDK's fixture).
    *("current_downloads", "current_users", "current_reuses"),
)

# Labels in English and German for every key the seed uses, and a few more.
METADATA: dict[str, dict[str, tuple[str, str]]] = {
    "providers": {
        "getty": ("Getty Images", "Getty Images"),
        "shutterstock": ("Shutterstock", "Shutterstock"),
        "adobestock": ("Adobe Stock", "Adobe Stock"),
    },
    "content_types": {
        "image": ("Image", "Bild"),
        "video": ("Video", "Video"),
    },
    "license_types": {
        "rights_managed": ("Rights managed", "Rights Managed"),
        "royalty_free": ("Royalty free", "Lizenzfrei"),
    },
    "release_states": {
        "all": ("All releases available", "Alle Freigaben vorhanden"),
        "not_released": ("Not released", "Nicht freigegeben"),
        "no_release_required": ("No release required", "Keine Freigabe erforderlich"),
        "released": ("Released", "Freigegeben"),
    },
    "license_exclusivities": {
        "exclusivity_energy_sector_dach": (
            "Exclusive in the energy sector in Germany, Austria and Switzerland",
            "Exklusiv in der Energiebranche in Deutschland, Österreich und der Schweiz",
        ),
    },
    "license_usages": {
        "usage_print": ("Print", "Print"),
        "usage_web": ("Web", "Web"),
        "usage_social_media": ("Social media", "Soziale Medien"),
        "usage_advertising": ("Advertising", "Werbung"),
        "usage_editorial": ("Editorial", "Redaktionell"),
        "usage_outdoor": ("Outdoor advertising", "Außenwerbung"),
    },
    "license_sizes": {
        "size_up_to_full_page": ("Up to a full page", "Bis zu einer ganzen Seite"),
        "size_up_to_half_page": ("Up to half a page", "Bis zu einer halben Seite"),
        "size_web_up_to_2000px": ("Web, up to 2000 px", "Web, bis 2000 px"),
    },
    "license_placements": {
        "placement_inside_pages": ("Inside pages", "Innenseiten"),
        "placement_cover": ("Cover", "Titelseite"),
    },
    "license_distributions": {
        "distribution_up_to_100000": ("Up to 100,000 copies", "Bis 100.000 Exemplare"),
        "distribution_unlimited": ("Unlimited", "Unbegrenzt"),
    },
    "license_geographies": {
        "geography_germany": ("Germany", "Deutschland"),
        "geography_austria": ("Austria", "Österreich"),
        "geography_switzerland": ("Switzerland", "Schweiz"),
        "geography_europe": ("Europe", "Europa"),
        "geography_worldwide": ("Worldwide", "Weltweit"),
    },
    "license_industries": {
        "industry_energy": ("Energy", "Energie"),
        "industry_tobacco": ("Tobacco", "Tabak"),
        "industry_politics": ("Politics", "Politik"),
    },
    "license_languages": {
        "language_german": ("German", "Deutsch"),
        "language_english": ("English", "Englisch"),
    },
    "license_usage_limits": {
        "usage_limit_one_campaign": ("One campaign", "Eine Kampagne"),
        "usage_limit_one_edition": ("One edition", "Eine Ausgabe"),
    },
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS purchases (
    uuid TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feed (
    position INTEGER PRIMARY KEY,
    purchase_uuid TEXT NOT NULL REFERENCES purchases (uuid)
);
CREATE TABLE IF NOT EXISTS continuations (
    uuid TEXT PRIMARY KEY,
    position INTEGER NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS binaries (
    uuid TEXT PRIMARY KEY,
    purchase_uuid TEXT NOT NULL REFERENCES purchases (uuid),
    position INTEGER NOT NULL,
    colour TEXT NOT NULL,
    version INTEGER NOT NULL,
    details TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS binary_versions (
    binary_uuid TEXT NOT NULL REFERENCES binaries (uuid),
    version INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (binary_uuid, version)
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS authorization_codes (
    code TEXT PRIMARY KEY,
    redirect_uri TEXT NOT NULL,
    challenge TEXT NOT NULL,
    issued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def texts(english: str, german: str | None = None) -> list[dict[str, str]]:
    """Return a localized string (the SDKs' LocalizedString list): English, German if given."""
    values = [{"culture": "en", "value": english}]
    if german is not None:
        values.append({"culture": "de", "value": german})
    return values


def element(culture: str, **fields: str) -> dict[str, Any]:
    """Return one LocalizedMetadataElement: {culture, metadata_element: {key, name, url}}."""
    return {"culture": culture, "metadata_element": fields}


def words(*names: str) -> list[dict[str, Any]]:
    """Return keywords as the SDKs deliver them: metadata elements with only a name."""
    return [element("en", name=name) for name in names]


def release_details(
    model: str | None,
    property_: str | None,
    usage_constraints: tuple[str, ...] = (),
    allowed_use: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The release states and the provider's words, each a LocalizedString ([] if none)."""
    return {
        "model_release_state": model,
        "property_release_state": property_,
        "provider_allowed_use_comment": texts(*allowed_use) if allowed_use else [],
        "provider_release_comment": [],
        "provider_usage_constraints": [texts(each)[0] for each in usage_constraints],
    }


def term(**given: Any) -> dict[str, Any]:
    """Return a seed term: lists the license says nothing about are empty, dates null."""
    values: dict[str, Any] = {
        "sequence_number": 1,
        "name": texts("Standard license"),
        **{name: [] for name in TERM_LISTS},
        **dict.fromkeys(TERM_DATES),
        "is_editorial_use": False,
        **given,
    }
    return {name: values[name] for name in TERM_FIELDS}


def constraints(users: int | None, downloads: int | None, reuses: int | None) -> dict[str, Any]:
    return {
        "effective_max_users": users,
        "effective_max_downloads": downloads,
        "effective_max_reuses": reuses,
    }


CART_SPRING = "42eb0680-cd09-4f1a-b72c-e20129b25f17"
CART_MAGAZINE = "672326ce-dff3-43b0-a3ca-03716358a96a"
CART_PORTAL = "4f5f6938-5a64-45e2-85e1-7c884eb19f5b"
PROJECT_CAMPAIGN = {
    "project_uuid": "63c2f6f8-c78c-4b14-aed4-33cbadb8d2ec",
    "project_name": texts("Spring campaign 2026", "Frühjahrskampagne 2026"),
}
PROJECT_MAGAZINE = {
    "project_uuid": "1c185971-3abf-4c27-82e6-68b227cf96c7",
    "project_name": texts("Customer magazine 2/2026", "Kundenmagazin 2/2026"),
    # The magazine is bought by a second licensee of the tenant: a sister company.
    "licensee_uuid": "b3c1e0d2-5f47-4a8e-9d61-2e7f0a9c4b15",
    "licensee_name": "Nordlicht Medien GmbH",
}
PURCHASE_DEFAULTS: dict[str, Any] = {
    "reused_license_purchase_transaction_uuid": None,
    "state": "completed",
    "can_be_synced": True,
    **PROJECT_CAMPAIGN,
    "collection_uuid": "0dd64c8b-0cee-4211-ba71-c7e20c36abbe",
    "collection_name": texts("Brand imagery", "Markenbilder"),
    "licensee_uuid": "4a009a6d-afd0-4eea-a82c-7ff08c1a6404",
    "licensee_name": "Nordlicht Energie AG",
    "purchased_by_user_uuid": "00ecdcb9-18e2-4e71-9b16-a42d193484b2",
    "purchased_by_user_name": "Mara Vogel",
    "has_potentially_restrictive_license_terms": False,
    "current_downloads": 0,
    "current_users": 0,
    "current_reuses": 0,
}


def content(
    element: str, provider: str, category: str, name: list[dict[str, str]], **given: Any
) -> dict[str, Any]:
    """Return a seed content element; `given` adds or overrides the other fields."""
    values: dict[str, Any] = {
        "uuid": element,
        "provider": provider,
        "content_type": "image",
        "content_category": category,
        "name": name,
        "description": [],
        "keywords": [],
        "copyright_notices": [],
        "is_ai": False,
        "release_details": release_details("released", "no_release_required"),
    }
    return values | given


def purchase(purchased_at: str, **given: Any) -> dict[str, Any]:
    """Return a seed purchase, created and completed when it was bought, in the field order."""
    dates = ("purchased_at", "completed_at", "created_at", "last_updated_at")
    values = PURCHASE_DEFAULTS | dict.fromkeys(dates, purchased_at) | given
    return {name: values[name] for name in LPT_FIELDS}


def offering(license_type: str, *urls: str) -> dict[str, Any]:
    """Return an offering: its license type and its license URLs as localized elements."""
    links = [element("en", key="license", name="License", url=url) for url in urls]
    return {"license_type": license_type, "license_urls": links}


def license_text(html: str, safe: bool) -> dict[str, Any]:
    return {"effective_text": texts(html), "effective_text_is_safe_html": safe}


SEED_PURCHASES: tuple[dict[str, Any], ...] = (
    # 1: rights managed, print in Germany until mid-2027; its license text carries a script.
    purchase(
        "2026-03-02T09:14:00Z",
        uuid="eb484002-e1a1-41d7-be11-037c0627cf4e",
        cart_purchase_transaction_uuid=CART_SPRING,
        has_potentially_restrictive_license_terms=True,
        content_element=content(
            "2:0:61019726",
            "getty",
            "creative",
            texts("Wind turbines at sunrise", "Windräder bei Sonnenaufgang"),
            description=texts("Three wind turbines on a hill in Schleswig-Holstein at dawn."),
            keywords=words("wind energy", "sunrise", "renewable"),
            copyright_notices=texts("© Lena Hartmann / Getty Images"),
            release_details=release_details(
                "released",
                "no_release_required",
                allowed_use=(
                    "Not for use in political or religious contexts.",
                    "Nicht für politische oder religiöse Zusammenhänge.",
                ),
            ),
        ),
        offering=offering("rights_managed", "https://www.gettyimages.com/eula"),
        license_text=license_text(
            '<p>Print use in <b>Germany</b> only.</p><script>alert("license")</script>', False
        ),
        license_terms=[
            term(
                name=texts("Print, Germany", "Print, Deutschland"),
                allowed_usages=["usage_print"],
                restricted_usages=["usage_outdoor"],
                allowed_sizes=["size_up_to_full_page"],
                allowed_placements=["placement_inside_pages"],
                allowed_distributions=["distribution_up_to_100000"],
                allowed_geographies=["geography_germany"],
                allowed_industries=["industry_energy"],
                allowed_languages=["language_german"],
                usage_limits=["usage_limit_one_campaign"],
                valid_from="2026-03-02T00:00:00Z",
                valid_until="2027-06-30T23:59:59Z",
                to_be_used_until="2027-03-31T23:59:59Z",
            )
        ],
        license_download_constraints=constraints(5, 10, 1),
        current_downloads=4,
        current_users=2,
    ),
    # 2: royalty free, worldwide, no end date, no download limits.
    purchase(
        "2026-03-02T09:16:30Z",
        uuid="4e947f6d-e372-4f9e-a3f1-38584aaaddc6",
        cart_purchase_transaction_uuid=CART_SPRING,
        content_element=content(
            "3:0:1459871234",
            "shutterstock",
            "creative",
            texts("Family reading a letter at the kitchen table", "Familie liest einen Brief"),
            keywords=words("family", "kitchen"),
            copyright_notices=texts("© Jonas Berg / Shutterstock"),
            release_details=release_details("released", "released"),
        ),
        offering=offering("royalty_free", "https://www.shutterstock.com/license"),
        license_text=license_text("<p>Standard royalty-free license.</p>", True),
        license_terms=[
            term(
                allowed_usages=["usage_print", "usage_web", "usage_social_media"],
                allowed_geographies=["geography_worldwide"],
                restricted_industries=["industry_tobacco", "industry_politics"],
                valid_from="2026-03-02T00:00:00Z",
            )
        ],
        license_download_constraints=constraints(0, 0, 0),
    ),
    # 3: editorial only.
    purchase(
        "2026-03-09T14:02:00Z",
        uuid="4f1ce836-032b-4396-9eb4-9d9ab788b5db",
        cart_purchase_transaction_uuid=CART_MAGAZINE,
        **PROJECT_MAGAZINE,
        has_potentially_restrictive_license_terms=True,
        content_element=content(
            "4:0:302948571",
            "adobestock",
            "editorial",
            texts("Opening of the Nordsee Ost offshore wind farm", "Eröffnung Windpark Nordsee"),
            copyright_notices=texts("© dpa / Adobe Stock"),
            release_details=release_details(
                "not_released", "not_released", ("Editorial use only. No commercial use.",)
            ),
        ),
        offering=offering("royalty_free", "https://stock.adobe.com/license-terms"),
        license_text=license_text("<p>Editorial use only.</p>", True),
        license_terms=[
            term(
                name=texts("Editorial", "Redaktionell"),
                allowed_usages=["usage_editorial"],
                restricted_usages=["usage_advertising"],
                allowed_placements=["placement_inside_pages", "placement_cover"],
                allowed_geographies=["geography_europe"],
                allowed_languages=["language_german", "language_english"],
                usage_limits=["usage_limit_one_edition"],
                is_editorial_use=True,
            )
        ],
        license_download_constraints=constraints(3, 3, 0),
        current_downloads=3,
        current_users=1,
    ),
    # 4: cancelled a day after it was bought.
    purchase(
        "2026-03-09T14:05:00Z",
        uuid="d9f65f19-6103-421f-ac13-24c5f2b6b3bc",
        cart_purchase_transaction_uuid=CART_MAGAZINE,
        **PROJECT_MAGAZINE,
        state="cancelled",
        last_updated_at="2026-03-10T08:30:00Z",
        content_element=content(
            "2:0:73311842",
            "getty",
            "creative",
            texts("Solar panels on a barn roof", "Solarmodule auf einem Scheunendach"),
            copyright_notices=texts("© Peter Ulrich / Getty Images"),
        ),
        offering=offering("royalty_free", "https://www.gettyimages.com/eula"),
        license_text=license_text("<p>Standard royalty-free license.</p>", True),
        license_terms=[
            term(allowed_usages=["usage_web"], allowed_geographies=["geography_europe"])
        ],
        license_download_constraints=constraints(0, 0, 0),
    ),
    # 5: a compound asset with two binaries and two terms.
    purchase(
        "2026-03-16T10:41:00Z",
        uuid="4719a24b-3bb6-4f4a-a93f-4677d0892678",
        cart_purchase_transaction_uuid=CART_PORTAL,
        has_potentially_restrictive_license_terms=True,
        content_element=content(
            "3:0:2210457786",
            "shutterstock",
            "creative",
            texts("Smart meter installation", "Installation eines Smart Meters"),
            description=texts("A technician fits a smart meter; front view and detail."),
            copyright_notices=texts("© Aylin Demir / Shutterstock"),
            release_details=release_details("all", "no_release_required"),
        ),
        offering=offering("royalty_free", "https://www.shutterstock.com/license"),
        license_text=license_text("<p>Extended license.</p>", True),
        license_terms=[
            term(
                name=texts("Print, DACH", "Print, DACH"),
                exclusivities=["exclusivity_energy_sector_dach"],
                allowed_usages=["usage_print"],
                allowed_sizes=["size_up_to_half_page"],
                allowed_distributions=["distribution_unlimited"],
                allowed_geographies=[
                    *("geography_germany", "geography_austria", "geography_switzerland")
                ],
                valid_until="2028-12-31T23:59:59Z",
            ),
            term(
                sequence_number=2,
                name=texts("Web, Germany", "Web, Deutschland"),
                allowed_usages=["usage_web"],
                allowed_sizes=["size_web_up_to_2000px"],
                allowed_geographies=["geography_germany"],
                valid_until="2028-12-31T23:59:59Z",
            ),
        ],
        license_download_constraints=constraints(10, 0, 0),
    ),
    # 6: what the provider did not say is unknown (null), not unrestricted.
    purchase(
        "2026-03-16T10:44:00Z",
        uuid="d8c0bca3-ca77-474e-95f2-a1ed2a36b305",
        cart_purchase_transaction_uuid=CART_PORTAL,
        content_element=content(
            "4:0:518220093",
            "adobestock",
            "creative",
            texts("Headset on a service desk"),
            is_ai=None,
            release_details=release_details(None, None),
        ),
        offering=offering("royalty_free"),
        license_text=license_text("<p>See the provider's license.</p>", True),
        license_terms=[
            term(
                **(dict.fromkeys(TERM_LISTS) | {"allowed_usages": ["usage_web"]}),
                is_editorial_use=None,
            )
        ],
        license_download_constraints=constraints(None, None, None),
    ),
    # 7: a purchase whose content element is gone (null): the SDKs skip it.
    purchase(
        "2026-03-18T08:00:00Z",
        uuid="0b5e2c7e-61d4-4c0a-9a43-5d1f0c7a9e10",
        cart_purchase_transaction_uuid=CART_PORTAL,
        content_element=None,
        offering=offering("royalty_free"),
        license_text=license_text("<p>Standard royalty-free license.</p>", True),
        license_terms=[term(allowed_usages=["usage_web"])],
        license_download_constraints=constraints(0, 0, 0),
    ),
    # 8: a purchase Smint.io says cannot be synced (can_be_synced false): skipped.
    purchase(
        "2026-03-18T08:05:00Z",
        uuid="6f7a9d2b-3c1e-4e8f-b5a6-2d9c8e7f1a04",
        cart_purchase_transaction_uuid=CART_PORTAL,
        can_be_synced=False,
        content_element=content(
            "2:0:88123004", "getty", "creative", texts("Harbour at dusk", "Hafen am Abend")
        ),
        offering=offering("royalty_free", "https://www.gettyimages.com/eula"),
        license_text=license_text("<p>Pending provider approval.</p>", True),
        license_terms=[term(allowed_usages=["usage_print"])],
        license_download_constraints=constraints(0, 0, 0),
    ),
    # 9: the family photo (2) bought again for print and web in Europe until 2028: the same
    # content and the same bytes, another licence.
    purchase(
        "2026-04-01T09:30:00Z",
        uuid="a31f6c55-8b2e-4f0d-9e71-0c4b5d6e7f82",
        cart_purchase_transaction_uuid=CART_SPRING,
        reused_license_purchase_transaction_uuid="4e947f6d-e372-4f9e-a3f1-38584aaaddc6",
        content_element=content(
            "3:0:1459871234",
            "shutterstock",
            "creative",
            texts("Family reading a letter at the kitchen table", "Familie liest einen Brief"),
            keywords=words("family", "kitchen"),
            copyright_notices=texts("© Jonas Berg / Shutterstock"),
            release_details=release_details("released", "released"),
        ),
        offering=offering("rights_managed", "https://www.shutterstock.com/license"),
        license_text=license_text("<p>Print and web in Europe until the end of 2028.</p>", True),
        license_terms=[
            term(
                name=texts("Print and web, Europe", "Print und Web, Europa"),
                allowed_usages=["usage_print", "usage_web"],
                allowed_geographies=["geography_europe"],
                valid_until="2028-12-31T23:59:59Z",
            )
        ],
        license_download_constraints=constraints(0, 0, 0),
    ),
    # 10: a purchase whose term carries a date that is not ISO 8601: it cannot be mapped.
    purchase(
        "2026-04-02T11:00:00Z",
        uuid="e94d0a7c-2b5f-4c3e-8d16-7a0f9b2c4e53",
        cart_purchase_transaction_uuid=CART_PORTAL,
        content_element=content(
            "4:0:771200458", "adobestock", "creative", texts("Open-plan office", "Großraumbüro")
        ),
        offering=offering("royalty_free", "https://stock.adobe.com/license-terms"),
        license_text=license_text("<p>Standard royalty-free license.</p>", True),
        license_terms=[term(allowed_usages=["usage_web"], valid_until="31/12/2027")],
        license_download_constraints=constraints(0, 0, 0),
    ),
    # 11: shaped like the Java SDK's own test purchase: all sixteen term lists empty and a
    # demo-only licence text. The SDKs read every empty list as "not stated".
    purchase(
        "2026-04-20T10:00:00Z",
        uuid="5c8e1f3a-9d2b-4a7e-b6c0-79468d1e2f30",
        cart_purchase_transaction_uuid=CART_PORTAL,
        content_element=content(
            "2:0:79468",
            "getty",
            "creative",
            texts("Test image", "Testbild"),
            release_details=release_details("released", "released"),
        ),
        offering=offering("rights_managed"),
        license_text=license_text("<p>NUR DEMO - NICHT FÜR VERWENDUNG FREIGEGEBEN!</p>", True),
        license_terms=[term(name=texts("Demo", "Demo"))],
        license_download_constraints=constraints(0, 0, 0),
    ),
)


@dataclass(frozen=True)
class SeedBinary:
    uuid: str
    purchase_uuid: str
    colour: str  # "#rrggbb", the PNG's fill
    name: str
    file_name: str
    usage: str = "Main image"
    # The binary's language as a Java Locale prints it; a compound purchase has one of each.
    culture: str = "en"
    binary_type: str = "standard"


SEED_BINARIES = (
    SeedBinary(
        "8705ada9-929d-4882-8b83-73061a3a6ae6",
        SEED_PURCHASES[0]["uuid"],
        "#e07a1f",
        "Wind turbines at sunrise",
        "wind-turbines-at-sunrise.png",
    ),
    SeedBinary(
        "342b0ab4-aa0b-46c0-ad1d-93d25352c2c9",
        SEED_PURCHASES[1]["uuid"],
        "#2f7ed8",
        "Family at the kitchen table",
        "family-kitchen-table.png",
    ),
    SeedBinary(
        "3abd53d3-4eb3-49dc-a6c1-1703febc0528",
        SEED_PURCHASES[2]["uuid"],
        "#3b8f3b",
        "Offshore wind farm opening",
        "offshore-wind-farm-opening.png",
    ),
    SeedBinary(
        "5928edba-6716-41d6-95cb-d7e5a7b22e21",
        SEED_PURCHASES[3]["uuid"],
        "#f2c230",
        "Solar panels on a barn roof",
        "solar-panels-barn-roof.png",
    ),
    SeedBinary(
        "697f19d2-804f-4130-8a01-bf1389f70758",
        SEED_PURCHASES[4]["uuid"],
        "#8e44ad",
        "Smart meter, German display",
        "smart-meter-de.png",
        culture="de",
    ),
    SeedBinary(
        "4d9a0c33-718d-46f7-ac18-319ff73d44c6",
        SEED_PURCHASES[4]["uuid"],
        "#16a085",
        "Smart meter, English display",
        "smart-meter-en.png",
        culture="en",
    ),
    SeedBinary(
        "848cb11b-a060-448a-9aff-4d6ba444beda",
        SEED_PURCHASES[5]["uuid"],
        "#c0392b",
        "Headset on a service desk",
        "headset-service-desk.png",
    ),
    SeedBinary(
        "1c9e4b70-5d2a-4f8e-a3b6-9e0d7c5f2a18",
        SEED_PURCHASES[7]["uuid"],
        "#34495e",
        "Harbour at dusk",
        "harbour-at-dusk.png",
    ),
    # The same colour and version as the family photo's binary: the same bytes.
    SeedBinary(
        "f0a2d6c4-7b9e-4e15-8c3a-2d5f6e7a8b90",
        SEED_PURCHASES[8]["uuid"],
        "#2f7ed8",
        "Family at the kitchen table",
        "family-kitchen-table.png",
    ),
    SeedBinary(
        "7d3b1e9f-4a6c-4b2d-9e8f-0a1b2c3d4e5f",
        SEED_PURCHASES[9]["uuid"],
        "#d35400",
        "Open-plan office",
        "open-plan-office.png",
    ),
    SeedBinary(
        "2e4f6a8c-0b1d-4e3f-a5c7-9e1b3d5f7a90",
        SEED_PURCHASES[10]["uuid"],
        "#7f8c8d",
        "Test image",
        "testbild.png",
        culture="de",
    ),
)

PNG_SIZE = 8  # pixels a side: a few dozen pixels keep the seed small
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WHITE = b"\xff\xff\xff"


def png(colour: str, version: int) -> bytes:
    """Draw a small PNG in `colour`, shifted for each later version, with a white diagonal."""
    shift = 97 * (version - 1)
    channels = (int(colour[start : start + 2], 16) for start in (1, 3, 5))
    fill = bytes((value + shift * factor) % 256 for factor, value in enumerate(channels, 1))
    rows = b"".join(
        b"\x00" + b"".join(WHITE if column == row else fill for column in range(PNG_SIZE))
        for row in range(PNG_SIZE)
    )
    header = struct.pack(">IIBBBBB", PNG_SIZE, PNG_SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)


class Store(Database):
    """The sandbox's SQLite state: purchases, the feed, binaries, tokens, writes."""

    # Smint.io writes concern no version, so its write log has never shown one.
    write_columns = tuple(name for name in WRITE_COLUMNS if name != "version")

    def __init__(self, path: Path, refresh_token: str) -> None:
        super().__init__(path, SCHEMA)
        with self.transaction():
            if self._connection.execute("SELECT 1 FROM purchases LIMIT 1").fetchone() is None:
                self._seed(refresh_token)
            self.url_secret = self._secret("url")

    def _secret(self, name: str) -> str:
        """Return the named secret, made once per state file so signed URLs survive a restart."""
        self._connection.execute(
            "INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)",
            (name, secrets.token_hex(32)),
        )
        row = self._connection.execute("SELECT value FROM secrets WHERE name = ?", (name,))
        return str(row.fetchone()["value"])

    def reset(self, refresh_token: str) -> None:
        """Seed purchases, feed and binaries afresh; forget refresh tokens and writes."""
        with self.transaction():
            for table in (
                *("continuations", "feed", "binary_versions", "binaries", "purchases"),
                *("refresh_tokens", "authorization_codes"),
            ):
                self._connection.execute(f"DELETE FROM {table}")  # noqa: S608 - names above
            self.forget_writes()
            self._seed(refresh_token)

    def _seed(self, refresh_token: str) -> None:
        for each in SEED_PURCHASES:
            self._connection.execute(
                "INSERT INTO purchases (uuid, body) VALUES (?, ?)", (each["uuid"], json.dumps(each))
            )
            self._append_to_feed(each["uuid"])
        for position, binary in enumerate(SEED_BINARIES):
            details = {
                "name": binary.name,
                "usage": binary.usage,
                "file_name": binary.file_name,
                "culture": binary.culture,
                "binary_type": binary.binary_type,
            }
            self._connection.execute(
                "INSERT INTO binaries (uuid, purchase_uuid, position, colour, version, details)"
                " VALUES (?, ?, ?, ?, 0, ?)",
                (binary.uuid, binary.purchase_uuid, position, binary.colour, json.dumps(details)),
            )
            self.add_binary_version(binary.uuid)
        self._connection.execute("INSERT INTO refresh_tokens (token) VALUES (?)", (refresh_token,))

    def issue_code(self, redirect_uri: str, challenge: str) -> str:
        """Remember a consent: a one-time code bound to its redirect URI and PKCE challenge."""
        code = secrets.token_urlsafe(24)
        with self.transaction():
            self._connection.execute(
                "INSERT INTO authorization_codes (code, redirect_uri, challenge, issued_at)"
                " VALUES (?, ?, ?, ?)",
                (code, redirect_uri, challenge, time.time()),
            )
        return code

    def redeem_code(self, code: str) -> dict[str, Any] | None:
        """Spend a code once; None if it is unknown, spent or older than ten minutes."""
        with self.transaction():
            row = self._connection.execute(
                "SELECT * FROM authorization_codes WHERE code = ?", (code,)
            ).fetchone()
            self._connection.execute("DELETE FROM authorization_codes WHERE code = ?", (code,))
        if row is None or time.time() - row["issued_at"] > CODE_TTL_SECONDS:
            return None
        return dict(row)

    def new_refresh_token(self) -> str:
        token = secrets.token_urlsafe(32)
        with self.transaction():
            self._connection.execute("INSERT INTO refresh_tokens (token) VALUES (?)", (token,))
        return token

    def rotate_refresh_token(self, token: str) -> str | None:
        """Spend a refresh token and return the next one; None if it is unknown or spent."""
        with self.transaction():
            spent = self._connection.execute("DELETE FROM refresh_tokens WHERE token = ?", (token,))
            if spent.rowcount == 0:
                return None
            successor = secrets.token_urlsafe(32)
            self._connection.execute("INSERT INTO refresh_tokens (token) VALUES (?)", (successor,))
        return successor

    def purchase(self, purchase_uuid: str) -> dict[str, Any] | None:
        with self.transaction():
            row = self._connection.execute(
                "SELECT body FROM purchases WHERE uuid = ?", (purchase_uuid,)
            ).fetchone()
        return None if row is None else dict(json.loads(row["body"]))

    def save_change(self, purchase: dict[str, Any]) -> None:
        """Store a changed purchase and append it to the feed."""
        with self.transaction():
            self._connection.execute(
                "UPDATE purchases SET body = ? WHERE uuid = ?",
                (json.dumps(purchase), purchase["uuid"]),
            )
            self._append_to_feed(purchase["uuid"])

    def _append_to_feed(self, purchase_uuid: str) -> None:
        self._connection.execute(
            "INSERT INTO feed (position, purchase_uuid)"
            " SELECT COALESCE(MAX(position), 0) + 1, ? FROM feed",
            (purchase_uuid,),
        )

    def feed(self, after: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Return up to `limit` feed entries after a position, and the position of the last."""
        with self.transaction():
            rows = self._connection.execute(
                "SELECT feed.position, purchases.body FROM feed"
                " JOIN purchases ON purchases.uuid = feed.purchase_uuid"
                " WHERE feed.position > ? ORDER BY feed.position LIMIT ?",
                (after, limit),
            ).fetchall()
        last = rows[-1]["position"] if rows else after
        return [json.loads(row["body"]) for row in rows], last

    def continuation(self, position: int) -> str:
        """Return the continuation uuid of a feed position, the same one each time."""
        with self.transaction():
            self._connection.execute(
                "INSERT OR IGNORE INTO continuations (uuid, position) VALUES (?, ?)",
                (str(uuid.uuid4()), position),
            )
            row = self._connection.execute(
                "SELECT uuid FROM continuations WHERE position = ?", (position,)
            ).fetchone()
        return str(row["uuid"])

    def position(self, continuation: str) -> int | None:
        with self.transaction():
            row = self._connection.execute(
                "SELECT position FROM continuations WHERE uuid = ?", (continuation,)
            ).fetchone()
        return None if row is None else int(row["position"])

    def binaries(self, purchase_uuid: str) -> list[dict[str, Any]]:
        """Return a purchase's binaries at their current versions, in order."""
        with self.transaction():
            rows = self._connection.execute(
                "SELECT binaries.uuid, binaries.version, binaries.details,"
                " binary_versions.content_type FROM binaries JOIN binary_versions"
                " ON binary_versions.binary_uuid = binaries.uuid"
                " AND binary_versions.version = binaries.version"
                " WHERE binaries.purchase_uuid = ? ORDER BY binaries.position",
                (purchase_uuid,),
            ).fetchall()
        return [{**dict(row), "details": json.loads(row["details"])} for row in rows]

    def add_binary_version(self, binary_uuid: str) -> None:
        """Add the binary's next version, a PNG unlike the one before."""
        with self.transaction():
            row = self._connection.execute(
                "SELECT colour, version FROM binaries WHERE uuid = ?", (binary_uuid,)
            ).fetchone()
            version = row["version"] + 1
            self._connection.execute(
                "INSERT INTO binary_versions (binary_uuid, version, content_type, content)"
                " VALUES (?, ?, 'image/png', ?)",
                (binary_uuid, version, png(row["colour"], version)),
            )
            self._connection.execute(
                "UPDATE binaries SET version = ? WHERE uuid = ?", (version, binary_uuid)
            )

    def file(self, binary_uuid: str, version: int) -> tuple[str, bytes] | None:
        """Return the content type and bytes of one version of a binary."""
        with self.transaction():
            row = self._connection.execute(
                "SELECT content_type, content FROM binary_versions"
                " WHERE binary_uuid = ? AND version = ?",
                (binary_uuid, version),
            ).fetchone()
        return None if row is None else (row["content_type"], bytes(row["content"]))


@dataclass(frozen=True)
class Faults(CommonFaults):
    rate_limit_rate: float = 0.0

    def shares(self) -> tuple[tuple[Fault, float], ...]:
        """Return the faults a request can draw with their rates; a rate limit comes first."""
        return ((Fault.RATE_LIMIT, self.rate_limit_rate), *super().shares())


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    refresh_token: str  # the one valid when the state is new or reset
    token_ttl: int


class Hook:
    """Announce feed changes: through Pusher as Smint.io does (when a Pusher server runs), and
    to a webhook URL (Govern's relay contract): in the background, best effort, signed."""

    def __init__(
        self,
        url: str | None,
        secret: str,
        pusher: PusherServer | None = None,
        channel_id: int = 0,
    ) -> None:
        self.url = url
        self.secret = secret
        self.pusher, self.channel = pusher, channel_for(channel_id)

    def announce(self) -> None:
        if self.pusher is not None:  # Smint.io's payload is not documented; the SDKs ignore it
            self.pusher.publish(self.channel, {"changed_at": now()})
        if self.url is None:
            return
        event = {"event_id": str(uuid.uuid4()), "type": HOOK_EVENT, "occurred_at": now()}
        body = json.dumps(event).encode()
        threading.Thread(target=self._post, args=(self.url, body), daemon=True).start()

    def _post(self, url: str, body: bytes) -> None:
        timestamp = int(time.time())
        digest = hmac.new(self.secret.encode(), b"%d.%s" % (timestamp, body), hashlib.sha256)
        headers = {
            "Content-Type": "application/json",
            "Govern-Signature": f"t={timestamp},v1={digest.hexdigest()}",
        }
        try:
            # The operator chose the URL: any scheme urllib opens is theirs to use.
            request = urllib.request.Request(url, body, headers, method="POST")  # noqa: S310
            with HOOK_OPENER.open(request, timeout=HOOK_TIMEOUT_SECONDS):
                pass
        except (OSError, ValueError) as error:  # refused, timed out, 4xx/5xx, malformed URL
            print(f"hook POST to {url} failed: {error}", file=sys.stderr, flush=True)


class Sandbox:
    """The simulated service: routes a request and applies faults."""

    def __init__(
        self,
        store: Store,
        client: Client,
        url_ttl: int,
        hook: Hook,
        faults: Faults,
        seed: int | None,
    ) -> None:
        self.store = store
        self.client = client
        self.url_ttl = url_ttl
        self.hook = hook
        self.faults = FaultSettings(faults, seed)
        lpts = r"/consumer/v1/license-purchase-transactions"
        purchases = r"/_sandbox/purchases/(?P<lpt>[^/]+)"
        self._routes = [
            route("POST", r"/connect/token", self._token),
            route("GET", r"/connect/authorize", self._consent_page),
            route("POST", r"/connect/authorize", self._consent),
            route("GET", lpts, self._feed),
            route("GET", lpts + r"/(?P<cart>[^/]+)/(?P<lpt>[^/]+)/binaries", self._binaries),
            route("GET", r"/consumer/v1/generic-metadata", self._metadata),
            route("POST", PUSHER_AUTH, self._pusher_auth),
            route("GET", r"/_files/(?P<binary>[^/]+)/(?P<version>\d+)", self._file),
            route("GET", r"/_sandbox/health", self._health),
            route("GET", r"/_sandbox/writes", self._writes),
            route("POST", r"/_sandbox/reset", self._reset),
            route("GET", r"/_sandbox/faults", self._get_faults),
            route("POST", r"/_sandbox/faults", self._set_faults),
            route("POST", purchases + r"/cancel", self._cancel),
            route("POST", purchases + r"/terms", self._replace_terms),
            route("POST", purchases + r"/binaries/(?P<binary>[^/]+)/update", self._update_binary),
        ]

    def respond(self, request: Request) -> Answer:
        """Answer one request; a /consumer/v1 or /_files one first waits and draws its fault."""
        if not request.path.startswith((CONSUMER_PREFIX, FILES_PREFIX)):
            return Answer(self._dispatch(request))
        faults = self.faults.current
        time.sleep(faults.latency_ms / 1000)
        fault = self.faults.draw(faults)
        authenticate = request.path.startswith(CONSUMER_PREFIX)
        # A channel authorization is a POST that writes nothing: no Idempotency-Key, no log.
        if request.method == "POST" and authenticate and request.path != PUSHER_AUTH:
            reply = write_once(self.store, self._routes, request, fault)
        elif fault in REFUSALS:
            reply = REFUSALS[fault]
        else:
            reply = self._dispatch(request, authenticate)
        delay = faults.timeout_seconds if fault is Fault.TIMEOUT else 0.0
        return Answer(reply, delay_seconds=delay, drop=fault is Fault.DROP)

    def _dispatch(self, request: Request, authenticate: bool = False) -> Reply:
        try:
            if authenticate:
                require_bearer(request, self.store)
            action, params = resolve(self._routes, request)
            return action(request, params)
        except Problem as problem:
            return problem.reply()

    def _token(self, request: Request, params: dict[str, str]) -> Reply:
        fields = parse_qs(request.body.decode("utf-8", "replace"))
        form = {name: values[0] for name, values in fields.items()}
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "authorization_code"):
            raise Problem(400, "unsupported_grant_type", "use refresh_token or authorization_code")
        if not (
            same(form.get("client_id", ""), self.client.client_id)
            and same(form.get("client_secret", ""), self.client.client_secret)
        ):
            raise Problem(401, "invalid_client", "unknown client or wrong secret")
        if grant == "authorization_code":
            successor = self._redeem(form)
        else:
            if not form.get("refresh_token"):
                raise Problem(400, "invalid_request", "the form needs a refresh_token")
            found = self.store.rotate_refresh_token(form["refresh_token"])
            if found is None:
                raise Problem(400, "invalid_grant", "the refresh token is unknown or already used")
            successor = found
        body = {
            "access_token": self.store.issue_token(self.client.token_ttl),
            "refresh_token": successor,
            "expires_in": self.client.token_ttl,
            "token_type": "Bearer",
        }
        return Reply(200, body, {"Cache-Control": "no-store"})

    def _redeem(self, form: dict[str, str]) -> str:
        """Trade a consent code, checked against its redirect URI and PKCE verifier (S256)."""
        held = self.store.redeem_code(form.get("code", ""))
        if held is None:
            raise Problem(400, "invalid_grant", "the code is unknown, spent or expired")
        if form.get("redirect_uri") != held["redirect_uri"]:
            raise Problem(400, "invalid_grant", "the redirect_uri differs from the consent's")
        if not same(_challenge(form.get("code_verifier", "")), held["challenge"]):
            raise Problem(400, "invalid_grant", "the code_verifier does not match the challenge")
        return self.store.new_refresh_token()

    def _consent_request(self, values: dict[str, str]) -> dict[str, str]:
        """Check an authorization request as an OpenID provider would, or refuse it."""
        if values.get("response_type") != "code":
            raise Problem(400, "unsupported_response_type", "response_type must be code")
        if not same(values.get("client_id", ""), self.client.client_id):
            raise Problem(400, "invalid_client", "unknown client")
        if not values.get("redirect_uri", "").startswith(("http://", "https://")):
            raise Problem(400, "invalid_request", "redirect_uri must be an http(s) URL")
        if not SCOPE <= set(values.get("scope", "").split()):
            raise Problem(400, "invalid_scope", f"scope must include {' '.join(sorted(SCOPE))}")
        if values.get("code_challenge_method") != "S256" or not values.get("code_challenge"):
            raise Problem(400, "invalid_request", "PKCE with S256 is required")
        wanted = ("redirect_uri", "state", "code_challenge")
        return {name: values.get(name, "") for name in wanted}

    def _consent_page(self, request: Request, params: dict[str, str]) -> Reply:
        asked = self._consent_request(request.query)
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in {**request.query}.items()
            if name
            in {"response_type", "client_id", "redirect_uri", "scope", "state"}
            | {"code_challenge", "code_challenge_method"}
        )
        page = (
            "<!doctype html><title>Smint.io sandbox: consent</title>"
            f"<h1>Allow {html.escape(self.client.client_id)} to read your licence purchases?</h1>"
            f"<p>You will return to {html.escape(asked['redirect_uri'])}.</p>"
            f'<form method="post" action="/connect/authorize">{hidden}'
            '<button name="decision" value="allow">Allow</button> '
            '<button name="decision" value="deny">Deny</button></form>'
        )
        return Reply(200, page.encode(), content_type="text/html; charset=utf-8")

    def _consent(self, request: Request, params: dict[str, str]) -> Reply:
        fields = parse_qs(request.body.decode("utf-8", "replace"))
        asked = self._consent_request({name: values[0] for name, values in fields.items()})
        decision = fields.get("decision", [""])[0]
        answer = {"state": asked["state"]}
        if decision == "allow":
            answer["code"] = self.store.issue_code(asked["redirect_uri"], asked["code_challenge"])
        else:
            answer["error"] = "access_denied"
        location = f"{asked['redirect_uri']}?{urlencode(answer)}"
        return Reply(302, b"", {"Location": location}, content_type="text/plain")

    def _feed(self, request: Request, params: dict[str, str]) -> Reply:
        limit = _limit(request.query.get("limit"))
        continuation = request.query.get("continuation_uuid")
        after = 0 if continuation is None else self.store.position(continuation)
        if after is None:
            raise Problem(400, "invalid_continuation", f"unknown continuation_uuid {continuation}")
        purchases, last = self.store.feed(after, limit)
        body = {
            "count": len(purchases),
            "continuation_uuid": self.store.continuation(last),
            "license_purchase_transactions": purchases,
        }
        return Reply(200, body)

    def _binaries(self, request: Request, params: dict[str, str]) -> Reply:
        purchase = self.store.purchase(params["lpt"])
        if purchase is None or purchase["cart_purchase_transaction_uuid"] != params["cart"]:
            raise Problem(404, "not_found", f"no purchase {params['cart']}/{params['lpt']}")
        binaries = self.store.binaries(params["lpt"])
        # A bare JSON array, as the SDKs' generated clients read it (List<SyncBinary>).
        return Reply(200, [self._binary(request.host, each) for each in binaries])

    def _binary(self, host: str, binary: dict[str, Any]) -> dict[str, Any]:
        details = binary["details"]
        return {
            "uuid": binary["uuid"],
            "content_type": binary["content_type"],
            "binary_type": details.get("binary_type", "standard"),
            "name": texts(details["name"]),
            "description": [],
            "usage": texts(details["usage"]),
            "download_url": self._signed_url(host, binary["uuid"], binary["version"]),
            "recommended_file_name": details["file_name"],
            "culture": details.get("culture", "en"),
            "version": binary["version"],
        }

    def _signed_url(self, host: str, binary_uuid: str, version: int) -> str:
        expires = int(time.time()) + self.url_ttl
        query = urlencode(
            {"expires": expires, "signature": self._signature(binary_uuid, version, expires)}
        )
        return f"http://{host}{FILES_PREFIX}{binary_uuid}/{version}?{query}"

    def _signature(self, binary_uuid: str, version: int, expires: int) -> str:
        message = f"{binary_uuid}/{version}/{expires}".encode()
        return hmac.new(self.store.url_secret.encode(), message, hashlib.sha256).hexdigest()

    def _file(self, request: Request, params: dict[str, str]) -> Reply:
        binary_uuid, version = params["binary"], int(params["version"])
        expires = _whole_number(request.query.get("expires"))
        signature = request.query.get("signature", "")
        # The signature is checked first, so a forged expiry learns nothing.
        if expires is None or not same(signature, self._signature(binary_uuid, version, expires)):
            raise Problem(403, "bad_signature", "the signature does not match the URL")
        if time.time() > expires:
            raise Problem(403, "url_expired", "the download URL has expired; fetch a new one")
        found = self.store.file(binary_uuid, version)
        if found is None:
            raise Problem(404, "not_found", f"no version {version} of binary {binary_uuid}")
        content_type, content = found
        return Reply(200, content, content_type=content_type)

    def _metadata(self, request: Request, params: dict[str, str]) -> Reply:
        """Every vocabulary as the SDKs read it: a flat list of localized metadata elements,
        one per key and culture."""
        body = {
            category: [
                element(culture, key=key, name=label)
                for key, (english, german) in labels.items()
                for culture, label in (("en", english), ("de", german))
            ]
            for category, labels in METADATA.items()
        }
        return Reply(200, body)

    def _pusher_auth(self, request: Request, params: dict[str, str]) -> Reply:
        """Authorize a Pusher socket for the tenant's private channel, and no other."""
        fields = parse_qs(request.body.decode("utf-8", "replace"))
        socket_id = fields.get("socket_id", [""])[0]
        channel = fields.get("channel_name", [""])[0]
        if self.hook.pusher is None:
            raise Problem(404, "not_found", "notifications are off in this sandbox")
        if not socket_id or channel != self.hook.channel:
            raise Problem(403, "forbidden", f"only {self.hook.channel} may be subscribed")
        return Reply(200, {"auth": signature(self.hook.pusher.secret, socket_id, channel)})

    @contextmanager
    def _changing(self, purchase_uuid: str) -> Iterator[dict[str, Any]]:
        """Yield a purchase to change; then save it, feed it again and announce it."""
        with self.store.transaction():
            purchase = self.store.purchase(purchase_uuid)
            if purchase is None:
                raise Problem(404, "not_found", f"no purchase {purchase_uuid}")
            yield purchase
            purchase["last_updated_at"] = now()
            self.store.save_change(purchase)
        self.hook.announce()  # after the commit, so a consumer that reacts at once sees it

    def _cancel(self, request: Request, params: dict[str, str]) -> Reply:
        given = json_object(request.body, "invalid_request")
        with self._changing(params["lpt"]) as purchase:
            if purchase["state"] == "cancelled":
                raise Problem(409, "invalid_state", "the purchase is already cancelled")
            purchase["state"] = "cancelled"
            if given.get("malformed") is True:  # a re-delivery a consumer cannot fully read
                for term in purchase["license_terms"]:
                    term["valid_until"] = "31.12.2027"
        return Reply(200, purchase)

    def _replace_terms(self, request: Request, params: dict[str, str]) -> Reply:
        given = json_object(request.body, "invalid_term")
        with self._changing(params["lpt"]) as purchase:
            numbers = [each["sequence_number"] for each in purchase["license_terms"]]
            purchase["license_terms"] = [_checked_term(given, max(numbers, default=0) + 1)]
        return Reply(200, purchase)

    def _update_binary(self, request: Request, params: dict[str, str]) -> Reply:
        with self._changing(params["lpt"]):
            binaries = {each["uuid"] for each in self.store.binaries(params["lpt"])}
            if params["binary"] not in binaries:
                raise Problem(404, "not_found", f"no binary {params['binary']} in the purchase")
            self.store.add_binary_version(params["binary"])
        updated = next(
            each for each in self.store.binaries(params["lpt"]) if each["uuid"] == params["binary"]
        )
        return Reply(200, self._binary(request.host, updated))

    def _health(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, {"status": "ok"})

    def _writes(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, {"items": self.store.writes()})

    def _reset(self, request: Request, params: dict[str, str]) -> Reply:
        self.store.reset(self.client.refresh_token)
        return Reply(200, {"status": "reset"})

    def _get_faults(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, asdict(self.faults.current))

    def _set_faults(self, request: Request, params: dict[str, str]) -> Reply:
        return Reply(200, asdict(self.faults.change(request.body)))


def _challenge(verifier: str) -> str:
    """PKCE S256: base64url of the verifier's sha256, without padding."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    limit = _whole_number(text)
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise Problem(400, "invalid_request", f"limit must be an integer from 1 to {MAX_LIMIT}")
    return limit


def _whole_number(text: str | None) -> int | None:
    # isdigit() alone lets through digits such as "²" that int() refuses.
    if text is None or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _checked_term(given: dict[str, Any], sequence_number: int) -> dict[str, Any]:
    """Check a term body and return the term; what it leaves out is unknown (null)."""
    unknown = sorted(set(given) - set(TERM_FIELDS))
    if unknown:
        raise Problem(400, "invalid_term", f"unknown term fields: {', '.join(unknown)}")
    for name in TERM_LISTS:
        value = given.get(name)
        if value is not None and not _is_key_list(value):
            raise Problem(400, "invalid_term", f"{name} must be a list of strings or null")
    for name in TERM_DATES:
        value = given.get(name)
        if value is not None and not _is_timestamp(value):
            raise Problem(400, "invalid_term", f"{name} must be an ISO 8601 time with an offset")
    editorial_use = given.get("is_editorial_use")
    if editorial_use is not None and not isinstance(editorial_use, bool):
        raise Problem(400, "invalid_term", "is_editorial_use must be true, false or null")
    if not _is_localized(given.get("name", [])):
        raise Problem(400, "invalid_term", "name must be a list of {culture, value} objects")
    # The sandbox numbers terms itself; a sequence_number in the body is ignored.
    values = {**given, "sequence_number": sequence_number, "name": given.get("name", [])}
    return {name: values.get(name) for name in TERM_FIELDS}


def _is_key_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(each, str) for each in value)


def _is_localized(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(each, dict)
        and set(each) == {"culture", "value"}
        and all(isinstance(text, str) for text in each.values())
        for each in value
    )


def _is_timestamp(value: Any) -> bool:
    """Whether the value is an ISO 8601 time with an offset, such as 2026-04-01T12:00:00Z."""
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def serve(
    *,
    host: str,
    port: int,
    state: Path,
    error_rate: float = 0.0,
    timeout_rate: float = 0.0,
    drop_rate: float = 0.0,
    rate_limit_rate: float = 0.0,
    latency_ms: int = 0,
    timeout_seconds: float = 5.0,
    token_ttl: int = 300,
    url_ttl: int = 3600,
    client_id: str = "govern",
    client_secret: str = "sandbox-secret",  # noqa: S107 - the sandbox's documented default
    refresh_token: str = "sandbox-refresh-token",  # noqa: S107 - the documented default
    hook_url: str | None = None,
    hook_secret: str = "sandbox-hook-secret",  # noqa: S107 - the documented default
    seed: int | None = None,
    pusher_port: int | None = None,
    channel_id: int = 4711,
    pusher_secret: str = "sandbox-pusher-secret",  # noqa: S107 - the documented default
) -> None:
    """Serve the Smint.io sandbox in the foreground until SIGINT or SIGTERM; with a Pusher
    port, notify changes through Pusher on the tenant's channel too."""
    faults = Faults(
        error_rate, timeout_rate, drop_rate, latency_ms, timeout_seconds, rate_limit_rate
    )
    store = Store(state, refresh_token)
    pusher = None if pusher_port is None else PusherServer(host, pusher_port, pusher_secret)
    try:
        client = Client(client_id, client_secret, refresh_token, token_ttl)
        hook = Hook(hook_url, hook_secret, pusher, channel_id)
        sandbox = Sandbox(store, client, url_ttl, hook, faults, seed)
        server = make_server(sandbox.respond, host, port, "SmintioSandbox")
        print(
            f"Smint.io sandbox on http://{host}:{server.server_port}/ (state: {state})", flush=True
        )
        if pusher is not None:
            print(
                f"Pusher on ws://{host}:{pusher.port}/app/{APP_KEY} "
                f"(channel {channel_for(channel_id)})",
                flush=True,
            )
        run_until_stopped(server)
    finally:
        if pusher is not None:
            pusher.close()
        store.close()
