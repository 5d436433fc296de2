"""The assets API: assets, their versions, the workflow actions and the review queues."""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import annotations, queue, services, signatures
from assets.models import (
    Annotation,
    Asset,
    Kind,
    SignatureMeaning,
    Version,
    VersionState,
)
from assets.selectors import clean_selectors
from assets.storage import read_content
from assets.uploads import (
    RASTER_FORMATS,
    SVG_MEDIA_TYPE,
    Content,
    UploadRejected,
    read_text,
    read_upload,
)
from govern.access import acting_user, get_scoped_or_404, scoped, unit_named
from govern.roles import Capability
from govern.serializers import (
    MAX_ID,
    CommentInput,
    StrictSerializer,
    validated,
    validated_query,
)

VERSION_UNIT = "variant__asset__business_unit"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


class VariantOutput(serializers.Serializer):
    id = serializers.IntegerField()
    language = serializers.CharField()
    region = serializers.CharField()
    segment = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField(), source="channel_list")


class AssetOutput(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    business_unit = serializers.CharField(source="business_unit.slug")
    regulated = serializers.BooleanField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source
    created_at = serializers.DateTimeField()


class AssetDetailOutput(AssetOutput):
    variants = VariantOutput(many=True)


class DecisionOutput(serializers.Serializer):
    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)
    action = serializers.CharField()
    comment = serializers.CharField()
    criteria = serializers.CharField()
    checklist = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class VersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    asset = serializers.SerializerMethodField()
    variant = VariantOutput()
    number = serializers.IntegerField()
    state = serializers.CharField()
    sha256 = serializers.CharField()
    media_type = serializers.CharField()
    size = serializers.IntegerField()
    metadata = serializers.JSONField()
    criteria = serializers.JSONField()
    required_approvals = serializers.IntegerField()
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)
    created_at = serializers.DateTimeField()
    submitted_by = serializers.CharField(
        source="submitted_by.username", default=None, allow_null=True
    )
    submitted_at = serializers.DateTimeField(allow_null=True)
    content_url = serializers.SerializerMethodField()

    def get_asset(self, version: Version) -> dict[str, Any]:
        asset = version.variant.asset
        return {
            "id": asset.pk,
            "key": asset.key,
            "kind": asset.kind,
            "business_unit": asset.business_unit.slug,
        }

    def get_content_url(self, version: Version) -> str:
        return f"/api/v1/versions/{version.pk}/content"


class VersionDetailOutput(VersionOutput):
    text = serializers.CharField()
    decisions = DecisionOutput(many=True)


class AssetInput(StrictSerializer):
    key = serializers.CharField(max_length=200)
    title = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=Kind.choices)
    business_unit = serializers.SlugField()
    regulated = serializers.BooleanField(required=False, allow_null=True, default=None)


class ContentInput(StrictSerializer):
    """New content: a file (multipart) or a text (JSON), never both."""

    file = serializers.FileField(required=False)
    text = serializers.CharField(required=False, trim_whitespace=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("file" in data) == ("text" in data):
            raise serializers.ValidationError("Send either a file (multipart) or a text (JSON).")
        return data


def content_of(data: dict[str, Any]) -> Content:
    """Check the content a ContentInput carries, as an upload or a text."""
    return read_upload(data["file"]) if "file" in data else read_text(data["text"])


class VersionInput(ContentInput):
    language = serializers.CharField(required=False, allow_blank=True, default="")
    region = serializers.CharField(required=False, allow_blank=True, default="")
    segment = serializers.CharField(required=False, allow_blank=True, default="")
    channels = serializers.ListField(child=serializers.CharField(), required=False, default=list)


def _assets(request: Request) -> QuerySet[Asset]:
    return scoped(request, Asset.objects.select_related("business_unit"))


def _versions(request: Request) -> QuerySet[Version]:
    return scoped(request, Version.objects.with_context(), VERSION_UNIT)


class AssetQuery(serializers.Serializer):
    unit = serializers.SlugField(required=False, max_length=100)
    kind = serializers.ChoiceField(Kind.choices, required=False)
    q = serializers.CharField(required=False, max_length=200, help_text="in key or title")


class AssetListCreate(generics.ListAPIView):
    """List the assets of your units (filters: unit, kind, q), or create one."""

    serializer_class = AssetOutput

    @extend_schema(parameters=[AssetQuery])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Asset]:
        assets = _assets(self.request)
        params = validated_query(AssetQuery, self.request)
        if unit := params.get("unit"):
            assets = assets.filter(business_unit__slug=unit)
        if kind := params.get("kind"):
            assets = assets.filter(kind=kind)
        if query := params.get("q"):
            assets = assets.filter(key__icontains=query) | assets.filter(title__icontains=query)
        return assets

    @extend_schema(request=AssetInput, responses={201: AssetOutput})
    def post(self, request: Request) -> Response:
        data = validated(AssetInput, request)
        unit = unit_named(request, data["business_unit"])
        asset = services.asset_create(
            key=data["key"],
            title=data["title"],
            kind=data["kind"],
            unit=unit,
            actor=acting_user(request),
            regulated=data["regulated"],
        )
        return Response(AssetOutput(asset).data, status=status.HTTP_201_CREATED)


