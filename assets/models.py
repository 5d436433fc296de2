"""What may be used: assets, their variants and versions, and decisions."""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from govern.models import BusinessUnit


class Kind(models.TextChoices):
    LOGO = "logo", "Logo"
    PRODUCT_IMAGE = "product_image", "Product image"
    CAMPAIGN_VISUAL = "campaign_visual", "Campaign visual"
    DISCLAIMER = "disclaimer", "Disclaimer"
    DISCLOSURE_GRAPHIC = "disclosure_graphic", "Disclosure graphic"
    ICON = "icon", "Icon"
    ILLUSTRATION = "illustration", "Illustration"
    LEGAL_ARTWORK = "legal_artwork", "Legal artwork"


# Kinds that are regulated unless an asset says otherwise, and kinds whose versions are texts.
REGULATED_KINDS = frozenset({Kind.DISCLAIMER, Kind.DISCLOSURE_GRAPHIC, Kind.LEGAL_ARTWORK})
TEXT_KINDS = frozenset({Kind.DISCLAIMER})


class Channel(models.TextChoices):
    PRINT = "print", "Print"
    EMAIL = "email", "E-mail"
    WEB = "web", "Web"
    MOBILE = "mobile", "Mobile"


class Placement(models.TextChoices):
    """Where in a communication a template slot puts its asset (licences may limit it)."""

    COVER = "cover", "Cover or first page"
    INSIDE = "inside", "Inside pages"
    HEADER = "header", "Header"
    FOOTER = "footer", "Footer"
    BANNER = "banner", "Banner"
    INSERT = "insert", "Insert"
    ENVELOPE = "envelope", "Envelope"


class Source(models.TextChoices):
    UPLOAD = "upload", "Upload"
    SMINTIO = "smintio", "Smint.io"


class Asset(models.Model):
    key = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="assets")
    regulated = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.UPLOAD)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key"]
        indexes = [models.Index(fields=["business_unit", "kind"])]

    def __str__(self) -> str:
        return self.key

    def get_absolute_url(self) -> str:
        return reverse("assets:asset-detail", args=[self.pk])

    @property
    def takes_text(self) -> bool:
        return self.kind in TEXT_KINDS


class Variant(models.Model):
    """One selector combination of an asset; an empty selector matches any value."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="variants")
    language = models.CharField(max_length=35, blank=True, help_text="BCP 47, e.g. de-CH")
    region = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2, e.g. DE")
    segment = models.CharField(max_length=100, blank=True)
    # Sorted, comma-separated channel names; empty means every channel.
    channels = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["asset", "language", "region", "segment", "channels"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "language", "region", "segment", "channels"],
                name="one_variant_per_selector",
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset.key} [{self.selector_label}]"

    @property
    def channel_list(self) -> list[str]:
        return self.channels.split(",") if self.channels else []

    @property
    def selector_label(self) -> str:
        return selector_label(self.language, self.region, self.segment, self.channels)


def selector_label(language: str, region: str, segment: str, channels: str) -> str:
    """A variant's selectors in words: "de · CH · print+email", or "any"."""
    parts = [language, region, segment, channels.replace(",", "+")]
    return " · ".join(part for part in parts if part) or "any"


class VersionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded"
    RETIRED = "retired", "Retired"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"
    DISCARDED = "discarded", "Discarded"


class VersionQuerySet(models.QuerySet["Version"]):
    def in_units(self, unit_ids: set[int]) -> "VersionQuerySet":
        return self.filter(variant__asset__business_unit_id__in=unit_ids)

    def awaiting_review_by(self, user: Any, unit_ids: set[int]) -> "VersionQuerySet":
        """Return versions in review in these units that this user may still decide."""
        already_approved = Decision.objects.filter(
            version=models.OuterRef("pk"), actor=user, action=DecisionAction.APPROVE
        )
        return (
            self.in_units(unit_ids)
            .filter(state=VersionState.IN_REVIEW)
            .exclude(submitted_by=user)
            .exclude(created_by=user)
            .exclude(models.Exists(already_approved))
        )

    def with_context(self) -> "VersionQuerySet":
        """Join what lists show, and count approvals per row (a subquery: no GROUP BY)."""
        approvals = (
            Decision.objects.filter(version=models.OuterRef("pk"), action=DecisionAction.APPROVE)
            .order_by()
            .values("version")
            .annotate(total=models.Count("pk"))
            .values("total")
        )
        return self.select_related(
            "variant__asset__business_unit", "submitted_by", "created_by"
        ).annotate(approval_count=Coalesce(models.Subquery(approvals), 0))


