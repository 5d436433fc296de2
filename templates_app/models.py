"""Where assets are used: Exstream templates, components, bindings, reviews and clearances."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from assets.models import Asset, Placement, Version
from assets.resolution import Context
from govern.models import BusinessUnit


class TemplateKind(models.TextChoices):
    COMMUNICATION = "communication", "Communication"
    DOCUMENT = "document", "Document"
    DESIGN = "design", "Design"
    COMPONENT = "component", "Component"
    MESSAGE = "message", "Message"


class TemplateState(models.TextChoices):
    CLEARED = "cleared", "Cleared"
    NEEDS_REVIEW = "needs_review", "Needs review"


class Template(models.Model):
    exstream_id = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=TemplateKind.choices)
    # Sorted, comma-separated channel names, as on variants.
    channels = models.CharField(max_length=64, blank=True)
    business_unit = models.ForeignKey(
        BusinessUnit,
        on_delete=models.PROTECT,
        related_name="templates",
        db_index=False,  # (business_unit, state) leads with it
    )
    state = models.CharField(
        max_length=16, choices=TemplateState.choices, default=TemplateState.CLEARED
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        permissions = [("own_template", "Owns the template (communication designer)")]
        indexes = [models.Index(fields=["business_unit", "state"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.exstream_id})"

    def get_absolute_url(self) -> str:
        return reverse("templates:template-detail", args=[self.pk])

    @property
    def channel_list(self) -> list[str]:
        return self.channels.split(",") if self.channels else []


class TemplateUserObjectPermission(UserObjectPermissionBase):
    """A designer's ownership of a template (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(Template, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "template owner"


class Composition(models.Model):
    """A template that contains a shared component; impact travels up these edges."""

    parent = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="component_links")
    child = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="used_in_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="one_composition_per_pair"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("child")), name="component_not_itself"
            ),
        ]
        indexes = [models.Index(fields=["child"])]

    def __str__(self) -> str:
        return f"{self.parent_id} contains {self.child_id}"


