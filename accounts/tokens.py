"""JWT access and refresh tokens bound to a tenant (claim ``tid``).

Access tokens live 15 minutes and carry the user's ``token_version``: deactivation and role
changes bump it, which ends every outstanding access token at once. Refresh tokens live 14 days,
are recorded in the tenant's RefreshToken table, rotate on every use, and presenting a used one
again revokes its whole family.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.utils import timezone

from tenants import databases as tenant_db

from .models import RefreshToken, User

ISSUER = "pumpjack"
ALGORITHM = "HS256"


class TokenInvalid(Exception):
    """The token is malformed, forged, for another tenant, revoked or reused."""


class TokenExpired(TokenInvalid):
    pass


class RefreshReused(TokenInvalid):
    def __init__(self, user: User):
        super().__init__("refresh token reused")
        self.user = user


@lru_cache(maxsize=1)
def _signing_key() -> bytes:
    return hashlib.sha256(b"pumpjack-jwt:" + settings.SECRET_KEY.encode()).digest()


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_in: int


# JSON Web Tokens, HS256 only, with the standard library: the tokens never leave this server's
# signing key, so no other algorithm (and no crypto library in every web worker) is needed.
def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


_HEADER = _b64encode(json.dumps({"alg": ALGORITHM, "typ": "JWT"}, separators=(",", ":")).encode())
_REQUIRED = ("exp", "iat", "sub", "tid", "typ", "jti", "iss")


def _signature(signing_input: str) -> bytes:
    return hmac.new(_signing_key(), signing_input.encode(), hashlib.sha256).digest()


def _encode(claims: dict) -> str:
    signing_input = f"{_HEADER}.{_b64encode(json.dumps(claims, separators=(',', ':')).encode())}"
    return f"{signing_input}.{_b64encode(_signature(signing_input))}"


def _verified_claims(token: str) -> dict:
    """The claims of a token this server signed (HS256), expiry and issuer checked."""
    if not isinstance(token, str) or len(token) > 4096 or token.count(".") != 2:
        raise TokenInvalid("not a token")
    header_part, payload_part, signature_part = token.split(".")
    try:
        header = json.loads(_b64decode(header_part))
        signature = _b64decode(signature_part)
    except (ValueError, binascii.Error):
        raise TokenInvalid("malformed token") from None
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
        raise TokenInvalid("unexpected algorithm")
    if not hmac.compare_digest(signature, _signature(f"{header_part}.{payload_part}")):
        raise TokenInvalid("bad signature")
    try:
        claims = json.loads(_b64decode(payload_part))
    except (ValueError, binascii.Error):
        raise TokenInvalid("malformed claims") from None
    if not isinstance(claims, dict) or any(name not in claims for name in _REQUIRED):
        raise TokenInvalid("missing claims")
    if claims["iss"] != ISSUER or not isinstance(claims["exp"], (int, float)):
        raise TokenInvalid("wrong issuer or expiry")
    if claims["exp"] <= time.time():
        raise TokenExpired("token expired")
    return claims


_VERIFIED: dict[str, dict] = {}  # access token -> claims, signature already checked
_VERIFIED_MAX = 10_000


def decode_access(token: str, *, tenant_public_id: str) -> dict:
    """Decode an access token, checking its signature once per process: a device presents the same
    token for up to 15 minutes, so later requests only check the expiry and the tenant. Revocation
    is not affected: it is checked on the user (token_version) on every request."""
    claims = _VERIFIED.get(token)
    if claims is None:
        claims = decode(token, expected_type="access", tenant_public_id=tenant_public_id)
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[token] = claims
    elif claims["exp"] <= time.time():
        _VERIFIED.pop(token, None)
        raise TokenExpired("token expired")
    if claims["tid"] != tenant_public_id:
        raise TokenInvalid("token issued for another tenant")
    return claims


def decode(token: str, *, expected_type: str, tenant_public_id: str) -> dict:
    claims = _verified_claims(token)
    if claims.get("typ") != expected_type:
        raise TokenInvalid("wrong token type")
    if claims.get("tid") != tenant_public_id:
        raise TokenInvalid("token issued for another tenant")
    return claims


def access_token_issue(*, user: User, tenant_public_id: str, now: datetime) -> str:
    return _encode(
        {
            "iss": ISSUER,
            "typ": "access",
            "sub": str(user.pk),
            "tid": tenant_public_id,
            "ver": user.token_version,
            "role": user.role,
            "iat": int(now.timestamp()),
            "exp": int((now + settings.ACCESS_TOKEN_LIFETIME).timestamp()),
            "jti": uuid.uuid4().hex,
        }
    )


def token_pair_issue(
    *, user: User, tenant_public_id: str, family: uuid.UUID | None = None, address=None, user_agent=""
) -> TokenPair:
    now = timezone.now()
    record = RefreshToken.objects.create(
        family=family or uuid.uuid4(),
        user=user,
        expires_at=now + settings.REFRESH_TOKEN_LIFETIME,
        client_address=address,
        user_agent=user_agent[:300],
    )
    refresh = _encode(
        {
            "iss": ISSUER,
            "typ": "refresh",
            "sub": str(user.pk),
            "tid": tenant_public_id,
            "fam": str(record.family),
            "iat": int(now.timestamp()),
            "exp": int(record.expires_at.timestamp()),
            "jti": str(record.jti),
        }
    )
    return TokenPair(
        access=access_token_issue(user=user, tenant_public_id=tenant_public_id, now=now),
        refresh=refresh,
        access_expires_in=int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
    )


def refresh_rotate(*, refresh: str, tenant_public_id: str, address=None, user_agent="") -> TokenPair:
    """Exchange a refresh token for a new pair; the presented token cannot be used again."""
    claims = decode(refresh, expected_type="refresh", tenant_public_id=tenant_public_id)
    with tenant_db.atomic():
        record = (
            RefreshToken.objects.select_for_update().select_related("user").filter(jti=claims["jti"]).first()
        )
        if record is None or str(record.user_id) != claims["sub"]:
            raise TokenInvalid("unknown refresh token")
        reused = record.used_at is not None and record.revoked_at is None
        if reused:
            # Revoke in this transaction and keep it: the exception is raised once it commits.
            refresh_family_revoke(family=record.family, reason="reused")
        elif record.revoked_at is not None:
            raise TokenInvalid("refresh token revoked")
        if not reused and record.user.is_active:
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
            return token_pair_issue(
                user=record.user,
                tenant_public_id=tenant_public_id,
                family=record.family,
                address=address,
                user_agent=user_agent,
            )
    if reused:
        raise RefreshReused(record.user)
    raise TokenInvalid("user inactive")


def refresh_revoke(*, refresh: str, tenant_public_id: str, reason: str = "logout") -> User:
    claims = decode(refresh, expected_type="refresh", tenant_public_id=tenant_public_id)
    record = RefreshToken.objects.select_related("user").filter(jti=claims["jti"]).first()
    if record is None:
        raise TokenInvalid("unknown refresh token")
    refresh_family_revoke(family=record.family, reason=reason)
    return record.user


def refresh_family_revoke(*, family: uuid.UUID, reason: str) -> int:
    return RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def refresh_tokens_revoke_for_user(*, user: User, reason: str) -> int:
    return RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