class Version(models.Model):
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    state = models.CharField(
        max_length=16, choices=VersionState.choices, default=VersionState.DRAFT
    )
    sha256 = models.CharField(max_length=64)
    file = models.CharField(max_length=200, blank=True, help_text="Storage name of the content.")
    media_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    text = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # The last evaluation of the compliance criteria: {"rule_set": label, "results": [...]}.
    criteria = models.JSONField(default=dict, blank=True)
    required_approvals = models.PositiveSmallIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Where a synced version came from, e.g. "smintio:<purchase>:<binary>:<binary version>".
    external_id = models.CharField(max_length=300, null=True, blank=True, unique=True)
    purchase = models.ForeignKey(
        "LicensePurchase", null=True, blank=True, on_delete=models.PROTECT, related_name="versions"
    )

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["variant", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "number"], name="one_number_per_variant"),
            models.UniqueConstraint(
                fields=["variant", "sha256"],
                condition=~models.Q(state="discarded"),
                name="one_content_per_variant",
            ),
            models.UniqueConstraint(
                fields=["variant"],
                condition=models.Q(state="approved"),
                name="one_approved_version_per_variant",
            ),
        ]
        indexes = [models.Index(fields=["state", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.variant.asset.key} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("assets:version-review", args=[self.pk])

    @property
    def asset(self) -> Asset:
        return self.variant.asset

    @property
    def is_text(self) -> bool:
        return not self.file

    @property
    def is_svg(self) -> bool:
        return self.media_type == "image/svg+xml"


class DecisionAction(models.TextChoices):
    APPROVE = "approve", "Approved"
    REJECT = "reject", "Rejected"
    WITHDRAW = "withdraw", "Withdrawn"
    RETIRE = "retire", "Retired"
    EXPIRE = "expire", "Expired"


class Decision(models.Model):
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="decisions")
    # None: the system decided (a cancelled or expired licence), with the reason as comment.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=16, choices=DecisionAction.choices)
    comment = models.TextField(blank=True)
    # The criteria the decider saw: "kind/unit#number" of the rule set, and the items ticked.
    criteria = models.CharField(max_length=100, blank=True)
    checklist = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "actor"],
                condition=models.Q(action="approve"),
                name="one_approval_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.version} by {self.actor}"


class SignatureMeaning(models.TextChoices):
    APPROVED = "approved", "Approved: I reviewed this content and approve it for use"
    REJECTED = "rejected", "Rejected: I reviewed this content and reject it"
    READ = "read", "Read: I read this licence and its reading says what it allows"


class Signature(models.Model):
    """An electronic signature on a regulated decision (21 CFR Part 11 §11.50, §11.70).

    Made when the signer entered their password again; it records the printed name, the time
    and the meaning, and its digest covers them with the decision and the sha256 of the content
    signed, so a signature beside other content does not verify (see assets/signatures.py).
    """

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="signature")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=300)
    meaning = models.CharField(max_length=16, choices=SignatureMeaning.choices)
    reason = models.TextField(blank=True)
    signed_at = models.DateTimeField()
    content_sha256 = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    # How the signer proved who they were: {"method": "password"}, or a fresh login at the
    # identity provider {"method": "oidc", "issuer", "auth_time", "amr", "acr"}; in the digest.
    authentication = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.printed_name}, {self.meaning}, {self.signed_at:%Y-%m-%d %H:%M:%S} UTC"

    def proven_by(self) -> str:
        """How the signer proved who they were, in words ("" when not recorded)."""
        proof = self.authentication or {}
        if proof.get("method") == "password":
            factor = {"totp": " and an authenticator code", "recovery": " and a recovery code"}
            return "after entering their password" + factor.get(str(proof.get("second_factor")), "")
        if proof.get("method") != "oidc":
            return ""
        logged_in = datetime.fromtimestamp(int(proof.get("auth_time") or 0), UTC)
        said = f"after a fresh login at {proof.get('issuer')} at {logged_in:%Y-%m-%d %H:%M:%S} UTC"
        amr, acr = proof.get("amr") or [], proof.get("acr") or ""
        if amr:
            said += f" (methods {', '.join(map(str, amr))})"
        if acr:
            said += f" (level {acr})"
        return said


class CriteriaRuleSet(models.Model):
    """The compliance criteria of an asset kind, for every unit or one: versioned, never edited.

    rules: [{"rule": "min_print_dpi", "params": {"dpi": 300}, "blocking": true}, ...]
    checklist: the items each approver ticks. A change is a new row with the next number.
    """

    kind = models.CharField(max_length=32, choices=Kind.choices)
    business_unit = models.ForeignKey(
        BusinessUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    number = models.PositiveIntegerField()
    rules = models.JSONField(default=list)
    checklist = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "business_unit", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "business_unit"],
                condition=models.Q(active=True, business_unit__isnull=False),
                name="one_active_rule_set_per_unit_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(active=True, business_unit__isnull=True),
                name="one_active_rule_set_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"Criteria for {self.kind} #{self.number}"


