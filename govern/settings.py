"""Settings for Govern, read from the environment (see .env.example)."""

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from govern import dotenv

BASE_DIR = Path(__file__).resolve().parent.parent


try:
    # ENV_FILE names another file, or none (tests use os.devnull): the environment wins over it.
    dotenv.load(Path(os.environ.get("ENV_FILE") or BASE_DIR / ".env"), dotenv.known_names())
except dotenv.DotenvError as error:
    raise ImproperlyConfigured(str(error)) from error


def env(name: str, default: str = "") -> str:
    """Return a variable's value, or the content of the file NAME_FILE names (for secrets).

    Unset and empty both mean the default.
    """
    value, path = os.environ.get(name), os.environ.get(f"{name}_FILE")
    if value and path:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if path:
        try:
            value = Path(path).read_text().strip()
        except OSError as error:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {error}") from error
    return value or default


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, str(default)).lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return _number(name, int, default)


def env_float(name: str, default: float) -> float:
    return _number(name, float, default)


def _number(name: str, kind: type[int] | type[float], default: float) -> Any:
    text = env(name, str(default))
    try:
        return kind(text)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a number, got {text!r}.") from error


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def review_due_hours(items: list[str]) -> dict[str, int]:
    """{"": hours for every kind, kind: hours} from "72,disclaimer=24"."""
    hours: dict[str, int] = {}
    for item in items:
        kind, _, value = item.rpartition("=")
        if not value.isdigit() or not 1 <= int(value) <= 87_600:
            raise ImproperlyConfigured(
                f"REVIEW_DUE_HOURS: {item!r} is not hours from 1 to 87600 (ten years), e.g. 72."
            )
        hours[kind.strip()] = int(value)
    hours.setdefault("", 72)
    return hours


DEBUG = env_bool("DEBUG")
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"  # noqa: S105
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_htmx",
    "govern",
    "assets",
    "templates_app",
    "usage",
    "audit",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "govern.api_only.ApiOnlyAccounts",
    "django.contrib.messages.middleware.MessageMiddleware",
    "govern.identity.sessions.SessionLimits",
    "govern.identity.second_factor.SecondFactor",
    "govern.errors_views.ProductNotFound",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "govern.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.navigation.navigation",
            ],
        },
    },
]

# Database: SQLite in the project directory unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'govern.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker share one file: WAL lets readers run beside the writer, IMMEDIATE takes
    # the write lock at BEGIN so no transaction fails half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One process's memory by default; with several web processes, Redis (CACHE_URL), so limits
# such as the password reset's count across all of them.
CACHE_URL = env("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
# Single sign-on (OpenID Connect, govern/identity/): the provider's issuer (its discovery document
# under /.well-known/openid-configuration), Govern's client there, the scopes asked, and the
# claims naming a person's groups and username. Empty OIDC_ISSUER: no single sign-on.
OIDC_ISSUER = env("OIDC_ISSUER").rstrip("/")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET")
OIDC_SCOPES = env("OIDC_SCOPES", "openid profile email")
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", "groups")
OIDC_USERNAME_CLAIM = env("OIDC_USERNAME_CLAIM", "preferred_username")
# Whether people may log in with a local password (off: single sign-on only).
LOCAL_LOGIN = env_bool("LOCAL_LOGIN", True)
# The roles whose local accounts must have a second factor (TOTP) before anything else:
# role names, and "administrator" for superusers, e.g. "administrator,compliance_officer".
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", "administrator")
OTP_TOTP_ISSUER = "Govern"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_ANONYMOUS_USER_NAME = None
ANONYMOUS_USER_NAME = None

# Lock a username out from one address after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_HOURS", 0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "govern.auth.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Stored content (versions, renditions, previews, exports): local files under MEDIA_ROOT, the
# embedded default, or an S3 bucket (django-storages) that every web and worker machine shares.
MEDIA_STORAGE = env("MEDIA_STORAGE", "local")
MEDIA_BACKENDS = {
    "local": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "s3": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            # Without keys boto3 finds its own (instance role, ~/.aws): none stored here.
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE") or None,
            "location": env("AWS_LOCATION"),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    },
}
if MEDIA_STORAGE not in MEDIA_BACKENDS:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be local or s3, not {MEDIA_STORAGE!r}.")
if MEDIA_STORAGE == "s3" and not env("AWS_STORAGE_BUCKET_NAME"):
    raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
