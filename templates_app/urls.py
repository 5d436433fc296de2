from django.urls import path

from templates_app import views
from templates_app.campaigns import views as campaign_views
from templates_app.webhooks import views as webhook_views

app_name = "templates"
urlpatterns = [
    path("", views.board, name="board"),
    path("<int:pk>/", views.template_detail, name="template-detail"),
    path("<int:pk>/preflight/", views.preflight, name="template-preflight"),
    path("<int:pk>/driver-samples/", views.driver_sample_add, name="template-driver-sample"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/acknowledge/", views.acknowledge, name="acknowledge"),
    path("reviews/<int:pk>/request-changes/", views.request_changes, name="request-changes"),
    path("replacements/", views.replacements, name="replacements"),
    path("replacements/<int:pk>/answer/", views.replacement_answer, name="replacement-answer"),
    path("campaigns/", campaign_views.campaign_list, name="campaign-list"),
    path("campaigns/calendar/", campaign_views.campaign_calendar, name="campaign-calendar"),
    path("campaigns/new/", campaign_views.campaign_new, name="campaign-new"),
    path("campaigns/<int:pk>/", campaign_views.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/items/", campaign_views.campaign_item_add, name="campaign-item-add"),
    path(
        "campaigns/items/<int:pk>/remove/",
        campaign_views.campaign_item_remove,
        name="campaign-item-remove",
    ),
    path("campaigns/<int:pk>/<slug:action>/", campaign_views.campaign_act, name="campaign-act"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery-retry"),
    path("deliveries/version/<int:pk>/", views.version_deliveries, name="version-deliveries"),
    path("exstream-uses/asset/<int:pk>/", views.asset_exstream_uses, name="asset-exstream-uses"),
    path("webhooks/", webhook_views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/", webhook_views.webhook_log, name="webhook-log"),
    path("webhooks/<int:pk>/rotate/", webhook_views.webhook_rotate, name="webhook-rotate"),
    path("webhooks/<int:pk>/disable/", webhook_views.webhook_disable, name="webhook-disable"),
    path("webhooks/deliveries/<int:pk>/retry/", webhook_views.webhook_retry, name="webhook-retry"),
]
