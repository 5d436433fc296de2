"""URL configuration of Govern: the top floor ties every room's routes together."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from assets import api_urls as assets_api_urls
from assets.smintio.hook import smintio_hook
from console import views as console_views
from console.audit_log.api import AuditEventExport, AuditEventList
from govern import (
    api,
    export_api,
    notification_api,
    notification_views,
    password_reset,
    views,
)
from govern.identity import passkeys, scim, second_factor
from govern.identity import views as identity_views
from templates_app import api_urls as templates_api_urls
from usage import api_urls as usage_api_urls

# Swagger UI sets inline styles; scripts stay same-origin only.
api_docs = csp_update({"style-src": [SELF, UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)

api_patterns = [
    path("", api.ApiRoot.as_view(), name="root"),
    path("units/", api.BusinessUnitList.as_view(), name="unit-list"),
    path("me/", api.Me.as_view(), name="me"),
    path("notifications/", notification_api.NotificationList.as_view(), name="notification-list"),
    path(
        "notifications/<int:pk>/read/",
        notification_api.NotificationRead.as_view(),
        name="notification-read",
    ),
    path("audit-events/", AuditEventList.as_view(), name="audit-event-list"),
    path("audit-events/export", AuditEventExport.as_view(), name="audit-event-export"),
    path("exports/<int:pk>/", export_api.ExportJobDetail.as_view(), name="export-detail"),
    path(
        "exports/<int:pk>/download", export_api.ExportJobDownload.as_view(), name="export-download"
    ),
    *assets_api_urls.urlpatterns,
    *templates_api_urls.urlpatterns,
    *usage_api_urls.urlpatterns,
]

urlpatterns = [
    path("", console_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path(
        "notifications/preferences",
        notification_views.notification_preferences,
        name="notification-preferences",
    ),
    path(
        "notifications/count",
        notification_views.notification_count,
        name="notification-count",
    ),
    path(
        "notifications/<int:pk>/read",
        notification_views.notification_read,
        name="notification-read",
    ),
    path(
        "notifications/read",
        notification_views.notifications_read_all,
        name="notifications-read-all",
    ),
    path("exports/<int:pk>/", views.export_detail, name="export-detail"),
    path("exports/<int:pk>/file", views.export_file, name="export-file"),
    path("hooks/smintio", smintio_hook, name="smintio-hook"),
    path("login/", identity_views.Login.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/sso/", identity_views.sso_start, name="sso-start"),
    path("login/sso/callback/", identity_views.sso_callback, name="sso-callback"),
    path("sign/<str:token>/", identity_views.sign_confirm, name="sign-confirm"),
    path("account/sessions/", identity_views.my_sessions, name="my-sessions"),
    path("login/verify/", second_factor.verify, name="second-factor-verify"),
    path("account/second-factor/", second_factor.enrol, name="second-factor-enrol"),
    path("account/second-factor/passkeys/options", passkeys.registration_options),
    path("account/second-factor/passkeys/", passkeys.register, name="passkey-register"),
    path("login/verify/passkey/options", passkeys.login_options),
    path("login/verify/passkey/", passkeys.login_with_passkey, name="passkey-login"),
    path("scim/v2/Users", scim.users, name="scim-users"),
    path("scim/v2/Users/<str:pk>", scim.user, name="scim-user"),
    path("scim/v2/Groups", scim.groups, name="scim-groups"),
    path("scim/v2/Groups/<str:pk>", scim.group, name="scim-group"),
    path("scim/v2/ServiceProviderConfig", scim.service_provider_config, name="scim-config"),
    path("scim/v2/ResourceTypes", scim.resource_types, name="scim-resource-types"),
    path("scim/v2/Schemas", scim.schemas, name="scim-schemas"),
    path("password-reset/", password_reset.ResetRequest.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        password_reset.ResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("assets/", include("assets.urls")),
    path("audit/", include("console.audit_log.urls")),
    path("templates/", include("templates_app.urls")),
    path("usage/", include("usage.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_patterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
]

handler404 = "govern.errors_views.not_found"
handler403 = "govern.errors_views.forbidden"
handler400 = "govern.errors_views.bad_request"
handler500 = "govern.errors_views.server_error"
