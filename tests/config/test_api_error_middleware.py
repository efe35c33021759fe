"""Outside DRF's views, an exception on an /api/ path still answers in API.md section 1's shape,
through the responders the layers above registered (config.api_errors.exception_responder)."""

from __future__ import annotations

import json

from django.db import OperationalError
from django.test import RequestFactory

from config.api_errors import EXCEPTION_RESPONDERS, ApiErrorMiddleware


def _answer(exc, path="/api/v1/anything"):
    request = RequestFactory().get(path)
    return ApiErrorMiddleware(lambda r: None).process_exception(request, exc)


def test_an_unhandled_exception_on_an_api_path_is_a_500_in_the_error_shape():
    response = _answer(RuntimeError("boom"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "internal_error"


def test_a_registered_responder_answers_first(monkeypatch):
    from django.http import JsonResponse

    def database_down(exc, request):
        return JsonResponse({"error": {"code": "unavailable"}}, status=503) if isinstance(exc, OperationalError) else None

    monkeypatch.setattr("config.api_errors.EXCEPTION_RESPONDERS", [database_down, *EXCEPTION_RESPONDERS])
    assert _answer(OperationalError("gone")).status_code == 503
    assert _answer(RuntimeError("boom")).status_code == 500  # not for it: the next answer


def test_the_tenancy_core_registers_its_responder():
    from tenants.middleware import tenant_database_down_response

    assert tenant_database_down_response in EXCEPTION_RESPONDERS


def test_a_page_outside_the_api_is_left_to_django():
    assert _answer(RuntimeError("boom"), path="/wells/") is None