STORAGES = {
    "default": MEDIA_BACKENDS[MEDIA_STORAGE],
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# Security headers; HTTPS settings default to on outside DEBUG.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
# A session ends after this many minutes without a request, and this many hours after the login.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_MAX_HOURS = env_float("SESSION_MAX_HOURS", 8)
LOGIN_URL_PATH = "/login/"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The largest page any API list answers, and the contexts one pre-flight may name.
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 200)
PREFLIGHT_MAX_CONTEXTS = env_int("PREFLIGHT_MAX_CONTEXTS", 100)
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "govern.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "govern.parsers.LimitedJSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "govern.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "govern.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # ?format= names an export's file format (csv, xlsx), not a DRF renderer.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Govern API",
    "DESCRIPTION": "Asset governance between Smint.io and OpenText Exstream.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation's error answers (govern/openapi.py), after the enum names are settled.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "govern.openapi.document_errors",
    ],
    # Assets and templates both have a "kind"; name their choice sets apart.
    "ENUM_NAME_OVERRIDES": {
        "AssetKindEnum": "assets.models.Kind",
        "TemplateKindEnum": "templates_app.models.TemplateKind",
        "DecisionMeaningEnum": ["approved", "rejected"],
        "ReadingMeaningEnum": ["read"],
    },
}

# Outgoing webhooks (templates_app/webhooks): how long a subscriber has to answer, and whether
# endpoints may be http:// or point at loopback and private addresses (only for development).
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", DEBUG)
# The demo's subscriber (sandboxes/receiver.py, run by `serve` on loopback); seed_demo registers it.
DEMO_WEBHOOK_URL = env("DEMO_WEBHOOK_URL", "http://127.0.0.1:8104/hooks" if DEBUG else "")

# django-q2: the ORM broker on the database (the embedded default) or Redis (Q_BROKER_URL,
# redis:// or rediss://); at-least-once delivery either way, retries live in Govern's outbox.
# Q_CLUSTER_NAME names the queue, so installations can share one Redis.
Q_BROKER_URL = env("Q_BROKER_URL")
if Q_BROKER_URL and not Q_BROKER_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("Q_BROKER_URL must be a redis://, rediss:// or unix:// URL.")
Q_CLUSTER = {
    "name": env("Q_CLUSTER_NAME", "govern"),
    **({"redis": Q_BROKER_URL} if Q_BROKER_URL else {"orm": "default"}),
    "workers": env_int("Q_WORKERS", 2),
    "timeout": 120,
    "retry": 300,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.5,
    "save_limit": 500,
    "sync": env_bool("Q_SYNC"),
}
# Each task's start and end are INFO: one worker says dozens of lines a minute. Failures and
# timeouts are still said (ERROR); Q_LOG_LEVEL=INFO brings the rest back. django-q2 applies its
# own "log_level" only when nothing handles its logger, so LOGGING below sets it.
Q_LOG_LEVEL = env("Q_LOG_LEVEL", "WARNING").upper()
if Q_LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured("Q_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL.")
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 180)
# /healthz asks the database every time, and the rest (broker, storage, profile, heartbeat)
# again after this many seconds, so a load balancer polling it costs the database one query.
HEALTH_RECHECK_SECONDS = env_float("HEALTH_RECHECK_SECONDS", 5)

# Exstream: the API (or the sandbox `manage.py sandbox exstream` starts) or a hot folder.
EXSTREAM_URL = env("EXSTREAM_URL", "http://127.0.0.1:8101").rstrip("/")
# Where Govern's resource calls live on the instance (its Design API is under /design/), the
# OTDS tenant (token under /otdstenant/<tenant>/otdsws), the domain, and a CSRF token for
# instances that want one on writes.
EXSTREAM_API_PREFIX = env("EXSTREAM_API_PREFIX", "/design/das/v1")
EXSTREAM_OTDS_TENANT = env("EXSTREAM_OTDS_TENANT", "govern" if DEBUG else "")
EXSTREAM_DOMAIN = env("EXSTREAM_DOMAIN")
EXSTREAM_CSRF_TOKEN = env("EXSTREAM_CSRF_TOKEN")
# Which contract Govern speaks: "das", OpenText's published Design API (opentext/
# ocp-communication, Samples/Communications SDK), or "proxy", Govern's own resource contract
# for customers who put a proxy in front of their instance.
EXSTREAM_API = env("EXSTREAM_API", "das")
# OTDS, as OpenText's SDK reaches it: on premises under /otdsws/otdstenant/<tenant>, on OT2
# under /otdstenant/<tenant>; the scope otds:groups (on OT2 with a subscription). The DAS token
# is a service account's password grant when EXSTREAM_USERNAME is set, else client credentials.
EXSTREAM_OTDS_URL = env("EXSTREAM_OTDS_URL", EXSTREAM_URL).rstrip("/")
EXSTREAM_OT2 = env_bool("EXSTREAM_OT2")
EXSTREAM_OTDS_SUBSCRIPTION = env("EXSTREAM_OTDS_SUBSCRIPTION")
EXSTREAM_OTDS_SCOPE = env(
    "EXSTREAM_OTDS_SCOPE",
    f"search otds:groups subscription:{EXSTREAM_OTDS_SUBSCRIPTION}"
    if EXSTREAM_OT2
    else "otds:groups",
)
EXSTREAM_USERNAME = env("EXSTREAM_USERNAME")
EXSTREAM_PASSWORD = env("EXSTREAM_PASSWORD")
if EXSTREAM_API == "das":
    _where = "" if EXSTREAM_OT2 else "/otdsws"
    _token = f"{EXSTREAM_OTDS_URL}{_where}/otdstenant/{EXSTREAM_OTDS_TENANT}/oauth2/token"
    EXSTREAM_DOMAIN = EXSTREAM_DOMAIN or ("govern" if DEBUG else "")
