from django.urls import path

from assets import annotation_views, views
from assets.criteria import views as criteria_views
from assets.rights import views as policy_views
from assets.smintio import views as smintio_views

app_name = "assets"
urlpatterns = [
    path("review/", views.review_queue, name="review-queue"),
    path("review/decide/", views.queue_decide, name="queue-decide"),
    path("library/", views.library, name="library"),
    path("new/", views.asset_create, name="asset-create"),
    path("<int:pk>/", views.asset_detail, name="asset-detail"),
    path("versions/<int:pk>/", views.version_review, name="version-review"),
    path("versions/<int:pk>/decide/", views.version_decide, name="version-decide"),
    path("versions/<int:pk>/comments/", annotation_views.annotation_add, name="annotation-add"),
    path(
        "comments/<int:pk>/resolve/", annotation_views.annotation_resolve, name="annotation-resolve"
    ),
    path("versions/<int:pk>/preview", views.version_preview, name="version-preview"),
    path("versions/<int:pk>/diff/<int:other_pk>", views.version_diff, name="version-diff"),
    path("vocabularies/", smintio_views.vocabularies, name="vocabularies"),
    path("vocabularies/save/", smintio_views.vocabulary_save, name="vocabulary-save"),
    path("smintio/", smintio_views.connect, name="smintio-connect"),
    path("smintio/authorize", smintio_views.start, name="smintio-authorize"),
    path("smintio/callback", smintio_views.callback, name="smintio-callback"),
    path("smintio/quarantine/", smintio_views.quarantine, name="quarantine"),
    path(
        "smintio/quarantine/<int:pk>/",
        smintio_views.quarantine_decide,
        name="quarantine-decide",
    ),
    path("criteria/", criteria_views.criteria_page, name="criteria"),
    path("criteria/<int:unit_pk>/", criteria_views.criteria_save, name="criteria-save"),
    path("rights-policies/", policy_views.rights_policies, name="rights-policies"),
    path(
        "rights-policies/<int:unit_pk>/",
        policy_views.rights_policy_save,
        name="rights-policy-save",
    ),
    path("versions/<int:pk>/licence-readings/", policy_views.licence_read, name="licence-read"),
]
