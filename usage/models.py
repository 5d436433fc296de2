"""What Exstream produced: production runs, their usage records, and what reconciliation found."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from assets.models import Asset, Channel, LicensePurchase, Version
from govern.models import BusinessUnit
from templates_app.models import Clearance, Template


class RunSource(models.TextChoices):
    API = "api", "API"
    FILE = "file", "File"


class ProductionRun(models.Model):
    """One run Exstream reported, idempotent by the run id Exstream gave it."""

    run_id = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=8, choices=RunSource.choices)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="runs")
    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    clearance = models.ForeignKey(
        Clearance, null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    # sha256 of the report's content, independent of record order: a repeat is recognised.
    content_hash = models.CharField(max_length=64)
    record_count = models.PositiveIntegerField(default=0)
    documents = models.PositiveBigIntegerField(default=0)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["business_unit", "started_at"]),
            models.Index(fields=["template", "started_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(finished_at__gte=models.F("started_at")),
                name="run_finishes_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id}"


class UsageRecord(models.Model):
    """What one run produced with one version in one context, as Exstream counted it.

    Records are fact rows written in bulk by ingestion only, which takes every id from rows it
    reads in the same transaction, and never updated. They carry no foreign-key constraints in
    the database (each would check every inserted row: most of an ingest's time at a million
    rows); deleting what they name is refused by Django (PROTECT). Indexes are only those the
    reports and pages read by.
    """

    run = models.ForeignKey(
        ProductionRun,
        on_delete=models.PROTECT,
        related_name="records",
        db_constraint=False,
        db_index=False,  # the unique constraint leads with run
    )
    template = models.ForeignKey(
        Template, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    business_unit = models.ForeignKey(
        BusinessUnit,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,  # (business_unit, started_at) leads with it
    )
    # Copied from the run: reports and reconciliation filter on it without a join.
    started_at = models.DateTimeField()
    # What the report named, "version:<id>" or "sha256:<hex>"; asset and version are what it
    # maps to (null when Govern never delivered it: an unknown_content exception).
    reported = models.CharField(max_length=80)
    asset = models.ForeignKey(
        Asset,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    version = models.ForeignKey(
        Version,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="usage_records",
        db_constraint=False,
        db_index=False,  # (version, started_at) leads with it
    )
    sha256 = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    region = models.CharField(max_length=2, blank=True)
    language = models.CharField(max_length=35, blank=True)
    segment = models.CharField(max_length=100, blank=True)
    documents = models.PositiveBigIntegerField()
    pages = models.PositiveBigIntegerField()
    impressions = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["run", "pk"]
        constraints = [
            # started_at is the run's own: it adds nothing but what PostgreSQL asks of a
            # constraint on a table partitioned by it (usage/partitions.py).
            models.UniqueConstraint(
                fields=[
                    "run",
                    "reported",
                    "channel",
                    "region",
                    "language",
                    "segment",
                    "started_at",
                ],
                name="one_record_per_run_version_context",
            )
        ]
        indexes = [
            models.Index(fields=["business_unit", "started_at"]),
            models.Index(fields=["version", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.reported} {self.channel}"


class Metric(models.TextChoices):
    DOCUMENTS = "documents", "Documents"
    PAGES = "pages", "Pages"
    IMPRESSIONS = "impressions", "Impressions"


class UsageCap(models.Model):
    """A volume limit on a licence purchase, set by a compliance officer or from its terms."""

    purchase = models.ForeignKey(LicensePurchase, on_delete=models.PROTECT, related_name="caps")
    metric = models.CharField(max_length=16, choices=Metric.choices)
    limit = models.PositiveBigIntegerField()
    source = models.CharField(max_length=200, help_text="Who set it, or the term key it maps.")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["purchase", "metric", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["purchase", "metric"],
                condition=models.Q(active=True),
                name="one_active_cap_per_purchase_metric",
            )
        ]

    def __str__(self) -> str:
        return f"{self.purchase_id}: at most {self.limit} {self.metric}"


class LimitKey(models.Model):
    """What a Smint.io usage-limit key (license_usage_limits) means as a volume, set by people.

    Smint.io publishes no key set; a key nobody mapped caps nothing (unknown is not a limit).
    """

    key = models.CharField(max_length=200, unique=True)
    metric = models.CharField(max_length=16, choices=Metric.choices)
    limit = models.PositiveBigIntegerField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key"]
        verbose_name = "usage-limit key"

    def __str__(self) -> str:
        return f"{self.key}: at most {self.limit} {self.metric}"


class ExceptionCode(models.TextChoices):
    UNAPPROVED_USE = "unapproved_use", "Unapproved use"
    OUT_OF_RIGHTS = "out_of_rights", "Out of rights"
    OVER_LIMIT = "over_limit", "Over the licence limit"
    UNCLEARED_RUN = "uncleared_run", "Uncleared run"
    UNKNOWN_CONTENT = "unknown_content", "Unknown content"
    # Found in a produced document itself (a sample), not in what production reported.
    AS_PRODUCED_UNAPPROVED = "as_produced_unapproved", "Produced with unapproved content"
    AS_PRODUCED_UNKNOWN = "as_produced_unknown", "Produced with unknown content"
    AS_PRODUCED_ALTERED = "as_produced_altered", "Produced with an altered text"
    AS_PRODUCED_OUTDATED = "as_produced_outdated", "Produced with an outdated text"


class ExceptionState(models.TextChoices):
    OPEN = "open", "Open"
    EXPLAINED = "explained", "Explained"
    RESOLVED = "resolved", "Resolved"


class UsageException(models.Model):
    """What reconciliation found wrong with a run, with its evidence, until someone decides."""

    # Identifies the finding, e.g. "unapproved_use:run:7:version:12": reconciling again finds
    # the same key and adds nothing.
    key = models.CharField(max_length=200, unique=True)
    code = models.CharField(max_length=32, choices=ExceptionCode.choices)
    run = models.ForeignKey(ProductionRun, on_delete=models.PROTECT, related_name="exceptions")
    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        Version, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purchase = models.ForeignKey(
        LicensePurchase, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.TextField()
    evidence = models.JSONField(default=dict)
    documents = models.PositiveBigIntegerField(default=0)
    state = models.CharField(
        max_length=12, choices=ExceptionState.choices, default=ExceptionState.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["business_unit", "state", "code"]),
            models.Index(fields=["run"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} in run {self.run_id}"


class SampleState(models.TextChoices):
    QUEUED = "queued", "Waiting to be read"
    READING = "reading", "Being read"
    READ = "read", "Read"
    UNREADABLE = "unreadable", "Unreadable"


class ProductionSample(models.Model):
    """A document a run produced, attached as evidence and read by a worker: its images are
    matched to what was approved when the run started."""

    run = models.ForeignKey(ProductionRun, on_delete=models.PROTECT, related_name="samples")
    business_unit = models.ForeignKey(BusinessUnit, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64)
    file = models.CharField(max_length=200, help_text="Storage name of the document.")
    media_type = models.CharField(max_length=64)
    file_name = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField()
    # The context it was produced for, as far as the sender says.
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    region = models.CharField(max_length=2, blank=True)
    language = models.CharField(max_length=35, blank=True)
    segment = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=12, choices=SampleState.choices, default=SampleState.QUEUED)
    pages_total = models.PositiveIntegerField(default=0)
    pages_read = models.PositiveIntegerField(default=0)
    reason = models.TextField(blank=True, help_text="Why it is unreadable.")
    # The document's text, page after page (form feeds between), as read.
    text = models.TextField(blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "sha256"], name="one_sample_per_run_document")
        ]
        indexes = [models.Index(fields=["state", "lease_until"])]

    def __str__(self) -> str:
        return f"Sample {self.pk} of {self.run}"


class SampleImage(models.Model):
    """One image placed in a sample, and what it turned out to be."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved when the run started"
        UNAPPROVED = "unapproved", "Not approved when the run started"
        UNKNOWN = "unknown", "Matches nothing Govern knows"

    sample = models.ForeignKey(ProductionSample, on_delete=models.CASCADE, related_name="images")
    page = models.PositiveIntegerField()
    box = models.JSONField(help_text="left, bottom, right, top in PDF points")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    stream_sha256 = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64, blank=True)
    version = models.ForeignKey(
        Version, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What it matched: "rendition:<id>" or "version:<id>".
    matched = models.CharField(max_length=40, blank=True)
    distance = models.PositiveIntegerField(null=True, blank=True)
    difference = models.FloatField(null=True, blank=True)
    colour = models.FloatField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    problem = models.TextField(blank=True)
    text = models.TextField(blank=True, help_text="The words OCR read in it.")

    class Meta:
        ordering = ["sample", "page", "pk"]

    def __str__(self) -> str:
        return f"{self.sample_id} p{self.page}: {self.outcome}"