else:  # the proxy contract's own path
    _otds = f"/otdstenant/{EXSTREAM_OTDS_TENANT}/otdsws" if EXSTREAM_OTDS_TENANT else "/otdsws"
    _token = f"{EXSTREAM_URL}{_otds}/oauth2/token"
EXSTREAM_TOKEN_URL = env("EXSTREAM_TOKEN_URL", _token)
EXSTREAM_CLIENT_ID = env("EXSTREAM_CLIENT_ID", "govern")
EXSTREAM_CLIENT_SECRET = env("EXSTREAM_CLIENT_SECRET", "sandbox-secret" if DEBUG else "")
EXSTREAM_TRANSPORT = env("EXSTREAM_TRANSPORT", "api")  # "api" or "hotfolder"
# Orchestration, which produces a document on demand for pre-flight's proofs, with the DAS
# token (opentext/ocp-communication's OrchestrationService); the driverDataSource a driver
# sample names when its owner gives none; what one driver sample and one proof may be.
EXSTREAM_ORCHESTRATION_URL = env("EXSTREAM_ORCHESTRATION_URL").rstrip("/")  # else EXSTREAM_URL
EXSTREAM_DRIVER_SOURCE = env("EXSTREAM_DRIVER_SOURCE", "driver")
DRIVER_SAMPLE_MAX_BYTES = env_int("DRIVER_SAMPLE_MAX_KB", 1000) * 1000
PROOF_MAX_PAGES = env_int("PROOF_MAX_PAGES", 20)
PROOF_MAX_CONTEXTS = env_int("PROOF_MAX_CONTEXTS", 10)
PROOF_MAX_BYTES = env_int("PROOF_MAX_MB", 20) * 1_000_000
EXSTREAM_HOTFOLDER = Path(env("EXSTREAM_HOTFOLDER", str(BASE_DIR / ".hotfolder")))
EXSTREAM_CONNECT_TIMEOUT = env_float("EXSTREAM_CONNECT_TIMEOUT", 5)
EXSTREAM_READ_TIMEOUT = env_float("EXSTREAM_READ_TIMEOUT", 20)
EXSTREAM_DEADLINE = env_float("EXSTREAM_DEADLINE", 60)
EXSTREAM_RETRIES = env_int("EXSTREAM_RETRIES", 3)
EXSTREAM_BACKOFF_SECONDS = env_float("EXSTREAM_BACKOFF_SECONDS", 0.5)
# Smint.io: the consumer API and its token endpoint (by tenant, or the sandbox by default), the
# OAuth client, the first refresh token (later ones rotate and live in the database), the unit
# synced purchases land in, and the secrets hook signatures may use (several while rotating).
SMINTIO_TENANT = env("SMINTIO_TENANT")
_smintio_default = (
    f"https://{SMINTIO_TENANT}.clapi.smint.io/consumer/v1"
    if SMINTIO_TENANT
    else "http://127.0.0.1:8102/consumer/v1"
)
SMINTIO_API_URL = env("SMINTIO_API_URL", _smintio_default).rstrip("/")
# The token endpoint follows the API's host unless set (the tenant's, or the sandbox's).
_smintio_api = urlsplit(SMINTIO_API_URL)
SMINTIO_TOKEN_URL = env(
    "SMINTIO_TOKEN_URL",
    f"https://{SMINTIO_TENANT}.smint.io/connect/token"
    if SMINTIO_TENANT and not env("SMINTIO_API_URL")
    else f"{_smintio_api.scheme}://{_smintio_api.netloc}/connect/token",
)
# Where an administrator consents (authorization code with PKCE): beside the token endpoint.
SMINTIO_AUTHORIZE_URL = env(
    "SMINTIO_AUTHORIZE_URL", SMINTIO_TOKEN_URL.rsplit("/", 1)[0] + "/authorize"
)
SMINTIO_SCOPE = "smintio.full openid profile offline_access"
SMINTIO_CLIENT_ID = env("SMINTIO_CLIENT_ID", "govern")
SMINTIO_CLIENT_SECRET = env("SMINTIO_CLIENT_SECRET", "sandbox-secret" if DEBUG else "")
SMINTIO_REFRESH_TOKEN = env("SMINTIO_REFRESH_TOKEN", "sandbox-refresh-token" if DEBUG else "")
SMINTIO_UNIT = env("SMINTIO_UNIT", "insurance-de" if DEBUG else "")
SMINTIO_ASSET_KIND = env("SMINTIO_ASSET_KIND", "campaign_visual")
SMINTIO_HOOK_SECRETS = env_list("SMINTIO_HOOK_SECRETS", "sandbox-hook-secret" if DEBUG else "")
SMINTIO_HOOK_TOLERANCE_SECONDS = env_int("SMINTIO_HOOK_TOLERANCE_SECONDS", 300)
SMINTIO_BATCH = env_int("SMINTIO_BATCH", 10)
# Push: Pusher Channels (Smint.io's public app key, cluster eu) on the tenant's private channel
# private-2-<id>; without a channel id no listener runs and the scheduled pull alone syncs.
SMINTIO_PUSHER_URL = env(
    "SMINTIO_PUSHER_URL",
    "wss://ws-eu.pusher.com/app/32f31c26a83e09dc401b?protocol=7&client=govern&version=1"
    if SMINTIO_TENANT
    else "ws://127.0.0.1:8103/app/32f31c26a83e09dc401b?protocol=7&client=govern&version=1",
)
SMINTIO_CHANNEL_ID = env_int("SMINTIO_CHANNEL_ID", 4711 if DEBUG and not SMINTIO_TENANT else 0)
SMINTIO_URL_MAX_AGE_SECONDS = env_int("SMINTIO_URL_MAX_AGE_SECONDS", 3000)

