"""config.middleware.MessageMiddleware: Django's message storage, made only when a request uses it.
An API request never builds it and sets no cookie; a page that adds a message still shows it
after the redirect (tests/portal/test_team.py), and a page that reads none stores nothing."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def storages_made(monkeypatch):
    import config.middleware

    made = []
    real = config.middleware.default_storage

    def counting(request):
        made.append(request.path)
        return real(request)

    monkeypatch.setattr(config.middleware, "default_storage", counting)
    return made


def test_an_api_request_never_builds_the_message_storage(client, tenant_a, storages_made, settings):
    from tests.factories import api_login

    assert "config.middleware.MessageMiddleware" in settings.MIDDLEWARE
    assert "django.contrib.messages.middleware.MessageMiddleware" not in settings.MIDDLEWARE

    token = api_login(client, tenant_a, email=tenant_a.users["OPERATOR"])["access"]
    response = client.get("/api/v1/me", **tenant_a.headers(token=token))
    assert response.status_code == 200
    assert storages_made == [] and "messages" not in response.cookies


def test_a_message_added_is_stored_and_shown_once(tenant_a, storages_made):
    """The storage is made when a view adds a message, and read on the next page."""
    from django.contrib import messages
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpResponse
    from django.test import RequestFactory

    from config.middleware import MessageMiddleware

    def adds(request):
        messages.success(request, "Saved.")
        return HttpResponse("ok")

    def reads(request):
        return HttpResponse(" | ".join(str(m) for m in messages.get_messages(request)))

    factory = RequestFactory()
    first = factory.get("/first")
    first.session = {}
    response = MessageMiddleware(adds)(first)
    assert storages_made == ["/first"]
    cookie = response.cookies[CookieStorage.cookie_name].value
    assert cookie

    second = factory.get("/second")
    second.session = {}
    second.COOKIES[CookieStorage.cookie_name] = cookie
    shown = MessageMiddleware(reads)(second)
    assert shown.content == b"Saved."
    assert shown.cookies[CookieStorage.cookie_name].value == ""  # read: the cookie is cleared

    untouched = factory.get("/third")
    untouched.session = {}
    untouched.COOKIES[CookieStorage.cookie_name] = cookie
    passed = MessageMiddleware(lambda request: HttpResponse("no messages read"))(untouched)
    assert CookieStorage.cookie_name not in passed.cookies  # not read, kept as it was
    assert storages_made == ["/first", "/second"]