class ApprovalPeriod(models.Model):
    """When a version was the approved one: from its final approval until it left that state.

    Reconciliation asks this, not the current state, whether a run used an approved version.
    """

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="approval_periods")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # The state the version left approval for: superseded, withdrawn, retired or expired.
    ended_as = models.CharField(max_length=16, choices=VersionState.choices, blank=True)

    class Meta:
        ordering = ["version", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_approval_period_per_version",
            )
        ]
        indexes = [models.Index(fields=["version", "started_at"])]

    def __str__(self) -> str:
        return f"{self.version_id} approved {self.started_at:%Y-%m-%d} – {self.ended_at or 'now'}"


class Rendition(models.Model):
    """A version converted for one channel profile, stored under its own sha256."""

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="renditions")
    profile = models.CharField(max_length=32)
    # sha256 of the profile's settings: a changed profile makes a new rendition.
    settings_hash = models.CharField(max_length=64)
    settings = models.JSONField(default=dict)
    sha256 = models.CharField(max_length=64)
    file = models.CharField(max_length=200)
    media_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "profile", "settings_hash"], name="one_rendition_per_profile"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} as {self.profile}"


class ContentFingerprint(models.Model):
    """The perceptual hash of stored image content, by its sha256: computed once, the first time
    a produced document is matched against it (assets/produced/matching.py)."""

    sha256 = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.sha256[:12]}: {self.fingerprint[:12]}"


class SmintioConnection(models.Model):
    """The one link to Smint.io: the rotating refresh token, the feed cursor, the sync's health."""

    class State(models.TextChoices):
        OK = "ok", "Working"
        NEEDS_AUTHORIZATION = "needs_authorization", "Needs a new authorization"

    # Smint.io rotates it on every use; losing the newest one means re-authorizing by hand.
    refresh_token = models.TextField(blank=True)
    continuation_uuid = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=24, choices=State.choices, default=State.OK)
    last_error = models.TextField(blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Smint.io ({self.get_state_display()})"


class LicensePurchaseQuerySet(models.QuerySet["LicensePurchase"]):
    def licensing(self, version: "Version") -> "LicensePurchaseQuerySet":
        """The purchases that license a version: its own and any re-purchase."""
        return self.filter(
            models.Q(versions=version) | models.Q(licensed_versions__version=version)
        ).distinct()


class LicensePurchase(models.Model):
    """One Smint.io license purchase transaction (LPT), updated in place when re-delivered."""

    uuid = models.CharField(max_length=100, unique=True)
    cart_uuid = models.CharField(max_length=100)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="purchases")
    state = models.CharField(max_length=32)
    content_element_uuid = models.CharField(max_length=200)
    provider = models.CharField(max_length=100, blank=True)
    content_category = models.CharField(max_length=100, blank=True)
    license_type = models.CharField(max_length=100, blank=True)
    license_text = models.TextField(blank=True, help_text="Sanitised HTML, in English if given.")
    # Every culture's text, sanitised: {"en": "<p>..</p>", "de": ".."}; the reader's first.
    license_texts = models.JSONField(default=dict, blank=True)
    # Localized links and notices as delivered: [{"culture", "name", "url"}], [{"culture", ..}].
    license_urls = models.JSONField(default=list, blank=True)
    copyright_notices = models.JSONField(default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    is_ai = models.BooleanField(null=True)
    is_editorial_use = models.BooleanField(null=True, help_text="Unknown is not false.")
    has_restrictive_terms = models.BooleanField(null=True, help_text="Unknown is not false.")
    # The earlier purchase of the same content this one re-licenses, as Smint.io says.
    reused_uuid = models.CharField(max_length=100, blank=True)
    max_users = models.IntegerField(null=True, blank=True)
    max_downloads = models.IntegerField(null=True, blank=True)
    max_reuses = models.IntegerField(null=True, blank=True)
    # Smint.io's counters against those limits, as delivered (null: not told).
    current_users = models.IntegerField(null=True, blank=True)
    current_downloads = models.IntegerField(null=True, blank=True)
    current_reuses = models.IntegerField(null=True, blank=True)
    # The provider's own words a person must read: {"usage_constraints": {"en": ".."},
    # "allowed_use_comment": {..}, "release_comment": {..}}, each by culture.
    provider_texts = models.JSONField(default=dict, blank=True)
    model_release_state = models.CharField(max_length=32, blank=True)
    property_release_state = models.CharField(max_length=32, blank=True)
    # Who bought it (Smint.io's licensee): which unit it belongs to is a LicenseeUnit.
    licensee_uuid = models.CharField(max_length=100, blank=True, db_index=True)
    licensee_name = models.CharField(max_length=200, blank=True)
    raw = models.JSONField(default=dict)
    # When Govern learnt of the cancellation: uses before it were covered by the purchase.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = LicensePurchaseQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Purchase {self.uuid} ({self.state})"

    @property
    def cancelled(self) -> bool:
        return self.state == "cancelled"


class LicenseeUnit(models.Model):
    """The business unit a Smint.io licensee's purchases belong to (SMINTIO_UNIT without one)."""

    licensee_uuid = models.CharField(max_length=100, unique=True)
    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["licensee_uuid"]
        verbose_name = "Smint.io licensee's unit"

    def __str__(self) -> str:
        return f"{self.licensee_uuid} -> {self.business_unit_id}"


class VersionLicence(models.Model):
    """A purchase that licenses a version: its own, or a second purchase of the same content.

    The version is usable while any of its purchases covers the use.
    """

    version = models.ForeignKey("Version", on_delete=models.CASCADE, related_name="licences")
    purchase = models.ForeignKey(
        LicensePurchase, on_delete=models.PROTECT, related_name="licensed_versions"
    )
    attached_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version", "attached_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "purchase"], name="one_licence_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.version_id} licensed by {self.purchase_id}"


