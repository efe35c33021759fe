"""config.negotiation.FastContentNegotiation answers as DRF's negotiation does, for the Accept
headers clients send and for those it hands to DRF (quality values, other types, a format
override), and the API still refuses what it cannot render (406) through it."""

from __future__ import annotations

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config.negotiation import FastContentNegotiation

ACCEPTS = [None, "*/*", "application/json", "application/json; indent=4", "text/html", "application/*",
           "text/html, */*;q=0.1", "application/xml", "", " */*", "application/json, text/plain", "*/*;q=0.8"]
QUERIES = ["", "?format=json", "?format=api", "?format=", "?page=2"]


def _outcome(negotiation, accept, query, renderers):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/api/v1/me" + query, **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers)
    except NotAcceptable:
        return "406"
    except Exception as exc:  # noqa: BLE001 (Http404 for an unknown format: compared, not raised)
        return type(exc).__name__
    return type(renderer).__name__, media_type


@pytest.mark.parametrize("renderers", [[JSONRenderer()], [JSONRenderer(), BrowsableAPIRenderer()],
                                       [BrowsableAPIRenderer(), JSONRenderer()]], ids=["json", "json+api", "api+json"])
@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_same_renderer_and_media_type_as_drf(accept, query, renderers):
    assert _outcome(FastContentNegotiation(), accept, query, renderers) == \
        _outcome(DefaultContentNegotiation(), accept, query, renderers)


@pytest.mark.django_db
def test_the_api_uses_it_and_still_answers_406(client, tenant_a):
    from rest_framework.settings import api_settings

    from tests.factories import api_login

    assert api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS is FastContentNegotiation
    token = api_login(client, tenant_a, email=tenant_a.users["OPERATOR"])["access"]
    for accept, status in (("*/*", 200), ("application/json", 200), ("text/html", 406), ("application/xml", 406)):
        response = client.get("/api/v1/me", HTTP_ACCEPT=accept, **tenant_a.headers(token=token))
        assert response.status_code == status, (accept, response.content)
        assert response["Content-Type"].startswith("application/json")
        if status == 406:
            assert response.json()["error"]["code"] == "not_acceptable", response.content