class AssetDetail(generics.RetrieveAPIView):
    """Return one asset with its variants."""

    serializer_class = AssetDetailOutput

    def get_object(self) -> Asset:
        return get_scoped_or_404(
            self.request, _assets(self.request).prefetch_related("variants"), pk=self.kwargs["pk"]
        )


def refuse_oversized(request: Request, limit: int | None = None) -> None:
    """Refuse, before reading it, a body declared larger than `limit` (UPLOAD_MAX_BYTES)."""
    limit = settings.UPLOAD_MAX_BYTES if limit is None else limit
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # as Django reads it: the body is then empty
    if declared > limit + 1_000_000:  # room for the multipart envelope
        raise UploadRejected(f"The upload is larger than {limit / 1e6:.0f} MB.", 413, "too_large")


class VersionCreate(APIView):
    """Add a version to an asset: multipart `file` or JSON `text`, with its variant selectors."""

    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(request=VersionInput, responses={201: VersionDetailOutput})
    def post(self, request: Request, pk: int) -> Response:
        asset = get_scoped_or_404(
            request, _assets(request), capability=Capability.EDIT_ASSETS, pk=pk
        )
        refuse_oversized(request)
        data = validated(VersionInput, request)
        selectors = clean_selectors(
            language=data["language"],
            region=data["region"],
            segment=data["segment"],
            channels=data["channels"],
        )
        content = content_of(data)
        version = services.version_create(
            asset=asset, selectors=selectors, content=content, actor=acting_user(request)
        )
        return Response(_version_detail(version.pk), status=status.HTTP_201_CREATED)


def _version_detail(pk: int) -> Any:
    version = Version.objects.with_context().prefetch_related("decisions__actor").get(pk=pk)
    return VersionDetailOutput(version).data


class VersionQuery(serializers.Serializer):
    state = serializers.ChoiceField(VersionState.choices, required=False)
    unit = serializers.SlugField(required=False, max_length=100)
    kind = serializers.ChoiceField(Kind.choices, required=False)
    asset = serializers.CharField(required=False, max_length=200, help_text="the asset's key")


class VersionList(generics.ListAPIView):
    """List versions of your units, oldest submission first (filters: state, unit, kind, asset)."""

    serializer_class = VersionOutput

    @extend_schema(parameters=[VersionQuery])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Version]:
        params = validated_query(VersionQuery, self.request)
        lookups = {
            "state": params.get("state"),
            "variant__asset__business_unit__slug": params.get("unit"),
            "variant__asset__kind": params.get("kind"),
            "variant__asset__key": params.get("asset"),
        }
        versions = _versions(self.request).filter(**{k: v for k, v in lookups.items() if v})
        return versions.order_by("submitted_at", "pk")


class VersionDetail(APIView):
    """Return one version with its state, content hash, metadata, variant and decisions."""

    @extend_schema(responses=VersionDetailOutput)
    def get(self, request: Request, pk: int) -> Response:
        version = get_scoped_or_404(request, _versions(request), unit_field=VERSION_UNIT, pk=pk)
        return Response(_version_detail(version.pk))


# What a version's content may be: the raster formats uploads keep, SVG, and text.
CONTENT_TYPES = [
    *(media_type for media_type, _extension in RASTER_FORMATS.values()),
    SVG_MEDIA_TYPE,
    "text/plain",
]


