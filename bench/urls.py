"""Govern's URLs plus the two trivial views the framework benchmark compares with."""

from django.urls import path

from bench.trivial import TrivialDRF, trivial_django
from console.urls import handler400, handler403, handler404, handler500, urlpatterns

urlpatterns = [
    path("bench/django", trivial_django),
    path("bench/drf", TrivialDRF.as_view()),
    *urlpatterns,
]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
