"""The API's JSON parser: DRF's, plus clean 400s for documents Python parses but the API must not
take: nested too deeply to parse (Python's decoder raises RecursionError, which would otherwise
be a 500), and strings or keys holding a NUL or a lone surrogate ("\\u0000", "\\ud800": valid
JSON, but PostgreSQL cannot store them, so they would fail later, as a 500)."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from config.api_errors import ApiError
from config.text import BAD_TEXT_MESSAGE, find_bad_text

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