def refuse_discarded(version: Version) -> None:
    """A discarded draft has no content to show: a 404 that says so."""
    if version.state == VersionState.DISCARDED:
        raise Http404(f"{version} was discarded; its content is not kept for showing.")


class VersionContent(APIView):
    """Return the version's bytes (SVG under a sandboxing policy)."""

    @extend_schema(responses={(200, media_type): bytes for media_type in CONTENT_TYPES})
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        version = get_scoped_or_404(request, _versions(request), unit_field=VERSION_UNIT, pk=pk)
        return content_response(version)


def content_response(version: Version) -> HttpResponseBase:
    """Serve a version's content with headers that keep it inert in a browser."""
    refuse_discarded(version)
    response: HttpResponseBase
    if version.is_text:
        response = HttpResponse(version.text, content_type=version.media_type)
    else:
        response = FileResponse(iter([read_content(version.file)]), content_type=version.media_type)
    extension = version.file.rsplit(".", 1)[-1] if version.file else "txt"
    named = str(version.metadata.get("file_name") or "") if version.metadata else ""
    stem = named.rsplit(".", 1)[0] if named else f"{version.variant.asset.key}-v{version.number}"
    filename = f"{stem}.{extension}"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = f'"{version.sha256}"'
    response["Cache-Control"] = "private, max-age=3600"
    if version.is_svg:
        response["Content-Security-Policy"] = SVG_POLICY
    return response


class SignedInput(CommentInput):
    """A decision that a regulated version needs signed: the password and the meaning."""

    password = serializers.CharField(
        required=False,
        write_only=True,
        max_length=200,
        trim_whitespace=False,
        help_text="Your password, entered again: required for a regulated version.",
    )
    code = serializers.CharField(
        required=False,
        write_only=True,
        max_length=20,
        help_text="The code of your second factor, when your account has one.",
    )
    meaning = serializers.ChoiceField(
        [SignatureMeaning.APPROVED, SignatureMeaning.REJECTED],
        required=False,
        help_text="What your signature means (approved or rejected): required for a "
        "regulated version.",
    )


class ApproveInput(SignedInput):
    checklist = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, max_length=30, default=list
    )


class VersionAction(APIView):
    """Base of the workflow actions: load the version in scope, call one service."""

    service: Any = None
    takes_comment = True
    signed = False
    payload: type[serializers.Serializer] = CommentInput

    @extend_schema(request=CommentInput, responses=VersionDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        version = get_scoped_or_404(request, _versions(request), unit_field=VERSION_UNIT, pk=pk)
        arguments = validated(self.payload, request)
        if not self.takes_comment:
            arguments.pop("comment")
        password, meaning = arguments.pop("password", ""), arguments.pop("meaning", "")
        code = arguments.pop("code", "")
        if self.signed and version.variant.asset.regulated:
            user = acting_user(request)
            arguments["signature"] = signatures.api_intent(request, user, password, meaning, code)
        type(self).service(version=version, actor=acting_user(request), **arguments)
        return Response(_version_detail(version.pk))


class VersionSubmit(VersionAction):
    """Send a draft to compliance review."""

    service = services.version_submit
    takes_comment = False


class VersionApprove(VersionAction):
    """Approve a version in review (not your own), ticking every item of its kind's checklist.
    A regulated version's approval is an electronic signature: `password` and `meaning`
    ("approved") are required (400 without them, 403 with a wrong password; nothing is
    recorded then)."""

    service = services.version_approve
    payload = ApproveInput
    signed = True

    @extend_schema(request=ApproveInput, responses=VersionDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class VersionReject(VersionAction):
    """Reject a version in review, with a comment; a regulated version's rejection is signed
    (`password` and `meaning` "rejected", as for approval)."""

    service = services.version_reject
    payload = SignedInput
    signed = True

    @extend_schema(request=SignedInput, responses=VersionDetailOutput)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class DecideTogetherInput(CommentInput):
    versions = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=services.TOGETHER_LIMIT,
    )
    action = serializers.ChoiceField(["approve", "reject"])


class DecidedTogetherOutput(serializers.Serializer):
    decided = VersionDetailOutput(many=True)


class VersionsDecideTogether(APIView):
    """Approve or reject several non-regulated versions in review with one comment. Each is
    decided, four-eyes and audited, as on its own; any refusal (a regulated version: 400; one
    outside your units: 404; your own or one decided meanwhile: 409) records none of them."""

    @extend_schema(request=DecideTogetherInput, responses=DecidedTogetherOutput)
    def post(self, request: Request) -> Response:
        data = validated(DecideTogetherInput, request)
        decided = services.versions_decide_together(
            versions=queue.chosen(request, data["versions"]),
            action=data["action"],
            comment=data["comment"],
            actor=acting_user(request),
        )
        return Response({"decided": [_version_detail(version.pk) for version in decided]})


class VersionWithdraw(VersionAction):
    """Recall an approved version, with a comment."""

    service = services.version_withdraw


class VersionRetire(VersionAction):
    """Retire an approved version."""

    service = services.version_retire


class RegionInput(StrictSerializer):
    x = serializers.FloatField(min_value=0, max_value=1)
    y = serializers.FloatField(min_value=0, max_value=1)
    width = serializers.FloatField(min_value=0, max_value=1)
    height = serializers.FloatField(min_value=0, max_value=1)


class SpanInput(StrictSerializer):
    start = serializers.IntegerField(min_value=0, max_value=MAX_ID)
    end = serializers.IntegerField(min_value=0, max_value=MAX_ID)


class AnnotationInput(StrictSerializer):
    body = serializers.CharField(max_length=annotations.MAX_BODY)
    region = RegionInput(
        required=False, help_text="Fractions of the image from its top left (images only)."
    )
    span = SpanInput(required=False, help_text="Character offsets [start, end) (texts only).")
    reply_to = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Answer this thread."
    )


class AnnotationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField(source="version_id")
    author = serializers.CharField(source="author.username")
    body = serializers.CharField()
    region = serializers.SerializerMethodField()
    span = serializers.SerializerMethodField()
    quoted = serializers.CharField()
    resolved = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    replies = serializers.SerializerMethodField()

    def get_region(self, annotation: Annotation) -> dict[str, float] | None:
        if not annotation.is_region:
            return None
        return {k: getattr(annotation, k) for k in ("x", "y", "width", "height")}

    def get_span(self, annotation: Annotation) -> dict[str, int] | None:
        if annotation.start is None:
            return None
        return {"start": annotation.start, "end": annotation.end or 0}

    def get_resolved(self, annotation: Annotation) -> bool:
        return annotation.resolved_at is not None

    def get_replies(self, annotation: Annotation) -> list[dict[str, Any]]:
        return [
            {"id": r.pk, "author": r.author.username, "body": r.body, "created_at": r.created_at}
            for r in annotation.replies.all()
        ]


class VersionAnnotations(APIView):
    """The comment threads on a version (its own and the open ones carried from the variant's
    earlier versions), and pinning a new one to a region of an image or a span of a text."""

    @extend_schema(responses=AnnotationOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        version = get_scoped_or_404(request, _versions(request), unit_field=VERSION_UNIT, pk=pk)
        threads = annotations.threads_for(version)
        return Response(AnnotationOutput(threads, many=True).data)

    @extend_schema(request=AnnotationInput, responses={201: AnnotationOutput})
    def post(self, request: Request, pk: int) -> Response:
        version = get_scoped_or_404(request, _versions(request), unit_field=VERSION_UNIT, pk=pk)
        data = validated(AnnotationInput, request)
        parent = None
        if "reply_to" in data:
            parent = get_scoped_or_404(
                request,
                Annotation.objects.filter(version__variant_id=version.variant_id),
                unit_field="version__" + VERSION_UNIT,
                pk=data["reply_to"],
            )
        pin = annotations.Pin(**data.get("region", {}), **data.get("span", {}))
        made = services.annotation_add(
            version=version, author=acting_user(request), body=data["body"], pin=pin, parent=parent
        )
        return Response(AnnotationOutput(made).data, status=status.HTTP_201_CREATED)


class AnnotationResolve(APIView):
    """Mark a comment thread resolved (409 when it was already)."""

    @extend_schema(request=None, responses=AnnotationOutput)
    def post(self, request: Request, pk: int) -> Response:
        annotation = get_scoped_or_404(
            request,
            Annotation.objects.select_related("version__variant__asset", "author"),
            unit_field="version__" + VERSION_UNIT,
            pk=pk,
        )
        resolved = services.annotation_resolve(annotation=annotation, actor=acting_user(request))
        return Response(AnnotationOutput(resolved).data)
