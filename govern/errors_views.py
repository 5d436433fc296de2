"""Error pages: JSON under /api/, HTML elsewhere."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

from govern.api import error_body


def _respond(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, detail), status=status)
    context = {"status": status, "detail": detail}
    return render(request, "error.html", context, status=status)


def _reason(exception: Exception | None, default: str) -> str:
    message = str(exception.args[0]) if exception is not None and exception.args else ""
    return message if message and not message.startswith("{") else default


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 404, "not_found", "Nothing here, or it is outside your units.")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = _reason(exception, "Your role does not allow this.")
    return _respond(request, 403, "permission_denied", reason)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 with the reason Django's own limits give, 413 for a body past the size limit."""
    if isinstance(exception, RequestDataTooBig):
        return _respond(request, 413, "too_large", "The request body is too large.")
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        detail = f"The request has too many fields or files (at most {limit} fields)."
        return _respond(request, 400, "too_many_fields", detail)
    return _respond(request, 400, "bad_request", "The request could not be understood.")


def server_error(request: HttpRequest) -> HttpResponse:
    detail = "Something went wrong on our side."
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", detail), status=500)
    # Rendered without the request: context processors may be what failed.
    page = loader.render_to_string("error.html", {"status": 500, "detail": detail})
    return HttpResponse(page, status=500)


class ProductNotFound:
    """Under DEBUG, Django answers a 404 with its debug page; this answers with the product's
    page as in production, so development shows what people see (the API keeps its JSON)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        debug_page = (
            settings.DEBUG
            and response.status_code == 404
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith("/api/")
        )
        return not_found(request) if debug_page else response
