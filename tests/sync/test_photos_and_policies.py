"""Photo upload (content sniffing, size, checksum, idempotent, either order) and the ADMIN's choice
of conflict strategies."""

import hashlib
import uuid

import pytest
from django_tenants.utils import schema_context

from tests.factories import api_login
from tests.sync.conftest import event
from wells.models import Photo

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0" + b"\x10JFIF" + b"\x00" * 300


def upload(client, tenant, token, photo_id, data, content_type="image/png", checksum=None):
    return client.put(f"/api/v1/sync/photos/{photo_id}", data, content_type=content_type,
                      HTTP_X_CONTENT_SHA256=checksum if checksum is not None else hashlib.sha256(data).hexdigest(),
                      **tenant.headers(token=token))


def photo_attached(route, photo_id):
    return event("PHOTO_ATTACHED", {"wellId": str(route.well.pk), "photoId": str(photo_id),
                                    "takenAt": "2026-11-20T15:30:00Z", "caption": "Separator"})


def test_upload_then_event_gives_the_photo_its_file(client, tenant_a, operator_tokens, push_and_process, route):
    photo_id = uuid.uuid4()
    response = upload(client, tenant_a, operator_tokens["access"], photo_id, PNG)
    assert response.status_code == 201 and response.json()["contentType"] == "image/png"
    assert upload(client, tenant_a, operator_tokens["access"], photo_id, PNG).status_code == 200  # idempotent
    push_and_process([photo_attached(route, photo_id)])
    with schema_context(tenant_a.tenant.schema_name):
        photo = Photo.objects.get(photo_id=photo_id)
        assert photo.file and photo.size_bytes == len(PNG) and photo.sha256 == hashlib.sha256(PNG).hexdigest()
        assert photo.file.read() == PNG


def test_event_then_upload_also_gives_the_photo_its_file(client, tenant_a, operator_tokens, push_and_process, route):
    photo_id = uuid.uuid4()
    push_and_process([photo_attached(route, photo_id)])
    with schema_context(tenant_a.tenant.schema_name):
        assert not Photo.objects.get(photo_id=photo_id).file
    assert upload(client, tenant_a, operator_tokens["access"], photo_id, JPEG, "image/jpeg").status_code == 201
    with schema_context(tenant_a.tenant.schema_name):
        assert Photo.objects.get(photo_id=photo_id).content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "content_type", "checksum", "status", "code"),
    [(b"GIF89a" + b"\x00" * 50, "image/gif", None, 415, "unsupported_media_type"),
     (b"<svg></svg>", "image/png", None, 415, "unsupported_media_type"),
     (JPEG, "image/png", None, 415, "unsupported_media_type"),
     (PNG, "image/png", "0" * 64, 400, "checksum_mismatch"),
     (PNG, "image/png", "", 400, "checksum_mismatch"),
     (b"", "image/png", None, 400, "invalid_request")],
)
def test_bad_uploads_are_refused_with_a_clear_code(client, tenant_a, operator_tokens, data, content_type, checksum,
                                                   status, code):
    response = upload(client, tenant_a, operator_tokens["access"], uuid.uuid4(), data, content_type, checksum)
    assert response.status_code == status and response.json()["error"]["code"] == code


def test_uploads_over_10_mib_are_refused(client, tenant_a, operator_tokens):
    big = PNG + b"\x00" * (10 * 1024 * 1024)
    response = upload(client, tenant_a, operator_tokens["access"], uuid.uuid4(), big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "photo_too_large"


def test_another_image_under_the_same_photo_id_is_409(client, tenant_a, operator_tokens):
    photo_id = uuid.uuid4()
    upload(client, tenant_a, operator_tokens["access"], photo_id, PNG)
    assert upload(client, tenant_a, operator_tokens["access"], photo_id, JPEG, "image/jpeg").status_code == 409


def test_an_admin_chooses_strategies_except_for_safety_critical_types(client, tenant_a):
    admin = tenant_a.headers(token=api_login(client, tenant_a, email=tenant_a.users["ADMIN"])["access"])
    listed = {p["eventType"]: p for p in client.get("/api/v1/sync/policies", **admin).json()}
    assert listed["PRODUCTION_LOGGED"]["strategy"] == "HIGHEST_VALUE"
    assert listed["EQUIPMENT_INSPECTED"]["configurable"] is False
    response = client.put("/api/v1/sync/policies/PRODUCTION_LOGGED", {"strategy": "NEWEST_WINS"},
                          content_type="application/json", **admin)
    assert response.status_code == 200 and response.json()["strategy"] == "NEWEST_WINS"
    refused = client.put("/api/v1/sync/policies/EQUIPMENT_INSPECTED", {"strategy": "NEWEST_WINS"},
                         content_type="application/json", **admin)
    assert refused.status_code == 400
    assert client.put("/api/v1/sync/policies/PRODUCTION_LOGGED", {"strategy": "MERGE"},
                      content_type="application/json", **admin).status_code == 400
    manager = tenant_a.headers(token=api_login(client, tenant_a, email=tenant_a.users["MANAGER"])["access"])
    assert client.put("/api/v1/sync/policies/PRODUCTION_LOGGED", {"strategy": "HIGHEST_VALUE"},
                      content_type="application/json", **manager).status_code == 403


def test_a_photo_is_downloaded_with_credentials_by_those_who_see_its_well(client, tenant_a, operator_tokens,
                                                                          push_and_process, route):
    photo_id = uuid.uuid4()
    upload(client, tenant_a, operator_tokens["access"], photo_id, PNG)
    push_and_process([photo_attached(route, photo_id)])
    listing = client.get(f"/api/v1/wells/{route.well.pk}/photos/", **tenant_a.headers(token=operator_tokens["access"]))
    [photo] = listing.json()["results"]
    assert photo["url"] == f"/api/v1/sync/photos/{photo_id}"
    response = client.get(photo["url"], **tenant_a.headers(token=operator_tokens["access"]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    from tests.factories import make_user

    stranger = make_user(tenant_a, role="OPERATOR")  # no route: cannot see the well
    token = api_login(client, tenant_a, email=stranger.email)["access"]
    assert client.get(photo["url"], **tenant_a.headers(token=token)).status_code == 404
