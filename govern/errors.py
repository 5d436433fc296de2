"""Errors services raise; the API exception handler maps them to status codes."""


class Conflict(Exception):
    """The object changed under the caller, or the request repeats existing content (409)."""

    def __init__(self, detail: str, code: str = "conflict") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class RequestRejected(Exception):
    """The input cannot be accepted as sent; status says how (400, 413, 415)."""

    def __init__(self, detail: str, status: int = 400, code: str = "invalid") -> None:
        super().__init__(detail)
        self.detail, self.status, self.code = detail, status, code


def reason(error: Exception) -> str:
    """Why a service refused, in the words it used, for a page's message."""
    if isinstance(error, Conflict | RequestRejected):
        return error.detail
    messages = getattr(error, "messages", None)  # Django's ValidationError
    return " ".join(messages) if messages else str(error)
