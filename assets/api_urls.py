"""The assets API's routes, included under /api/v1/ by console/urls.py."""

from django.urls import path

from assets import api
from assets.criteria import api as criteria_api
from assets.rights import api as rights_api

urlpatterns = [
    path("assets/", api.AssetListCreate.as_view(), name="asset-list"),
    path("assets/<int:pk>/", api.AssetDetail.as_view(), name="asset-detail"),
    path("assets/<int:pk>/versions/", api.VersionCreate.as_view(), name="version-create"),
    path("versions/", api.VersionList.as_view(), name="version-list"),
    path("versions/decide/", api.VersionsDecideTogether.as_view(), name="versions-decide"),
    path("versions/<int:pk>/", api.VersionDetail.as_view(), name="version-detail"),
    path("versions/<int:pk>/content", api.VersionContent.as_view(), name="version-content"),
    path("versions/<int:pk>/rights", rights_api.VersionRights.as_view(), name="version-rights"),
    path("licence-readings/", rights_api.LicenceReadings.as_view(), name="licence-readings"),
    path(
        "versions/<int:pk>/annotations/",
        api.VersionAnnotations.as_view(),
        name="version-annotations",
    ),
    path(
        "annotations/<int:pk>/resolve/", api.AnnotationResolve.as_view(), name="annotation-resolve"
    ),
    path("versions/<int:pk>/submit/", api.VersionSubmit.as_view(), name="version-submit"),
    path("versions/<int:pk>/approve/", api.VersionApprove.as_view(), name="version-approve"),
    path("versions/<int:pk>/reject/", api.VersionReject.as_view(), name="version-reject"),
    path("versions/<int:pk>/withdraw/", api.VersionWithdraw.as_view(), name="version-withdraw"),
    path("versions/<int:pk>/retire/", api.VersionRetire.as_view(), name="version-retire"),
    path("criteria/", criteria_api.CriteriaList.as_view(), name="criteria-list"),
    path("criteria/rules/", criteria_api.RuleCatalogue.as_view(), name="criteria-rules"),
]
