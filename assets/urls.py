from django.urls import path

from assets import views

app_name = "assets"
urlpatterns = [
    path("review/", views.review_queue, name="review-queue"),
    path("library/", views.library, name="library"),
]
