"""Request bodies over their limit answer 413 before they are read (API.md section 1): 1 MiB of
JSON outside sync, a sync batch's 8 MiB, a photo's 10 MiB; Django's own ceiling is a 413 too."""

from __future__ import annotations

import json
import uuid

import pytest

from config.middleware import MIB
from sync.schemas import MAX_BYTES, MAX_PHOTO_BYTES

# Writes that answered 500 for a body of about 11 MiB.
JSON_WRITES = [
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/wells/"),
    ("patch", f"/api/v1/wells/{uuid.uuid4()}/"),
    ("post", f"/api/v1/conflicts/{uuid.uuid4()}/resolve"),
]


def padded_json(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes."""
    skeleton = b'{"name": ""}'
    return skeleton[:-2] + b"x" * (size - len(skeleton)) + skeleton[-2:]


def assert_too_large(response, code: str, max_bytes: int) -> dict:
    assert response.status_code == 413, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["details"]["maxBytes"] == [str(max_bytes)], error
    return error


@pytest.mark.parametrize("method,path", JSON_WRITES)
def test_a_json_body_over_1_mib_is_refused_with_413(client, manager, method, path):
    response = getattr(client, method)(path, padded_json(MIB + 1), content_type="application/json", **manager)
    assert_too_large(response, "request_too_large", MIB)


@pytest.mark.parametrize("method,path", JSON_WRITES)
def test_the_declared_length_is_refused_before_the_body_is_read(client, manager, method, path):
    # The test client's payload refuses to be read past its 2 bytes: a read would fail the test.
    response = getattr(client, method)(path, b"{}", content_type="application/json",
                                       CONTENT_LENGTH=str(12 * MIB), **manager)
    assert_too_large(response, "request_too_large", MIB)


def test_a_body_of_exactly_1_mib_is_not_refused_for_its_size(client, manager):
    response = client.post("/api/v1/wells/", padded_json(MIB), content_type="application/json", **manager)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"


def test_an_11_mib_login_without_credentials_is_not_a_server_error(client, tenant_a, db):
    response = client.post("/api/v1/auth/login", padded_json(11 * MIB), content_type="application/json",
                           **tenant_a.headers())
    assert_too_large(response, "request_too_large", MIB)


def test_a_portal_form_over_1_mib_is_refused_with_413(client, tenant_a, db):
    response = client.post("/login/", {"email": "x" * MIB, "password": "p"}, HTTP_HOST=tenant_a.host)
    assert response.status_code == 413 and b"at most 1,048,576 bytes" in response.content


def test_a_sync_batch_keeps_its_8_mib_limit(client, manager):
    over = client.post("/api/v1/sync/batches", b"{}", content_type="application/json",
                       CONTENT_LENGTH=str(MAX_BYTES + 1), **manager)
    error = assert_too_large(over, "batch_too_large", MAX_BYTES)
    assert error["details"]["maxEvents"] == ["5000"]
    # 2 MiB is over the JSON default but within a batch's limit: read, then judged on content.
    body = json.dumps({"device": {"deviceId": "t1", "platform": "cli"}, "events": [], "pad": "x" * 2 * MIB})
    within = client.post("/api/v1/sync/batches", body, content_type="application/json", **manager)
    assert within.status_code == 400 and "events" in within.json()["error"]["details"]


def test_a_photo_keeps_its_10_mib_limit(client, manager):
    path = f"/api/v1/sync/photos/{uuid.uuid4()}"
    over = client.put(path, b"\x89PNG", content_type="image/png", CONTENT_LENGTH=str(MAX_PHOTO_BYTES + 1), **manager)
    assert_too_large(over, "photo_too_large", MAX_PHOTO_BYTES)
    within = client.put(path, b"\x89PNG" + b"\0" * (2 * MIB), content_type="image/png", **manager)
    assert within.status_code != 413, within.content


def test_django_refusing_a_body_over_its_memory_ceiling_is_a_413_in_the_error_shape(client, manager, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # the batch view reads request.body: Django refuses it
    body = json.dumps({"device": {"deviceId": "t1", "platform": "cli"}, "events": [], "pad": "x" * 5000})
    response = client.post("/api/v1/sync/batches", body, content_type="application/json", **manager)
    assert_too_large(response, "request_too_large", 1000)


@pytest.mark.parametrize("length", ["lots", "-1"])
def test_a_content_length_that_is_not_a_number_of_bytes_is_a_400(client, manager, length):
    response = client.post("/api/v1/wells/", b"{}", content_type="application/json", CONTENT_LENGTH=length,
                           **manager)
    assert response.status_code == 400 and "Content-Length" in response.json()["error"]["details"]


def test_a_chunked_body_the_server_cannot_bound_is_refused_with_411(client, manager):
    # Django's development server passes chunked bodies through undecoded (gunicorn decodes them:
    # tests/config/test_live_gunicorn.py): without a Content-Length the body is refused, not ignored.
    response = client.generic("POST", "/api/v1/wells/", "", HTTP_TRANSFER_ENCODING="chunked", **manager)
    assert response.status_code == 411 and response.json()["error"]["code"] == "length_required"
