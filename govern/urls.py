"""URL configuration of Govern."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from assets import api as assets_api
from audit.api import AuditEventList
from govern import api, views
from templates_app import api as templates_api

# Swagger UI sets inline styles; scripts stay same-origin only.
api_docs = csp_update({"style-src": [SELF, UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)

api_patterns = [
    path("", api.ApiRoot.as_view(), name="root"),
    path("units/", api.BusinessUnitList.as_view(), name="unit-list"),
    path("me/", api.Me.as_view(), name="me"),
    path("audit-events/", AuditEventList.as_view(), name="audit-event-list"),
    path("assets/", assets_api.AssetListCreate.as_view(), name="asset-list"),
    path("assets/<int:pk>/", assets_api.AssetDetail.as_view(), name="asset-detail"),
    path("assets/<int:pk>/versions/", assets_api.VersionCreate.as_view(), name="version-create"),
    path("versions/", assets_api.VersionList.as_view(), name="version-list"),
    path("versions/<int:pk>/", assets_api.VersionDetail.as_view(), name="version-detail"),
    path("versions/<int:pk>/content", assets_api.VersionContent.as_view(), name="version-content"),
    path("versions/<int:pk>/submit/", assets_api.VersionSubmit.as_view(), name="version-submit"),
    path("versions/<int:pk>/approve/", assets_api.VersionApprove.as_view(), name="version-approve"),
    path("versions/<int:pk>/reject/", assets_api.VersionReject.as_view(), name="version-reject"),
    path(
        "versions/<int:pk>/withdraw/", assets_api.VersionWithdraw.as_view(), name="version-withdraw"
    ),
    path("versions/<int:pk>/retire/", assets_api.VersionRetire.as_view(), name="version-retire"),
    path("templates/", templates_api.TemplateListCreate.as_view(), name="template-list"),
    path("templates/<int:pk>/", templates_api.TemplateDetail.as_view(), name="template-detail"),
    path(
        "templates/<int:pk>/components/",
        templates_api.ComponentAdd.as_view(),
        name="template-components",
    ),
    path(
        "templates/<int:pk>/components/<int:component_pk>/",
        templates_api.ComponentRemove.as_view(),
        name="template-component",
    ),
    path(
        "templates/<int:pk>/bindings/", templates_api.BindingSet.as_view(), name="template-bindings"
    ),
    path(
        "templates/<int:pk>/bindings/<int:binding_pk>/",
        templates_api.BindingRemove.as_view(),
        name="template-binding",
    ),
    path(
        "templates/<int:pk>/preflight/",
        templates_api.Preflight.as_view(),
        name="template-preflight",
    ),
    path("templates/<int:pk>/manifest", templates_api.Manifest.as_view(), name="template-manifest"),
    path("reviews/", templates_api.ReviewList.as_view(), name="review-list"),
    path(
        "reviews/acknowledge/",
        templates_api.ReviewsAcknowledge.as_view(),
        name="reviews-acknowledge",
    ),
    path(
        "reviews/<int:pk>/acknowledge/",
        templates_api.ReviewAcknowledge.as_view(),
        name="review-acknowledge",
    ),
    path(
        "reviews/<int:pk>/request-changes/",
        templates_api.ReviewRequestChanges.as_view(),
        name="review-request-changes",
    ),
    path("replacement-requests/", templates_api.ReplacementList.as_view(), name="replacement-list"),
    path(
        "replacement-requests/<int:pk>/fulfil/",
        templates_api.ReplacementFulfil.as_view(),
        name="replacement-fulfil",
    ),
    path(
        "replacement-requests/<int:pk>/decline/",
        templates_api.ReplacementDecline.as_view(),
        name="replacement-decline",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("assets/", include("assets.urls")),
    path("audit/", include("audit.urls")),
    path("templates/", include("templates_app.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
]

handler404 = "govern.errors_views.not_found"
handler403 = "govern.errors_views.forbidden"
handler400 = "govern.errors_views.bad_request"
handler500 = "govern.errors_views.server_error"
