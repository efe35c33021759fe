"""One-time links by e-mail (API.md section 16): invitations and password resets.

An ADMIN invites an e-mail with a role; the invitee receives a link, valid 72 hours and good for
one use, to set a password on the tenant's sub-domain, and then is a user with that role. A
password reset sends the same kind of link to an active user who asked for it. Only a SHA-256
hash of a link's token is stored (the token has 256 random bits: a fast hash is enough, and a
lookup by hash is one index read); the token is in the e-mail alone and is never logged.

A link belongs to the tenant whose schema holds it: presented on another tenant's sub-domain it
is simply not found there. A reset request answers the same whether or not the e-mail has an
account (the caller shows one message either way); requests are throttled per e-mail and per
client address. Every step is written to the tenant's security audit log, never with a token.
"""

from __future__ import annotations

import hashlib
import logging
import secrets as random_source
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError
from django.http import HttpRequest
from django.utils import timezone

from tenants import databases as tenant_db
from tenants.context import current_tenant

from . import throttle
from .audit import Kind, Outcome, audit_record, client_address
from .models import AccountLink, Role, User
from .services import _tokens_end

log = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(hours=72)
Purpose = AccountLink.Purpose
_PATHS = {Purpose.INVITATION: "/invitation/{token}/", Purpose.PASSWORD_RESET: "/password/reset/{token}/"}
LINK_PAGES = {Purpose.INVITATION: "/invitation/", Purpose.PASSWORD_RESET: "/password/reset/"}


class EmailNotSent(Exception):
    """The mail server refused or could not be reached: the link was withdrawn again."""


