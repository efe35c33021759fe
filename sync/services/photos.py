"""Photo uploads (PUT /api/v1/sync/photos/{photoId}): sniffed content, size limit, checksum,
idempotent; the blob and the PHOTO_ATTACHED event may arrive in either order."""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile

from wells.models import Photo

from ..models import PhotoBlob
from ..schemas import MAX_PHOTO_BYTES, sniff_image_type



class PhotoRejected(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}




def photo_upload(*, photo_id, data: bytes, declared_type: str, checksum: str, user) -> tuple[PhotoBlob, bool]:
    """Store an upload. Returns (blob, created). The same bytes again are a no-op."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected(413, "photo_too_large", "A photo may be at most 10 MiB.",
                            {"maxBytes": MAX_PHOTO_BYTES, "sizeBytes": len(data)})
    if not data:
        raise PhotoRejected(400, "invalid_request", "The request body is empty.")
    sniffed = sniff_image_type(data)
    if sniffed is None:
        raise PhotoRejected(415, "unsupported_media_type", "The body is not a JPEG, PNG or HEIC image.")
    if declared_type and declared_type.split(";")[0].strip().lower() != sniffed:
        raise PhotoRejected(415, "unsupported_media_type",
                            f"The Content-Type says {declared_type[:40]!r} but the content is {sniffed}.")
    digest = hashlib.sha256(data).hexdigest()
    if not checksum or checksum.strip().lower() != digest:
        raise PhotoRejected(400, "checksum_mismatch", "X-Content-SHA256 does not match the body.",
                            {"X-Content-SHA256": ["must be the lowercase hex SHA-256 of the body"]})
    existing = PhotoBlob.objects.filter(photo_id=photo_id).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise PhotoRejected(409, "conflict", "Another image was already uploaded under this photoId.")
        return existing, False
    blob = PhotoBlob(photo_id=photo_id, content_type=sniffed, size_bytes=len(data), sha256=digest, uploaded_by=user)
    blob.file.save(str(photo_id), ContentFile(data), save=False)
    blob.save()
    photo = Photo.objects.filter(photo_id=photo_id).first()
    if photo is not None:
        photo_blob_attach(photo=photo, blob=blob)
    return blob, True


def photo_blob_attach(*, photo: Photo, blob: PhotoBlob | None = None) -> bool:
    """Give a photo record its file once both the event and the upload are in."""
    blob = blob or PhotoBlob.objects.filter(photo_id=photo.photo_id).first()
    if blob is None or photo.file:
        return False
    Photo.objects.filter(pk=photo.pk).update(file=blob.file.name, content_type=blob.content_type,
                                             size_bytes=blob.size_bytes, sha256=blob.sha256)
    return True