class QuarantineState(models.TextChoices):
    OPEN = "open", "Waiting"
    RESOLVED = "resolved", "Mapped"
    DISMISSED = "dismissed", "Dismissed"


class QuarantinedPurchase(models.Model):
    """A Smint.io purchase that could not be mapped, kept whole until it is or someone says no.

    The rest of its batch commits and the feed moves on; nothing of it is lost.
    """

    uuid = models.CharField(max_length=200, blank=True)
    payload = models.JSONField()
    error = models.TextField()
    state = models.CharField(
        max_length=16, choices=QuarantineState.choices, default=QuarantineState.OPEN
    )
    attempts = models.PositiveIntegerField(default=1)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["uuid"],
                condition=models.Q(state="open") & ~models.Q(uuid=""),
                name="one_open_quarantine_per_purchase",
            )
        ]

    def __str__(self) -> str:
        return f"Quarantined {self.uuid or '(no uuid)'} ({self.state})"


class LicenseTerm(models.Model):
    """One term of a purchase, immutable: a changed term is a new row, the old one inactive."""

    purchase = models.ForeignKey(LicensePurchase, on_delete=models.CASCADE, related_name="terms")
    sequence_number = models.IntegerField()
    # sha256 of the term as delivered: the same term re-delivered is recognised, a change is not.
    fingerprint = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    name = models.JSONField(default=list)
    exclusivities = models.JSONField(null=True)
    # Lists of Smint.io vocabulary keys; null means unknown, which is not the same as none.
    allowed_usages = models.JSONField(null=True)
    restricted_usages = models.JSONField(null=True)
    allowed_sizes = models.JSONField(null=True)
    restricted_sizes = models.JSONField(null=True)
    allowed_placements = models.JSONField(null=True)
    restricted_placements = models.JSONField(null=True)
    allowed_distributions = models.JSONField(null=True)
    restricted_distributions = models.JSONField(null=True)
    allowed_geographies = models.JSONField(null=True)
    restricted_geographies = models.JSONField(null=True)
    allowed_industries = models.JSONField(null=True)
    restricted_industries = models.JSONField(null=True)
    allowed_languages = models.JSONField(null=True)
    restricted_languages = models.JSONField(null=True)
    usage_limits = models.JSONField(null=True)
    valid_from = models.DateTimeField(null=True)
    valid_until = models.DateTimeField(null=True)
    to_be_used_until = models.DateTimeField(null=True)
    is_editorial_use = models.BooleanField(null=True)
    # A term is in force from created_at until deactivated_at (when a changed term replaced it).
    created_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["purchase", "sequence_number", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["purchase", "sequence_number"],
                condition=models.Q(active=True),
                name="one_active_term_per_sequence",
            )
        ]

    def __str__(self) -> str:
        return f"Term {self.sequence_number} of {self.purchase_id}"


