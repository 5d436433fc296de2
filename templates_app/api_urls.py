"""The templates API's routes, included under /api/v1/ by console/urls.py."""

from django.urls import path

from templates_app import api
from templates_app.campaigns import api as campaign_api
from templates_app.driver_samples_api import DriverSamples

urlpatterns = [
    path("templates/", api.TemplateListCreate.as_view(), name="template-list"),
    path("templates/<int:pk>/", api.TemplateDetail.as_view(), name="template-detail"),
    path(
        "templates/<int:pk>/components/",
        api.ComponentAdd.as_view(),
        name="template-components",
    ),
    path(
        "templates/<int:pk>/components/<int:component_pk>/",
        api.ComponentRemove.as_view(),
        name="template-component",
    ),
    path("templates/<int:pk>/bindings/", api.BindingSet.as_view(), name="template-bindings"),
    path(
        "templates/<int:pk>/bindings/<int:binding_pk>/",
        api.BindingRemove.as_view(),
        name="template-binding",
    ),
    path(
        "templates/<int:pk>/preflight/",
        api.Preflight.as_view(),
        name="template-preflight",
    ),
    path(
        "templates/<int:pk>/driver-samples/",
        DriverSamples.as_view(),
        name="template-driver-samples",
    ),
    path("templates/<int:pk>/manifest", api.Manifest.as_view(), name="template-manifest"),
    path("reviews/", api.ReviewList.as_view(), name="review-list"),
    path(
        "reviews/acknowledge/",
        api.ReviewsAcknowledge.as_view(),
        name="reviews-acknowledge",
    ),
    path(
        "reviews/<int:pk>/acknowledge/",
        api.ReviewAcknowledge.as_view(),
        name="review-acknowledge",
    ),
    path(
        "reviews/<int:pk>/request-changes/",
        api.ReviewRequestChanges.as_view(),
        name="review-request-changes",
    ),
    path("replacement-requests/", api.ReplacementList.as_view(), name="replacement-list"),
    path(
        "replacement-requests/<int:pk>/fulfil/",
        api.ReplacementFulfil.as_view(),
        name="replacement-fulfil",
    ),
    path(
        "replacement-requests/<int:pk>/answer/",
        api.ReplacementAnswer.as_view(),
        name="replacement-answer",
    ),
    path(
        "replacement-requests/<int:pk>/decline/",
        api.ReplacementDecline.as_view(),
        name="replacement-decline",
    ),
    path("campaigns/", campaign_api.CampaignListCreate.as_view(), name="campaign-list"),
    path("campaigns/<int:pk>/", campaign_api.CampaignDetail.as_view(), name="campaign-detail"),
    path(
        "campaigns/<int:pk>/items/", campaign_api.CampaignItemAdd.as_view(), name="campaign-items"
    ),
    path(
        "campaigns/<int:pk>/submit/", campaign_api.CampaignSubmit.as_view(), name="campaign-submit"
    ),
    path(
        "campaigns/<int:pk>/approve/",
        campaign_api.CampaignApprove.as_view(),
        name="campaign-approve",
    ),
    path(
        "campaigns/<int:pk>/reject/", campaign_api.CampaignReject.as_view(), name="campaign-reject"
    ),
    path(
        "campaigns/<int:pk>/cancel/", campaign_api.CampaignCancel.as_view(), name="campaign-cancel"
    ),
]
