"""The driver samples API: the driver data a template's owner keeps per context for proofs."""

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
from govern.access import acting_user, get_scoped_or_404
from govern.roles import Capability
from govern.serializers import StrictSerializer, validated
from templates_app.driver_samples import driver_sample_store
from templates_app.models import DriverSample, Template


class DriverSampleInput(StrictSerializer):
    file = serializers.FileField()
    channel = serializers.ChoiceField(Channel.choices, required=False, allow_blank=True)
    region = serializers.CharField(required=False, allow_blank=True, max_length=2, default="")
    language = serializers.CharField(required=False, allow_blank=True, max_length=35, default="")
    segment = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    # The communication set's prodDsn; EXSTREAM_DRIVER_SOURCE when not given.
    data_source = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )


class DriverSampleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    template = serializers.CharField(source="template.exstream_id")
    channel = serializers.CharField()
    region = serializers.CharField()
    language = serializers.CharField()
    segment = serializers.CharField()
    media_type = serializers.CharField()
    file_name = serializers.CharField()
    sha256 = serializers.CharField()
    data_source = serializers.CharField()
    added_at = serializers.DateTimeField()


def _template(request: Request, pk: int, capability: Capability) -> Template:
    return get_scoped_or_404(request, Template.objects.all(), capability=capability, pk=pk)


class DriverSamples(APIView):
    """List a template's driver data per context; POST keeps one (multipart `file`, JSON or
    XML, with its context), replacing what that context had."""

    parser_classes = [MultiPartParser]

    @extend_schema(responses={200: DriverSampleOutput(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        template = _template(request, pk, Capability.VIEW)
        kept = DriverSample.objects.filter(template=template).select_related("template")
        return Response(DriverSampleOutput(kept.order_by("pk"), many=True).data)

    @extend_schema(
        request=DriverSampleInput, responses={201: DriverSampleOutput, 200: DriverSampleOutput}
    )
    def post(self, request: Request, pk: int) -> Response:
        template = _template(request, pk, Capability.EDIT_TEMPLATES)
        refuse_oversized(request, settings.DRIVER_SAMPLE_MAX_BYTES)
        data: dict[str, Any] = validated(DriverSampleInput, request)
        upload = data.pop("file")
        sample, created = driver_sample_store(
            template=template,
            data=upload.read(),
            file_name=upload.name or "",
            actor=acting_user(request),
            **data,
        )
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(DriverSampleOutput(sample).data, status=answer)