class Binding(models.Model):
    """A named slot of a template that uses an asset, resolved per context or pinned."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="bindings")
    slot = models.CharField(max_length=100)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="bindings")
    pinned_version = models.ForeignKey(
        Version, null=True, blank=True, on_delete=models.PROTECT, related_name="pinned_in"
    )
    # Width the slot prints at; print renditions must reach the profile's dpi at this size.
    print_width_mm = models.PositiveIntegerField(null=True, blank=True)
    # Where the slot sits; blank: not said, so licence placement terms cannot be judged.
    placement = models.CharField(max_length=16, choices=Placement.choices, blank=True)

    class Meta:
        ordering = ["template", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["template", "slot"], name="one_binding_per_slot")
        ]
        indexes = [models.Index(fields=["asset"])]

    def __str__(self) -> str:
        return f"{self.template_id}.{self.slot} → {self.asset_id}"


class ReviewState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


# A template is cleared when none of its reviews is in one of these states.
UNSETTLED_REVIEW_STATES = (ReviewState.OPEN, ReviewState.CHANGES_REQUESTED)


# A review names the asset of each version it shows (a campaign's may be of another asset):
# what a page selects with a review.
REVIEW_VERSIONS = ("old_version__variant__asset", "new_version__variant__asset")


class Review(models.Model):
    """A change to an asset that a template's owners must look at before its next run."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="reviews")
    state = models.CharField(max_length=20, choices=ReviewState.choices, default=ReviewState.OPEN)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    old_version = models.ForeignKey(
        Version, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_version = models.ForeignKey(
        Version, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # action:asset:old:new, so that a repeated cause finds the open review it already made.
    cause_key = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    # The change in words when versions alone do not say it (a campaign's window).
    detail = models.CharField(max_length=300, blank=True)
    # The campaign whose approval opened this review.
    campaign = models.ForeignKey(
        "Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "cause_key"],
                condition=models.Q(state="open"),
                name="one_open_review_per_cause",
            )
        ]
        indexes = [
            models.Index(fields=["state", "template"]),
            models.Index(fields=["cause_key"]),
            # An inbox walks the unsettled reviews oldest first and stops at its page.
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(state__in=UNSETTLED_REVIEW_STATES),
                name="review_unsettled_by_age",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.template_id}: {self.cause_key}"


def cause_key(action: str, asset_id: int, old_id: int | None, new_id: int | None) -> str:
    return f"{action}:{asset_id}:{old_id or '-'}:{new_id or '-'}"


class ReplacementState(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered, in review"
    FULFILLED = "fulfilled", "Fulfilled"
    DECLINED = "declined", "Declined"


class ReplacementRequest(models.Model):
    """A designer asks the unit's brand managers for a new version of an asset."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="replacements")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="replacement_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    wanted_by = models.DateField(null=True, blank=True)
    state = models.CharField(
        max_length=16, choices=ReplacementState.choices, default=ReplacementState.OPEN
    )
    fulfilled_version = models.ForeignKey(
        Version, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decline_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Replacement of {self.asset_id} ({self.state})"


class Verdict(models.TextChoices):
    GO = "go", "Go"
    NO_GO = "no-go", "No-go"


class Clearance(models.Model):
    """The stored answer of one pre-flight check, with everything it was based on."""

    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="clearances")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    run_at = models.DateTimeField()
    contexts = models.JSONField()
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    reasons = models.JSONField(default=list)
    # What did not stop the run but must be known: licences the unit's policy lets go unjudged.
    warnings = models.JSONField(default=list)
    evidence = models.JSONField(default=dict)
    evidence_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Clearance {self.pk}: {self.verdict}"


class DriverSample(models.Model):
    """Driver data the template's owner keeps for one context, from which pre-flight has
    Exstream produce a proof (a small JSON or XML document, kept in the database)."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="driver_samples")
    region = models.CharField(max_length=8, blank=True)
    language = models.CharField(max_length=35, blank=True)
    segment = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=16, blank=True)
    media_type = models.CharField(max_length=32)
    data = models.TextField()
    sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=300, blank=True)
    # The communication set's prodDsn Orchestration's driverDataSource header names.
    data_source = models.CharField(max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["template", "region", "language", "segment", "channel"],
                name="one_driver_sample_per_context",
            )
        ]

    def __str__(self) -> str:
        return f"Driver data of {self.template.exstream_id} for {self.context().describe()}"

    def context(self) -> Context:
        return Context(
            region=self.region, language=self.language, segment=self.segment, channel=self.channel
        )


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Failed, will retry"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead"
    SKIPPED = "skipped", "Skipped (no longer approved)"


DUE_STATES = (DeliveryState.PENDING, DeliveryState.RETRYING)


class ExstreamGap(models.Model):
    """A communication that, by Exstream's own links, uses an asset's image resources while
    Govern's bindings and components do not say so (found by the hourly cross-check)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="exstream_gaps")
    communication = models.CharField(max_length=300)
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "communication"], name="one_gap_per_use")
        ]

    def __str__(self) -> str:
        return f"{self.communication} uses {self.asset_id} unknown to Govern"


class Delivery(models.Model):
    """The outbox: one push of one rendition to one target, written with the decision."""

    target = models.CharField(max_length=32, default="exstream")
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="deliveries")
    profile = models.CharField(max_length=64)
    # What a write-back says (Smint.io feedback: status and reason); empty for renditions.
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    remote_reference = models.CharField(max_length=200, blank=True)
    # What was pushed: the rendition (its source version, profile and settings, its sha256).
    rendition = models.ForeignKey(
        "assets.Rendition", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The campaign whose approval queued this push (its id travels with the push).
    campaign = models.ForeignKey(
        "Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "target", "profile"], name="one_delivery_per_rendition"
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.version_id}/{self.profile} → {self.target} ({self.state})"


class WebhookEndpoint(models.Model):
    """A subscriber to governance events, registered by an administrator: Govern POSTs each
    event it subscribed to, signed with its secrets (templates_app/webhooks)."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # The event types it receives; ["*"] for every one.
    event_types = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url


