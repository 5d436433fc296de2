from django.urls import path

from console.audit_log import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="event-list"),
    path("export.xlsx", views.event_export_xlsx, name="event-export-xlsx"),
]
