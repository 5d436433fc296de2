"""The framework's own ceilings, served beside Govern by the same gunicorn: a trivial Django
view and a trivial DRF view (the project's authentication and permission classes), so a
Govern page's ratio shows what Govern adds, not what Django or DRF cost."""

from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def trivial_django(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"status": "ok"}', content_type="application/json")


class TrivialDRF(APIView):
    """Authenticated like every API view (an API key here), answering a constant."""

    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})