class LicenceReading(models.Model):
    """A compliance officer's signed reading of a purchase's licence: what its words allow, as
    term lists Govern can judge. It applies while the licence it read is unchanged
    (licence_sha256, see assets/rights/readings.py); a newer reading supersedes it."""

    purchase = models.ForeignKey(LicensePurchase, on_delete=models.PROTECT, related_name="readings")
    # The lists, dates and editorial flag the reader stated, in a licence term's shape; a list
    # stated empty means "none" here, because a person said so.
    terms = models.JSONField(default=dict)
    reason = models.TextField()
    licence_sha256 = models.CharField(max_length=64)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=300)
    meaning = models.CharField(max_length=16, choices=SignatureMeaning.choices)
    signed_at = models.DateTimeField()
    digest = models.CharField(max_length=64)
    # How the reader proved who they were (as Signature.authentication); in the digest.
    authentication = models.JSONField(default=dict, blank=True)
    # When a sync found the licence changed under it (audited): it applies no more.
    outdated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["purchase", "-signed_at", "-pk"]

    def __str__(self) -> str:
        return f"Reading of {self.purchase_id} by {self.printed_name}, {self.signed_at:%Y-%m-%d}"


class VocabularyLabel(models.Model):
    """A label of a Smint.io metadata key (license_usages, license_geographies...) per culture."""

    vocabulary = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    culture = models.CharField(max_length=16)
    label = models.CharField(max_length=500)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vocabulary", "key", "culture"], name="one_label_per_culture"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vocabulary}.{self.key} [{self.culture}]"


class Vocabulary(models.TextChoices):
    """The Smint.io vocabularies whose keys Govern judges, and what each key maps to."""

    GEOGRAPHY = "license_geographies", "Geographies → ISO 3166-1 regions"
    USAGE = "license_usages", "Usages → channels"
    LANGUAGE = "license_languages", "Languages → BCP 47 tags"
    PLACEMENT = "license_placements", "Placements → slot placements"
    INDUSTRY = "license_industries", "Industries → business-unit industries"
    SIZE = "license_sizes", "Sizes → widths (mm for print, px for screens)"
    DISTRIBUTION = "license_distributions", "Distributions → copies (documents)"


class VocabularyMapping(models.Model):
    """What one Smint.io vocabulary key means in Govern's terms; data people edit, audited.

    Geographies map to ISO regions ("*" for anywhere), usages to channels, languages to BCP 47
    tags. A key without a mapping is unknown, which is never the same as not covered.
    """

    vocabulary = models.CharField(max_length=32, choices=Vocabulary.choices)
    key = models.CharField(max_length=200)
    values = models.JSONField(default=list)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["vocabulary", "key"]
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "key"], name="one_mapping_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.vocabulary}.{self.key} → {', '.join(self.values)}"


class OnUnknown(models.TextChoices):
    BLOCK = "block", "Block the run"
    WARN = "warn", "Warn and let the run go"


class RightsPolicy(models.Model):
    """What a unit does with a licence Govern cannot judge, per asset kind.

    Without a row: block for regulated kinds, warn for the others (default_on_unknown).
    """

    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    on_unknown = models.CharField(max_length=8, choices=OnUnknown.choices)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["business_unit", "kind"]
        verbose_name_plural = "rights policies"
        constraints = [
            models.UniqueConstraint(fields=["business_unit", "kind"], name="one_policy_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.business_unit_id}/{self.kind}: {self.on_unknown}"


def default_on_unknown(kind: str) -> str:
    """Without a policy row: block for regulated kinds, warn for the others."""
    return OnUnknown.BLOCK if kind in REGULATED_KINDS else OnUnknown.WARN


class HookEvent(models.Model):
    """An event id a hook delivered, kept so a repeated delivery triggers nothing."""

    source = models.CharField(max_length=32)
    event_id = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="one_event_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.event_id}"


class Annotation(models.Model):
    """A reviewer's comment pinned to a region of an image (fractions of its width and height,
    from its top left) or to a span of a text (character offsets), threaded by `parent`.

    It belongs to the version it was made on and is shown on every later version of the same
    variant until it is resolved, marked as carried from that version.
    """

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="annotations")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    body = models.TextField()
    # A region: x, y, width and height as fractions of the image (0 to 1).
    x = models.FloatField(null=True, blank=True)
    y = models.FloatField(null=True, blank=True)
    width = models.FloatField(null=True, blank=True)
    height = models.FloatField(null=True, blank=True)
    # A span of a text: [start, end) in characters.
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.version}: {self.body[:40]}"

    @property
    def is_region(self) -> bool:
        return self.x is not None

    @property
    def quoted(self) -> str:
        """The span of text it is pinned to."""
        if self.start is None or self.end is None:
            return ""
        return self.version.text[self.start : self.end]
