"""The API's JSON parser: DRF's, plus clean 400s for documents Python parses but the API must not
take: nested too deeply to parse (Python's decoder raises RecursionError, which would otherwise
be a 500), and strings or keys holding a NUL or a lone surrogate ("\\u0000", "\\ud800": valid
JSON, but PostgreSQL cannot store them, so they would fail later, as a 500)."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from config.api_errors import ApiError

BAD_TEXT_MESSAGE = "must be text without NUL characters or lone surrogates"


def _bad_string(value: str) -> bool:
    if value.isascii():
        return "\x00" in value
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")  # a lone surrogate cannot be encoded
    except UnicodeEncodeError:
        return True
    return False


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def find_bad_text(value) -> str | None:
    """The wire path (``name``, ``items[2].serialNumber``; ``body`` for the document itself) of
    the first string or key in a parsed JSON document that holds a NUL or a lone surrogate, or
    None. Paths are only built for containers and for what is reported."""
    stack: list[tuple[object, str, str | int]] = [(value, "", "")]
    while stack:
        item, parent, key = stack.pop()
        if isinstance(item, str):
            if _bad_string(item):
                return _path(parent, key) or "body"
        elif isinstance(item, dict):
            where = _path(parent, key)
            for name, child in item.items():
                if _bad_string(name):
                    return where or "body"
                stack.append((child, where, name))
        elif isinstance(item, list):
            where = _path(parent, key)
            stack.extend((child, where, index) for index, child in enumerate(item))
    return None


class SafeJSONParser(JSONParser):
    """A view whose top-level keys hold items it checks one by one (a sync batch's ``events``:
    one bad event is rejected, not the batch) names them in ``text_checked_per_item``."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("The JSON document is nested too deeply.") from None
        view = (parser_context or {}).get("view")
        skipped = getattr(view, "text_checked_per_item", ())
        checked = {k: v for k, v in data.items() if k not in skipped} if skipped and isinstance(data, dict) else data
        where = find_bad_text(checked)
        if where is not None:
            where = where[:200]
            raise ApiError(400, "invalid_request", f"{where} holds a NUL character or a lone surrogate.",
                           {where: [BAD_TEXT_MESSAGE]})
        return data

