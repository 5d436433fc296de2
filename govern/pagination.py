"""Every list pages one way: the API with limit and offset (at most API_MAX_PAGE_SIZE a page),
the pages with `page_of` and the one pager, pager.html."""

from typing import Any

from django.conf import settings
from django.core.paginator import Page, PageNotAnInteger, Paginator
from django.utils.functional import cached_property
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from govern.serializers import MAX_ID


def _whole(request: Request, name: str, smallest: int, cap: int | None = None) -> int | None:
    """The parameter as a whole number from `smallest`, None when absent. Above `cap` it is the
    cap; without one, above what the database holds it is refused."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit():
        raise exceptions.ValidationError({name: f"Give a whole number from {smallest}."})
    value = int(raw) if len(raw) <= 19 else MAX_ID + 1
    if cap is not None:
        value = min(value, cap)
    if not smallest <= value <= MAX_ID:
        raise exceptions.ValidationError({name: f"Give a whole number from {smallest}."})
    return value


class Pagination(LimitOffsetPagination):
    """Limit-offset pages; a limit above the maximum is the maximum; a limit or offset that is
    not a whole number the database can hold is a 400 before any query."""

    @property
    def max_limit(self) -> int:  # type: ignore[override]
        return int(settings.API_MAX_PAGE_SIZE)

    def get_limit(self, request: Request) -> int | None:
        limit = _whole(request, self.limit_query_param, 1, cap=self.max_limit)
        return self.default_limit if limit is None else limit

    def get_offset(self, request: Request) -> int:
        return _whole(request, self.offset_query_param, 0) or 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            schema = parameter["schema"]
            if parameter["name"] == self.offset_query_param:
                schema.update(minimum=0, maximum=MAX_ID, format="int64")
            if parameter["name"] == self.limit_query_param:
                schema.update(minimum=1)
                parameter["description"] = (
                    f"Rows per page, at most {settings.API_MAX_PAGE_SIZE} (more is capped)."
                )
        return parameters


def page_of(
    request: Any, rows: Any, size: int, cap: int | None = None, counted: Any = None
) -> Page:
    """The page of `rows` the request's `?page=` names, for the pages' one pager (pager.html):
    a page that is not a number is the first, one past the end the last. With a cap, rows are
    counted only up to it (a long queue says "1,000+"), from `counted` when given: the same
    rows without the columns a page shows."""
    if cap is None:
        paginator = Paginator(rows, size)
    else:
        paginator = CappedPaginator(rows, size, cap, counted)
    return paginator.get_page(request.GET.get("page"))


class CappedPaginator(Paginator):
    """Counts at most `cap` rows, with one COUNT over a LIMIT of their keys alone, unordered
    (no annotation computed, no row sorted: any `cap` + 1 rows say the same), so a page of a
    long queue does not count all of it; past the cap, pages go on while rows do."""

    def __init__(self, rows: Any, per_page: int, cap: int, counted: Any = None) -> None:
        super().__init__(rows, per_page)
        self.cap = cap
        self.counted = rows if counted is None else counted

    @cached_property
    def count(self) -> int:
        return int(self.counted.order_by().values("pk")[: self.cap + 1].count())

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def count_label(self) -> str:
        return f"{self.cap:,}+" if self.capped else f"{self.count:,}"

    def validate_number(self, number: Any) -> int:
        if not self.capped:
            return int(super().validate_number(number))
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        return max(1, min(wanted, MAX_ID // self.per_page))  # an OFFSET the database holds

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        page = Page(rows[: self.per_page], number, self)
        page.has_next = lambda: len(rows) > self.per_page  # type: ignore[method-assign]
        return page
