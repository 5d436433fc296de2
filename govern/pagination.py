"""Every API list pages the same way: limit and offset, at most API_MAX_PAGE_SIZE a page."""

from django.conf import settings
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from govern.serializers import MAX_ID


class Pagination(LimitOffsetPagination):
    """Limit-offset pages; a limit above the maximum is the maximum, an offset the database
    cannot hold (or that is not a number) is a 400 before any query."""

    @property
    def max_limit(self) -> int:  # type: ignore[override]
        return int(settings.API_MAX_PAGE_SIZE)

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param, "0") or "0"
        if not raw.isdigit() or len(raw) > 19 or int(raw) > MAX_ID:
            raise exceptions.ValidationError({"offset": "Give a whole number from 0."})
        return int(raw)
