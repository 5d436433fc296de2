"""The samples API: a run's produced documents, attached and read back."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.api import refuse_oversized
from assets.models import Channel
from assets.selectors import clean_selectors
from govern.access import acting_user, get_scoped_or_404
from govern.roles import Capability
from govern.serializers import StrictSerializer, validated
from usage.models import ProductionRun, ProductionSample
from usage.samples.services import sample_add


class SampleInput(StrictSerializer):
    file = serializers.FileField()
    channel = serializers.ChoiceField(Channel.choices, required=False, allow_blank=True)
    region = serializers.CharField(required=False, allow_blank=True, max_length=2, default="")
    language = serializers.CharField(required=False, allow_blank=True, max_length=35, default="")
    segment = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class SampleImageOutput(serializers.Serializer):
    page = serializers.IntegerField()
    box = serializers.ListField(child=serializers.FloatField())
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    stream_sha256 = serializers.CharField()
    outcome = serializers.CharField()
    version = serializers.IntegerField(source="version_id", allow_null=True)
    matched = serializers.CharField()
    distance = serializers.IntegerField(allow_null=True)
    difference = serializers.FloatField(allow_null=True)
    colour = serializers.FloatField(allow_null=True)
    problem = serializers.CharField()


class SampleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    run = serializers.CharField(source="run.run_id")
    sha256 = serializers.CharField()
    file_name = serializers.CharField()
    media_type = serializers.CharField()
    size = serializers.IntegerField()
    channel = serializers.CharField()
    region = serializers.CharField()
    language = serializers.CharField()
    segment = serializers.CharField()
    state = serializers.CharField()
    pages_total = serializers.IntegerField()
    pages_read = serializers.IntegerField()
    reason = serializers.CharField()
    added_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    images = SampleImageOutput(many=True)


def _samples(run: ProductionRun) -> Any:
    return run.samples.select_related("run").prefetch_related("images").order_by("pk")


class RunSamples(APIView):
    """List a run's samples with what their images turned out to be; POST attaches one
    (multipart `file`, a PDF, with the context it was produced for), read by a worker."""

    parser_classes = [MultiPartParser]

    @extend_schema(responses={200: SampleOutput(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        run = get_scoped_or_404(
            request, ProductionRun.objects.all(), capability=Capability.READ_USAGE, pk=pk
        )
        return Response(SampleOutput(_samples(run), many=True).data)

    @extend_schema(request=SampleInput, responses={202: SampleOutput, 200: SampleOutput})
    def post(self, request: Request, pk: int) -> Response:
        run = get_scoped_or_404(
            request, ProductionRun.objects.all(), capability=Capability.REPORT_USAGE, pk=pk
        )
        refuse_oversized(request, settings.SAMPLE_MAX_BYTES)
        data = validated(SampleInput, request)
        selectors = clean_selectors(
            language=data["language"],
            region=data["region"],
            segment=data["segment"],
            channels=[data["channel"]] if data.get("channel") else [],
        )
        upload = data["file"]
        sample, created = sample_add(
            run=run,
            data=upload.read(),
            file_name=upload.name or "",
            actor=acting_user(request),
            channel=selectors.channels,
            region=selectors.region,
            language=selectors.language,
            segment=selectors.segment,
        )
        shown = ProductionSample.objects.prefetch_related("images").get(pk=sample.pk)
        answer = status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
        return Response(SampleOutput(shown).data, status=answer)
