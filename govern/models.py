"""The permission scope (business units, the role grants on them), API keys, notices, export
jobs, the worker heartbeat and the setup problems parts report."""

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import Device
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from govern.roles import Role
from govern.zones import default_zone_name, validate_zone_name


class Industry(models.TextChoices):
    """What a business unit does, which licences' industry terms are judged against."""

    BANKING = "banking", "Banking"
    INSURANCE = "insurance", "Insurance"
    ASSET_MANAGEMENT = "asset_management", "Asset management"
    ENERGY = "energy", "Energy"
    UTILITIES = "utilities", "Utilities"
    TELECOMMUNICATIONS = "telecommunications", "Telecommunications"
    HEALTHCARE = "healthcare", "Healthcare"
    PHARMACEUTICALS = "pharmaceuticals", "Pharmaceuticals"
    PUBLIC_SECTOR = "public_sector", "Public sector"
    RETAIL = "retail", "Retail"
    TRANSPORT = "transport", "Transport"
    MEDIA = "media", "Media and publishing"
    GAMBLING = "gambling", "Gambling"
    ALCOHOL = "alcohol", "Alcohol"
    TOBACCO = "tobacco", "Tobacco"
    POLITICS = "politics", "Politics"
    OTHER = "other", "Other"


class BusinessUnit(models.Model):
    # The audit trail named units before they moved here from assets (audit/services.py).
    audit_type = "assets.businessunit"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    # Blank: not said, so a licence's industry terms cannot be judged (unknown, not false).
    industry = models.CharField(max_length=32, choices=Industry.choices, blank=True)
    # Editorial-only licences are never used in commercial communications unless this is set.
    publishes_editorial = models.BooleanField(default=False)
    # The zone its people plan in: campaign and pre-flight times are typed and shown in it.
    time_zone = models.CharField(
        max_length=64,
        default=default_zone_name,
        validators=[validate_zone_name],
        help_text="An IANA time zone, e.g. Europe/Berlin: campaign and pre-flight times are "
        "typed and shown in it.",
    )
    # Whether a pre-flight asked for proofs says no-go when Exstream cannot make one.
    proof_unavailable_blocks = models.BooleanField(
        default=True,
        help_text="When pre-flight is asked for proofs and Exstream cannot produce one, the run "
        "may not go (off: it goes, with a warning).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The unit lived in assets until the base took the permission scope; its tables and
        # content types kept their names (govern/migrations/0005_business_units.py).
        db_table = "assets_businessunit"
        ordering = ["name"]
        # One permission per role: holding it on a unit means holding the role there.
        permissions = [(role.value, f"{role.label} in this unit") for role in Role]

    def __str__(self) -> str:
        return self.name


class BusinessUnitUserObjectPermission(UserObjectPermissionBase):
    """A user's role in one business unit (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        db_table = "assets_businessunituserobjectpermission"
        verbose_name = "role grant"


class BusinessUnitGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        db_table = "assets_businessunitgroupobjectpermission"


def hash_api_key(raw_key: str) -> str:
    """Return the stored form of an API key (keys are random, so a plain sha256 suffices)."""
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> "ApiKeyQuerySet":
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiKey(models.Model):
    name = models.CharField(max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys"
    )
    prefix = models.CharField(max_length=16, unique=True, help_text="Shown to identify the key.")
    key_hash = models.CharField(max_length=64, unique=True)
    units = models.ManyToManyField(BusinessUnit, related_name="api_keys")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["name", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_api_key_per_name",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class WorkerHeartbeat(models.Model):
    """The last time a django-q2 worker ran the heartbeat task."""

    name = models.CharField(max_length=100, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class SetupProblem(models.Model):
    """A setup problem a part of Govern met while working (an OTDS token URL that answers no
    token, say): /healthz and the pages of that part show it until the part works again."""

    part = models.CharField(max_length=50, unique=True)
    detail = models.TextField()
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.part}: {self.detail[:60]}"


class ExternalIdentity(models.Model):
    """The person an identity provider's subject is: Govern's account for (issuer, sub)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    # The groups the provider last said the person is in (its groups claim, or SCIM).
    groups = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_account_per_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class GroupMapping(models.Model):
    """A group the identity provider names (a claim, or a SCIM group) gives a role in a unit."""

    group = models.CharField(max_length=255)
    role = models.CharField(max_length=32, choices=Role.choices)
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.CASCADE, related_name="group_mappings"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "role", "business_unit"], name="one_mapping_per_grant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group} -> {self.role} in {self.business_unit.slug}"


