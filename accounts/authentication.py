"""Three-credential authentication for /api/v1/ (API.md section 3).

Layer 1 (X-Tenant-ID) is checked by tenants.middleware; here layer 2 (X-Tenant-Secret) and
layer 3 (Bearer JWT). Any failure answers 401 invalid_credentials without saying which layer
failed, and writes a row to the tenant's security audit log naming it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.authentication import BaseAuthentication

from config.api_errors import ApiError
from tenants.secrets import secret_recall, secret_verify

from . import throttle
from .audit import Kind, Outcome, audit_record, client_address
from .models import User
from .tokens import TokenExpired, TokenInvalid, decode_access


def _fail(request, *, kind: str, layer: str, reason: str, user=None) -> ApiError:
    audit_record(kind=kind, outcome=Outcome.FAILURE, request=request, layer=layer, user=user,
                 detail={"reason": reason, "path": request.path[:200]})
    throttle.credential_failed(address=client_address(request))
    return ApiError(401, "invalid_credentials", "Invalid credentials.", headers={"WWW-Authenticate": 'Bearer realm="api"'})


def check_tenant_layers(request):
    """Layers 1 and 2: a resolved tenant and one of its active secrets. Returns the tenant entry."""
    django_request = getattr(request, "_request", request)
    entry = getattr(django_request, "tenant_entry", None)
    if entry is None:  # tenants.middleware already refuses tenant-less /api/v1/ calls; defence in depth
        raise ApiError(401, "invalid_credentials", "Invalid credentials.")
    presented = django_request.META.get("HTTP_X_TENANT_SECRET")
    presented = presented.strip() if presented else None
    if secret_recall(entry=entry, presented=presented) is not None:
        return entry  # the common case: a secret this process verified recently
    # From here on a check may cost Argon2: refuse addresses that keep failing.
    _refuse_if_throttled(django_request)
    if secret_verify(entry=entry, presented=presented) is None:
        raise _fail(django_request, kind=Kind.TENANT_SECRET_REJECTED, layer="2",
                    reason="missing" if not presented else "wrong or expired")
    return entry


def _refuse_if_throttled(django_request) -> None:
    wait = throttle.credential_failures_exceeded(address=client_address(django_request))
    if wait is not None:
        raise ApiError(429, "throttled", "Too many failed attempts; try again later.",
                       headers={"Retry-After": str(wait)})


def _user(entry, user_id: str) -> User | None:
    """The token's user, from this process's tenant entry when it has seen them since the last
    registry change (see tenants.directory), else from the database. Each request gets its own
    copy, so per-request caches (permissions) never leak between requests."""
    user = entry.users.get(user_id)
    if user is None:
        try:
            user = User.objects.get(pk=user_id)
        except (User.DoesNotExist, ValueError, TypeError, DjangoValidationError):
            return None
        # Fill the permission caches once: every request's copy shares them (read-only), so a
        # permission check costs no query until the role or the role table changes (both bump the
        # registry generation, which drops this entry).
        user.get_all_permissions()
        if len(entry.users) > 5000:
            entry.users.clear()
        entry.users[user_id] = user
    # copy.copy(user) without the pickling protocol it goes through (__reduce_ex__, model_unpickle,
    # _reconstruct, __setstate__'s version check): a third of authentication's own time.
    # Model.__getstate__ still makes the copy: the instance's dict, its state, its related-object cache.
    state = user.__getstate__()
    for attr, value in state.pop("_memoryview_attrs", ()):
        state[attr] = memoryview(value)
    clone = object.__new__(type(user))
    clone.__dict__.update(state)
    return clone


class TenantSecretAuthentication(BaseAuthentication):
    """Layers 1 and 2 only: for login and refresh, which carry the user's proof in the body."""

    def authenticate(self, request):
        check_tenant_layers(request)
        return None

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ThreeCredentialAuthentication(TenantSecretAuthentication):
    def authenticate(self, request):
        entry = check_tenant_layers(request)
        django_request = request._request
        header = django_request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _fail(django_request, kind=Kind.TOKEN_REJECTED, layer="3", reason="missing bearer token")
        try:
            claims = decode_access(token.strip(), tenant_public_id=entry.public_id)
        except TokenExpired:
            raise ApiError(401, "token_expired", "The access token has expired; refresh it.",
                           headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'}) from None
        except TokenInvalid as exc:
            raise _fail(django_request, kind=Kind.TOKEN_REJECTED, layer="3", reason=str(exc)[:100]) from None
        user = _user(entry, claims["sub"])
        if user is None or not user.is_active or user.token_version != claims.get("ver"):
            raise _fail(django_request, kind=Kind.TOKEN_REJECTED, layer="3", reason="revoked", user=user)
        return user, claims

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