class LinkInvalid(Exception):
    """Unknown, expired, used or revoked: the page says so in one sentence, whichever it is."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def portal_origin(request: HttpRequest | None = None, tenant=None) -> str:
    """``scheme://host`` of the tenant's portal: the request's own when it came in on the tenant's
    sub-domain (the port of a development server included), else ``<slug>.<BASE_DOMAIN>`` with
    PORTAL_URL_SCHEME (an API call routed by the X-Tenant-ID header may come in on any host)."""
    entry = getattr(request, "tenant_entry", None) if request is not None else None
    tenant = tenant or (entry.tenant if entry is not None else None) or current_tenant()
    host = f"{tenant.slug}.{settings.BASE_DOMAIN}"
    if request is not None:
        try:
            requested = request.get_host()
        except Exception:  # noqa: BLE001 (a disallowed Host header: use the configured one)
            requested = ""
        if requested.lower().rsplit(":", 1)[0] == host:
            return f"{request.scheme}://{requested.lower()}"
    return f"{getattr(settings, 'PORTAL_URL_SCHEME', 'https')}://{host}"


@dataclass(frozen=True)
class IssuedLink:
    link: AccountLink
    url: str  # holds the token: goes into the e-mail and nowhere else


def _issue(*, purpose: str, email: str, role: str = "", user: User | None = None, actor: str,
           request: HttpRequest | None) -> IssuedLink:
    token = random_source.token_urlsafe(32)
    link = AccountLink.objects.create(
        purpose=purpose, email=email, role=role, user=user, token_hash=token_hash(token),
        created_by=actor, expires_at=timezone.now() + LINK_LIFETIME,
    )
    return IssuedLink(link=link, url=portal_origin(request) + _PATHS[purpose].format(token=token))


def _tenant_name() -> str:
    tenant = current_tenant()
    return tenant.name if tenant is not None else "Pumpjack"


def _send(subject: str, body: str, email: str) -> None:
    try:
        send_mail(subject, body, getattr(settings, "DEFAULT_FROM_EMAIL", None), [email])
    except Exception as exc:  # noqa: BLE001 (any mail failure: the caller withdraws the link)
        log.warning("account link: e-mail could not be sent (%s)", type(exc).__name__)
        raise EmailNotSent() from exc


# --------------------------------------------------------------------------- invitations


def invitations_pending():
    return AccountLink.objects.filter(purpose=Purpose.INVITATION, used_at__isnull=True, revoked_at__isnull=True,
                                      expires_at__gt=timezone.now()).order_by("email")


def invitation_create(*, email: str, role: str, actor: str, request: HttpRequest | None = None) -> AccountLink:
    """Invite ``email`` as ``role``: an e-mail with a link to set a password. A pending invitation
    of the same e-mail is replaced (its link stops working). Raises ValidationError with field
    messages (an e-mail that already has an account here is one), EmailNotSent."""
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    if len(email) > 254:
        errors["email"] = ["At most 254 characters."]
    if role not in Role.values:
        errors["role"] = [f"Role must be one of {', '.join(Role.values)}."]
    if "email" not in errors and User.objects.filter(email__iexact=email).exists():
        errors["email"] = [f"{email} already has an account in this tenant: change their role on the team "
                           "page, or ask them to use \"Forgot password\" on the login page."]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with tenant_db.atomic():
        replaced = invitations_pending().filter(email=email).update(revoked_at=now)
        issued = _issue(purpose=Purpose.INVITATION, email=email, role=role, actor=actor, request=request)
    name = _tenant_name()
    body = (f"{actor or 'An administrator'} invited you to {name} on Pumpjack as {role}.\n\n"
            f"Set your password here to start (the link works once, for 72 hours):\n\n{issued.url}\n\n"
            "If you did not expect this, ignore this message.\n")
    try:
        _send(f"[{name}] You are invited to Pumpjack", body, email)
    except EmailNotSent:
        AccountLink.objects.filter(pk=issued.link.pk).update(revoked_at=timezone.now())
        raise
    audit_record(kind=Kind.INVITATION_SENT, outcome=Outcome.SUCCESS, request=request, actor=actor,
                 detail={"email": email, "role": role, "invitation": str(issued.link.pk), "replaced": replaced})
    return issued.link


def invitation_revoke(*, invitation_id, actor: str, request: HttpRequest | None = None) -> AccountLink:
    """Withdraw a pending invitation: its link stops working. Raises ValidationError if it is not pending."""
    link = AccountLink.objects.filter(pk=invitation_id, purpose=Purpose.INVITATION).first()
    if link is None:
        raise ValidationError({"invitation": ["No such invitation."]})
    if not link.is_usable_at(timezone.now()):
        raise ValidationError({"invitation": ["This invitation is no longer pending (used, expired or revoked)."]})
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    audit_record(kind=Kind.INVITATION_REVOKED, outcome=Outcome.SUCCESS, request=request, actor=actor,
                 detail={"email": link.email, "role": link.role, "invitation": str(link.pk)})
    return link


# --------------------------------------------------------------------------- password reset


def password_reset_request(*, email: str, tenant_public_id: str, request: HttpRequest | None = None) -> None:
    """Send a reset link if ``email`` is an active user's; do nothing visible otherwise. Raises
    throttle.Throttled (after too many requests for one e-mail or from one address), whether or
    not the e-mail has an account. A mail failure is logged, not shown (it would tell)."""
    email = (email or "").strip().lower()[:254]
    address = client_address(request)
    wait = throttle.reset_is_throttled(tenant_public_id=tenant_public_id, email=email, address=address)
    if wait is not None:
        audit_record(kind=Kind.PASSWORD_RESET_REQUESTED, outcome=Outcome.FAILURE, request=request, actor=email,
                     detail={"reason": "throttled"})
        raise throttle.Throttled(wait)
    throttle.reset_requested(tenant_public_id=tenant_public_id, email=email, address=address)
    user = User.objects.filter(email__iexact=email, is_active=True).exclude(role="").first() if email else None
    if user is None:
        audit_record(kind=Kind.PASSWORD_RESET_REQUESTED, outcome=Outcome.FAILURE, request=request, actor=email,
                     detail={"reason": "no active account"})
        return
    with tenant_db.atomic():
        # One working reset link per user: an older one stops when a new one is sent.
        AccountLink.objects.filter(purpose=Purpose.PASSWORD_RESET, user=user, used_at__isnull=True,
                                   revoked_at__isnull=True).update(revoked_at=timezone.now())
        issued = _issue(purpose=Purpose.PASSWORD_RESET, email=user.email, user=user, actor=user.email,
                        request=request)
    name = _tenant_name()
    body = (f"Someone (we hope you) asked to reset your password for {name} on Pumpjack.\n\n"
            f"Choose a new password here (the link works once, for 72 hours):\n\n{issued.url}\n\n"
            "If you did not ask for this, ignore this message: your password stays as it is.\n")
    try:
        _send(f"[{name}] Reset your Pumpjack password", body, user.email)
    except EmailNotSent:
        AccountLink.objects.filter(pk=issued.link.pk).update(revoked_at=timezone.now())
        audit_record(kind=Kind.PASSWORD_RESET_REQUESTED, outcome=Outcome.FAILURE, request=request, user=user,
                     detail={"reason": "e-mail not sent"})
        return
    audit_record(kind=Kind.PASSWORD_RESET_REQUESTED, outcome=Outcome.SUCCESS, request=request, user=user,
                 detail={"link": str(issued.link.pk)})


# --------------------------------------------------------------------------- following a link


def link_find(*, purpose: str, token: str, request: HttpRequest | None = None) -> AccountLink:
    """The usable link with this token, else LinkInvalid (audited when a known link is refused)."""
    if not token or len(token) > 200:
        raise LinkInvalid()
    link = AccountLink.objects.filter(purpose=purpose, token_hash=token_hash(token)).first()
    if link is None:
        raise LinkInvalid()
    if not link.is_usable_at(timezone.now()):
        reason = "used" if link.used_at else "revoked" if link.revoked_at else "expired"
        audit_record(kind=Kind.ACCOUNT_LINK_REFUSED, outcome=Outcome.FAILURE, request=request, actor=link.email,
                     detail={"purpose": link.purpose, "reason": reason, "link": str(link.pk)})
        raise LinkInvalid()
    return link


def _check_password(password: str, user: User) -> None:
    if not password:
        raise ValidationError({"password": ["A password is required."]})
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": list(exc.messages)}) from None


def _take(purpose: str, link_id) -> AccountLink:
    """The link, locked, still usable: the second of two concurrent uses finds it used."""
    link = AccountLink.objects.select_for_update().filter(purpose=purpose, pk=link_id).first()
    if link is None or not link.is_usable_at(timezone.now()):
        raise LinkInvalid()
    return link


def link_get(*, purpose: str, link_id) -> AccountLink:
    """The usable link with this id (the page that follows a link keeps only the id, in the
    visitor's session, so that the token leaves the address bar and never reaches a log)."""
    link = AccountLink.objects.filter(purpose=purpose, pk=link_id).first() if link_id else None
    if link is None or not link.is_usable_at(timezone.now()):
        raise LinkInvalid()
    return link


def invitation_accept(*, link_id, password: str, name: str = "", request: HttpRequest | None = None) -> User:
    """Create the invited user with the invitation's role and this password; the link is used up.
    Raises LinkInvalid, ValidationError (the password validators; an account made meanwhile)."""
    link = link_get(purpose=Purpose.INVITATION, link_id=link_id)
    name = (name or "").strip()[:200]
    _check_password(password, User(email=link.email, name=name))
    try:
        with tenant_db.atomic():
            link = _take(Purpose.INVITATION, link.pk)
            if User.objects.filter(email__iexact=link.email).exists():
                raise ValidationError({"email": [f"{link.email} already has an account: log in instead."]})
            user = User(email=link.email, name=name, role=link.role)
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=link.role)])
            link.used_at = timezone.now()
            link.user = user
            link.save(update_fields=["used_at", "user"])
    except IntegrityError as exc:
        raise ValidationError({"email": [f"{link.email} already has an account: log in instead."]}) from exc
    audit_record(kind=Kind.INVITATION_ACCEPTED, outcome=Outcome.SUCCESS, request=request, user=user,
                 detail={"role": user.role, "invitation": str(link.pk), "invited_by": link.created_by})
    audit_record(kind=Kind.USER_CREATED, outcome=Outcome.SUCCESS, request=request, actor=link.created_by, user=user,
                 detail={"email": user.email, "role": user.role, "by": "invitation"})
    return user


def password_reset_complete(*, link_id, password: str, request: HttpRequest | None = None) -> User:
    """Set the user's new password; the link is used up and the user's tokens and other sessions
    stop working. Raises LinkInvalid, ValidationError (the password validators)."""
    link = link_get(purpose=Purpose.PASSWORD_RESET, link_id=link_id)
    user = link.user
    if user is None or not user.is_active:
        raise LinkInvalid()
    _check_password(password, user)
    with tenant_db.atomic():
        link = _take(Purpose.PASSWORD_RESET, link.pk)
        user = User.objects.select_for_update().get(pk=link.user_id)
        user.set_password(password)
        user.save(update_fields=["password"])
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        _tokens_end(user, "password_reset")
    entry = getattr(request, "tenant_entry", None) if request is not None else None
    tenant_public_id = entry.public_id if entry is not None else getattr(current_tenant(), "public_id", "")
    if tenant_public_id:  # the failed logins before the reset no longer hold the user back
        throttle.login_succeeded(tenant_public_id=tenant_public_id, email=user.email)
    audit_record(kind=Kind.PASSWORD_RESET_COMPLETED, outcome=Outcome.SUCCESS, request=request, user=user,
                 detail={"link": str(link.pk)})
    return user