class ProviderGrant(models.Model):
    """A role the identity provider gave (through a group mapping): the provider may take it
    away again. A grant with no such row was given by hand and the provider never removes it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_grants"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "business_unit"], name="one_provider_grant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} in {self.business_unit.slug} (from the provider)"


class ScimToken(models.Model):
    """A provisioning client's bearer token (one per identity provider), stored hashed."""

    provider = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"SCIM token of {self.provider} ({self.prefix}...)"


class ScimUser(models.Model):
    """A person the provisioning client manages: Govern's account, and the client's own id."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scim"
    )
    provider = models.CharField(max_length=100)
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)
    # Deleted through SCIM: the account stays (its name in the audit trail, its signatures),
    # deactivated, and SCIM answers 404 for it.
    deleted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} from {self.provider}"


class ScimGroup(models.Model):
    """A group the provisioning client keeps; its members get what its name is mapped to."""

    provider = models.CharField(max_length=100)
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="scim_groups")
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "display_name"], name="one_scim_group_per_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.provider})"


class UserSession(models.Model):
    """A person's signed-in session, so it can be listed and ended (the session store keeps
    the session itself)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    address = models.CharField(max_length=45, blank=True)
    agent = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"


class Passkey(Device):
    """A WebAuthn credential (a passkey) of a local account, one way to give its second factor
    at login (govern/identity/passkeys.py)."""

    # django-otp's Device has no type hints, so these fields say their own.
    credential_id: "models.CharField[str, str]" = models.CharField(
        max_length=1400, unique=True
    )  # base64url
    public_key: "models.BinaryField[bytes, bytes]" = models.BinaryField()
    sign_count: "models.PositiveBigIntegerField[int, int]" = models.PositiveBigIntegerField(
        default=0
    )
    created_at: "models.DateTimeField[Any, Any]" = models.DateTimeField(default=timezone.now)
    last_used_at: "models.DateTimeField[Any, Any]" = models.DateTimeField(null=True, blank=True)

    def verify_token(self, token: Any) -> bool:
        return False  # a passkey answers a challenge, never a typed code


class RequestCount(models.Model):
    """Requests counted against a key in a window (password resets per client and address),
    held in the database so every web process counts the same requests."""

    key = models.CharField(max_length=100, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class ExportState(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Being written"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class ExportJob(models.Model):
    """A large export a worker writes to storage while the requester watches its progress."""

    kind = models.CharField(max_length=32)
    file_format = models.CharField(max_length=8)
    filters = models.JSONField(default=dict)
    # The units the requester could read when asking: the worker exports exactly those.
    unit_ids = models.JSONField(default=list)
    business_unit = models.ForeignKey(
        BusinessUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=8, choices=ExportState.choices, default=ExportState.QUEUED)
    rows_total = models.PositiveBigIntegerField(default=0)
    rows_done = models.PositiveBigIntegerField(default=0)
    file = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.kind}, {self.state})"

    @property
    def percent(self) -> int:
        if self.state == ExportState.DONE:
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class Notification(models.Model):
    """Something a person should know, in their list and by email (sent by a worker).

    key makes a notice idempotent: the same cause notifies the same person once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Mailed at once whatever the person's choice (but "off"): overdue, or theirs by name.
    urgent = models.BooleanField(default=False)
    # When someone else did what it asked (decided the version...): it needs nobody any more.
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_notice_per_cause")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.subject}"

    @property
    def kind(self) -> str:
        """What sort of cause it is: its key up to the first colon (version-waiting...)."""
        return self.key.split(":", 1)[0]

    @property
    def needs_me(self) -> bool:
        return self.read_at is None and self.settled_at is None


class EmailChoice(models.TextChoices):
    IMMEDIATELY = "immediately", "Email me each notice as it happens"
    DIGEST = "digest", "Email me a daily digest, and at once what is overdue or mine by name"
    OFF = "off", "No email: notices here only"


class NotificationPreference(models.Model):
    """How a person wants their notices by email (every notice is always in their list)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.CharField(max_length=16, choices=EmailChoice.choices, default=EmailChoice.DIGEST)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email}"