# `manage.py serve` (and so `make run`) also runs the sandboxes where the URLs point at loopback.
START_SANDBOXES = env_bool("START_SANDBOXES", DEBUG)
# The unit that the hourly template import fills (empty: no scheduled import).
EXSTREAM_IMPORT_UNIT = env("EXSTREAM_IMPORT_UNIT")

# The outbox: attempts before a delivery is dead, backoff between attempts, and how long a worker
# holds a claimed row before another may take it over (a worker that died).
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 8)
DELIVERY_BACKOFF_SECONDS = env_float("DELIVERY_BACKOFF_SECONDS", 30)
DELIVERY_BACKOFF_CAP_SECONDS = env_float("DELIVERY_BACKOFF_CAP_SECONDS", 3600)
DELIVERY_LEASE_SECONDS = env_float("DELIVERY_LEASE_SECONDS", 300)

# Print renditions go to CMYK through this ICC output profile (Debian's libgs-common ships the
# default); the profiles themselves are assets/renditions.py's PROFILES.
RENDITION_CMYK_ICC = Path(
    env("RENDITION_CMYK_ICC", "/usr/share/color/icc/ghostscript/default_cmyk.icc")
)

# Uploads: every limit refuses with a 4xx; the pixel limit is also Pillow's bomb threshold.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 50) * 1_000_000
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_MEGAPIXELS", 60) * 1_000_000
UPLOAD_MAX_SIDE = env_int("UPLOAD_MAX_SIDE", 30_000)
# Produced documents attached to runs (usage/samples/): their size, and how long a worker may
# read one before another takes it over.
SAMPLE_MAX_BYTES = env_int("SAMPLE_MAX_MB", 200) * 1_000_000
# The parts an email sample (.eml) may have: beyond them it is refused.
SAMPLE_MAX_PARTS = env_int("SAMPLE_MAX_PARTS", 500)
SAMPLE_LEASE_SECONDS = env_int("SAMPLE_LEASE_SECONDS", 900)
# The words in a sample's images are read by Tesseract (Debian's tesseract-ocr and its data for
# these languages), each image for at most this many seconds.
SAMPLE_OCR = env_bool("SAMPLE_OCR", True)
SAMPLE_OCR_LANGUAGES = env("SAMPLE_OCR_LANGUAGES", "eng+deu")
SAMPLE_OCR_SECONDS = env_int("SAMPLE_OCR_SECONDS", 20)
# A page's images share this many seconds of OCR, so a page ends inside a reading task (80 s of
# reading, then the page under way, under django-q's 120 s timeout).
SAMPLE_OCR_PAGE_SECONDS = env_int("SAMPLE_OCR_PAGE_SECONDS", 30)
# SVG structure: how deep elements may nest and how many there may be.
SVG_MAX_DEPTH = env_int("SVG_MAX_DEPTH", 64)
SVG_MAX_ELEMENTS = env_int("SVG_MAX_ELEMENTS", 50_000)
TEXT_MAX_CHARACTERS = env_int("TEXT_MAX_CHARACTERS", 100_000)
# Approvals a regulated asset's version needs, per kind ("disclaimer=2,legal_artwork=3");
# kinds not named need REGULATED_APPROVALS; unregulated assets need one.
REGULATED_APPROVALS = env_int("REGULATED_APPROVALS", 2)
APPROVALS_BY_KIND = {
    kind.strip(): int(count)
    for kind, _, count in (item.partition("=") for item in env_list("APPROVALS_BY_KIND"))
}

