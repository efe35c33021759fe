"""Page-number pagination in the contract's shape, shared by every list of the API."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from config.api_errors import ApiError

INVALID = "The request is not valid; see details."

PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 200
PAGE_MAX = 999_999_999
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def _page_number(raw: str | None, *, default: int) -> int | None:
    if raw is None:
        return default
    return int(raw) if _WHOLE_NUMBER.fullmatch(raw.strip()) else None


def page_problems(request) -> dict[str, list[str]]:
    """What is wrong with ``page`` and ``page_size`` ({} when nothing): a list view reports these
    with its filters' errors in one response."""
    return _page_params(request)[2]


def _page_params(request) -> tuple[int | None, int | None, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    size = _page_number(request.query_params.get("page_size"), default=PAGE_SIZE_DEFAULT)
    if size is None or not 1 <= size <= PAGE_SIZE_MAX:
        errors["page_size"] = [f"A page size is a whole number from 1 to {PAGE_SIZE_MAX} (default {PAGE_SIZE_DEFAULT})."]
    number = _page_number(request.query_params.get("page"), default=1)
    if number is None or number < 1:
        errors["page"] = ["A page number is a whole number from 1."]
    return size, number, errors


def paginate(request, queryset, output: type[serializers.Serializer]) -> Response:
    """One page of ``queryset`` as {count, next, previous, results}. Out-of-range ``page`` or
    ``page_size`` is refused (400), never silently clamped: a client asking for 500 rows and
    getting 200 would believe it had them all."""
    size, number, errors = _page_params(request)
    if errors:
        raise ApiError(400, "invalid_request", INVALID, details=errors)
    count = queryset.count()
    last = max(1, -(-count // size))
    if number > last:  # a well-formed page number that names no page: 404, like an unknown id
        raise ApiError(404, "not_found", f"Page {number} does not exist: the last page is {last}.",
                       details={"page": [f"Page {number} does not exist: the last page is {last}."]})
    rows = queryset[(number - 1) * size : number * size]
    url = request.build_absolute_uri()
    previous = None
    if number > 1:
        previous = remove_query_param(url, "page") if number == 2 else replace_query_param(url, "page", number - 1)
    return Response({
        "count": count,
        "next": replace_query_param(url, "page", number + 1) if number < last else None,
        "previous": previous,
        "results": output(rows, many=True).data,
    })


def paginated(output: type[serializers.Serializer]):
    name = output.__name__.removesuffix("Output")
    return inline_serializer(f"{name}Page", fields={
        "count": serializers.IntegerField(help_text="Rows matching, over all pages."),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": output(many=True),
    })


PAGE_PARAMETERS = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": 1},
                     description="Page number from 1 (default 1). A page past the last is 404 not_found "
                     "(details.page); page 1 of an empty list is an empty page."),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX,
                                   "default": PAGE_SIZE_DEFAULT}, description=f"Rows per page, 1 to {PAGE_SIZE_MAX} (default "
                     f"{PAGE_SIZE_DEFAULT}). Outside that range: 400 invalid_request (details.page_size); "
                     "never clamped."),
]
