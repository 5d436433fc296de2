"""What may be used: business units, assets, their variants and versions, and decisions."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from govern.roles import Role


class BusinessUnit(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        # One permission per role: holding it on a unit means holding the role there.
        permissions = [(role.value, f"{role.label} in this unit") for role in Role]

    def __str__(self) -> str:
        return self.name


class BusinessUnitUserObjectPermission(UserObjectPermissionBase):
    """A user's role in one business unit (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "role grant"


class BusinessUnitGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(BusinessUnit, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass


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
        parts = [self.language, self.region, self.segment, self.channels.replace(",", "+")]
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

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["variant", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "number"], name="one_number_per_variant"),
            models.UniqueConstraint(fields=["variant", "sha256"], name="one_content_per_variant"),
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


class Decision(models.Model):
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="decisions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=DecisionAction.choices)
    comment = models.TextField(blank=True)
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