# Usage reports: records one API call may carry, the largest file accepted, and the drop folder
# a schedule imports from (done/ and rejected/ beside it).
USAGE_MAX_RECORDS = env_int("USAGE_MAX_RECORDS", 10_000)
USAGE_MAX_BYTES = env_int("USAGE_MAX_MB", 500) * 1_000_000
USAGE_INBOX = Path(env("USAGE_INBOX", str(BASE_DIR / ".usage-inbox")))
# Licence expiry warnings: days before a licence ends (or a first use must start) that notify.
EXPIRY_WARNING_DAYS = sorted(
    {int(days) for days in env_list("EXPIRY_WARNING_DAYS", "30,7,1") if days.strip().isdigit()},
    reverse=True,
)
# Review targets: hours a submitted version may wait for its decision before it is overdue
# (highlighted, and its officers told), "72" for every kind or "72,disclaimer=24" per kind.
REVIEW_DUE_HOURS = review_due_hours(env_list("REVIEW_DUE_HOURS", "72"))

# Notification emails, sent by the worker. With DEBUG they are printed unless a server is set.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The address Smint.io sends an administrator back to after consent; register it with Smint.io.
SMINTIO_REDIRECT_URI = env("SMINTIO_REDIRECT_URI", f"{SITE_URL}/assets/smintio/callback")
# With DEBUG the mail goes to the local catcher `serve` starts (aiosmtpd on 127.0.0.1:1025),
# which keeps every message in MAIL_CATCHER_DIR (a Maildir: one file per message in new/).
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1" if DEBUG else "")
EMAIL_PORT = env_int("EMAIL_PORT", 1025 if DEBUG else 25)
MAIL_CATCHER_DIR = Path(env("MAIL_CATCHER_DIR", str(BASE_DIR / ".mail")))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or not DEBUG
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "govern@localhost")
# Password reset emails a client or an address may ask for per hour (more is a 429).
PASSWORD_RESET_PER_HOUR = env_int("PASSWORD_RESET_PER_HOUR", 5)

# Signed checkpoints of the audit chain, kept outside the database (see audit/checkpoints.py):
# where they are appended, the Ed25519 signing key (base64 of a 32-byte seed; with DEBUG one is
# derived from SECRET_KEY), the verifier key an auditor checks them with, and the log's name.
AUDIT_CHECKPOINT_DIR = env(
    "AUDIT_CHECKPOINT_DIR", str(BASE_DIR / ".audit-checkpoints") if DEBUG else ""
)
AUDIT_CHECKPOINT_KEY = env("AUDIT_CHECKPOINT_KEY")
AUDIT_CHECKPOINT_PUBLIC_KEY = env("AUDIT_CHECKPOINT_PUBLIC_KEY")
AUDIT_CHECKPOINT_ORIGIN = env("AUDIT_CHECKPOINT_ORIGIN", "govern-audit")
AUDIT_CHECKPOINT_MINUTES = env_int("AUDIT_CHECKPOINT_MINUTES", 10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # fpdf2 notes each SVG <title> and <desc> it skips; the charts carry them for screen readers.
    "loggers": {
        "axes": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "fpdf.svg": {"level": "ERROR"},
        "django-q": {"level": Q_LOG_LEVEL},
    },
}
