from django.urls import path

from templates_app import views

app_name = "templates"
urlpatterns = [
    path("", views.board, name="board"),
    path("<int:pk>/", views.template_detail, name="template-detail"),
    path("<int:pk>/preflight/", views.preflight, name="template-preflight"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/acknowledge/", views.acknowledge, name="acknowledge"),
    path("reviews/<int:pk>/request-changes/", views.request_changes, name="request-changes"),
    path("replacements/", views.replacements, name="replacements"),
    path("replacements/<int:pk>/answer/", views.replacement_answer, name="replacement-answer"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery-retry"),
    path("deliveries/version/<int:pk>/", views.version_deliveries, name="version-deliveries"),
]