class WebhookSecret(models.Model):
    """A signing secret of an endpoint, encrypted at rest and shown once. During a rotation the
    old one signs too until it expires, so a subscriber can switch without losing events."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="secrets")
    sealed = models.TextField(help_text="The secret, encrypted with a key derived from SECRET_KEY.")
    hint = models.CharField(max_length=16, help_text="Its last characters, to tell secrets apart.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"…{self.hint}"


class WebhookEvent(models.Model):
    """One governance event as subscribers receive it; its id is their idempotency key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64, db_index=True)
    business_unit = models.ForeignKey(
        BusinessUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.pk}"


class WebhookDelivery(models.Model):
    """The outbox row of one event to one endpoint: the same states, backoff and leases as a
    push (templates_app/outbox), retried by a person when dead."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.PROTECT, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_event")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.endpoint_id} ({self.state})"


class CampaignState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


# A campaign in one of these states resolves in its window (unless it is blocked).
SCHEDULED_CAMPAIGN_STATES = (CampaignState.APPROVED, CampaignState.LIVE)


class Campaign(models.Model):
    """A bundle of versions that replace what template slots use from go-live to the end."""

    name = models.CharField(max_length=200)
    business_unit = models.ForeignKey(
        BusinessUnit, on_delete=models.PROTECT, related_name="campaigns"
    )
    go_live_at = models.DateTimeField()
    # None: the campaign runs until it is cancelled.
    ends_at = models.DateTimeField(null=True, blank=True)
    # The IANA zone the person entered the times in; they are stored in UTC.
    time_zone = models.CharField(max_length=64, default="UTC")
    exstream_campaign_id = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=16, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    # An item failed its readiness (at approval or at go-live): pre-flight inside the window
    # says campaign_blocked, and the campaign does not resolve until it is ready again.
    blocked = models.BooleanField(default=False)
    blocked_reasons = models.JSONField(default=list, blank=True)
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
    went_live_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["go_live_at", "pk"]
        indexes = [
            models.Index(fields=["business_unit", "go_live_at"]),
            models.Index(fields=["state", "go_live_at"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("templates:campaign-detail", args=[self.pk])


class CampaignItem(models.Model):
    """One version a campaign brings: for one template slot, or for an asset wherever it is
    bound; optionally only in some contexts."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    template = models.ForeignKey(
        Template, null=True, blank=True, on_delete=models.PROTECT, related_name="campaign_items"
    )
    slot = models.CharField(max_length=100, blank=True)
    # The asset replaced wherever a template binds it (when no template slot is named).
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="campaign_items"
    )
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="campaign_items")
    region = models.CharField(max_length=2, blank=True)
    language = models.CharField(max_length=35, blank=True)
    segment = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["campaign", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(template__isnull=False, asset__isnull=True) & ~models.Q(slot="")
                )
                | models.Q(template__isnull=True, asset__isnull=False, slot=""),
                name="campaign_item_one_target",
            )
        ]
        indexes = [models.Index(fields=["template", "slot"]), models.Index(fields=["asset"])]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.target_label} → {self.version_id}"

    @property
    def target_label(self) -> str:
        if self.template is not None:
            return f"{self.template.name}.{self.slot}"
        return f"{self.asset.key if self.asset else '?'} (every template)"

    def selectors(self) -> dict[str, str]:
        return {
            "region": self.region,
            "language": self.language,
            "segment": self.segment,
            "channel": self.channel,
        }


class CampaignDecision(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="decisions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "actor"],
                condition=models.Q(approved=True),
                name="one_campaign_approval_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{'Approval' if self.approved else 'Rejection'} of campaign {self.campaign_id}"
