"""The usage API's routes, included under /api/v1/ by console/urls.py."""

from django.urls import path

from usage import api
from usage.models import ExceptionState
from usage.samples.api import RunSamples

urlpatterns = [
    path("usage/runs/", api.RunCollection.as_view(), name="usage-run-list"),
    path("usage/runs/<int:pk>/", api.RunDetail.as_view(), name="usage-run-detail"),
    path("usage/runs/<int:pk>/samples/", RunSamples.as_view(), name="usage-run-samples"),
    path("usage/records/", api.RecordList.as_view(), name="usage-record-list"),
    path("usage/records/export", api.RecordExport.as_view(), name="usage-record-export"),
    path("usage/exceptions/", api.ExceptionList.as_view(), name="usage-exception-list"),
    path(
        "usage/exceptions/<int:pk>/explain/",
        api.ExceptionDecide.as_view(state=ExceptionState.EXPLAINED),
        name="usage-exception-explain",
    ),
    path(
        "usage/exceptions/<int:pk>/resolve/",
        api.ExceptionDecide.as_view(state=ExceptionState.RESOLVED),
        name="usage-exception-resolve",
    ),
    path("usage/caps/", api.CapSet.as_view(), name="usage-cap-set"),
    path("usage/runs/<int:pk>/evidence.pdf", api.RunEvidence.as_view(), name="usage-run-evidence"),
    path(
        "clearances/<int:pk>/evidence.pdf",
        api.ClearanceEvidence.as_view(),
        name="clearance-evidence",
    ),
]
