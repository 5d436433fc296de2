"""Error pages: JSON under /api/, HTML elsewhere."""

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
