from django.urls import path

from usage import views
from usage.samples import views as sample_views

app_name = "usage"
urlpatterns = [
    path("", views.report, name="report"),
    path("export.xlsx", views.export_xlsx, name="export-xlsx"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/samples/", views.run_samples, name="run-samples"),
    path("samples/<int:pk>/", sample_views.sample_detail, name="sample-detail"),
    path("samples/<int:pk>/pages/<int:number>.png", sample_views.sample_page, name="sample-page"),
    path("versions/<int:pk>/", views.version_usage, name="version-usage"),
    path("licences/", views.licences, name="licences"),
    path("exceptions/", views.exception_queue, name="exceptions"),
    path("exceptions/<int:pk>/decide/", views.exception_decide, name="exception-decide"),
]
