from django.urls import path

from usage import views

app_name = "usage"
urlpatterns = [
    path("", views.report, name="report"),
    path("export.xlsx", views.export_xlsx, name="export-xlsx"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/samples/", views.run_samples, name="run-samples"),
    path("versions/<int:pk>/", views.version_usage, name="version-usage"),
    path("licences/", views.licences, name="licences"),
    path("exceptions/", views.exception_queue, name="exceptions"),
    path("exceptions/<int:pk>/decide/", views.exception_decide, name="exception-decide"),
]
