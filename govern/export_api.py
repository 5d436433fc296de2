"""Export jobs over the API: their state and progress, and the download once written."""

from typing import Any

from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from govern.access import acting_user
from govern.errors import Conflict
from govern.export_jobs import XLSX_TYPE, export_download
from govern.models import ExportJob, ExportState


class ExportJobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()
    rows_total = serializers.IntegerField()
    rows_done = serializers.IntegerField()
    percent = serializers.IntegerField()
    sha256 = serializers.CharField()
    error = serializers.CharField()
    status_url = serializers.CharField()
    download_url = serializers.CharField()


def job_body(request: Request, job: ExportJob) -> dict[str, Any]:
    return {
        **{name: getattr(job, name) for name in ("id", "kind", "state", "rows_total")},
        **{name: getattr(job, name) for name in ("rows_done", "percent", "sha256", "error")},
        "status_url": reverse("api:export-detail", args=[job.pk], request=request),
        "download_url": reverse("api:export-download", args=[job.pk], request=request),
    }


def job_accepted(request: Request, answer: HttpResponse | ExportJob) -> Any:
    """Pass a finished download through; for a queued job answer 202 with where to look."""
    if isinstance(answer, HttpResponse):
        return answer
    body = job_body(request, answer)
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


def own_job(request: Request, pk: int) -> ExportJob:
    """Return the caller's own export job; anyone else's is not found."""
    job = ExportJob.objects.filter(pk=pk, requested_by=acting_user(request)).first()
    if job is None:
        raise Http404("No export job matches the query.")
    return job


class ExportJobDetail(APIView):
    """Return an export job's state and progress."""

    @extend_schema(responses=ExportJobOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(job_body(request, own_job(request, pk)))


class ExportJobDownload(APIView):
    """Download a finished export (409 while it is being written)."""

    @extend_schema(responses={(200, XLSX_TYPE): bytes})
    def get(self, request: Request, pk: int) -> Any:
        job = own_job(request, pk)
        if job.state != ExportState.DONE:
            raise_conflict(job)
        return export_download(job=job, actor=acting_user(request))


def raise_conflict(job: ExportJob) -> None:
    if job.state == ExportState.FAILED:
        raise exceptions.ValidationError({"export": f"The export failed: {job.error}"})
    raise Conflict(f"The export is {job.get_state_display().lower()}; try again soon.", "not_ready")
