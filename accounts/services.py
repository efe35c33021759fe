"""Users and roles in the current tenant schema, and password login."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.http import HttpRequest
from django.utils import timezone

from tenants import databases as tenant_db
from . import throttle
from .audit import Kind, Outcome, audit_record, client_address
from .models import Role, User
from tenants.directory import bump_generation

from .tokens import refresh_tokens_revoke_for_user


def _tokens_end(user: User, reason: str) -> None:
    """Stop every access token (version bump) and refresh token the user holds, in every process."""
    user.token_version += 1
    user.save(update_fields=["token_version"])
    refresh_tokens_revoke_for_user(user=user, reason=reason)
    bump_generation()


def user_create(
    *,
    email: str,
    password: str,
    role: str,
    name: str = "",
    actor: str = "",
    request: HttpRequest | None = None,
    check_password_strength: bool = True,
) -> User:
    """Create a tenant user with a role. Raises ValidationError with field messages."""
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    if role not in Role.values:
        errors["role"] = [f"Role must be one of {', '.join(Role.values)}."]
    if not password:
        errors["password"] = ["A password is required."]
    elif check_password_strength:
        try:
            password_validation.validate_password(password, User(email=email, name=name))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if "email" not in errors and User.objects.filter(email__iexact=email).exists():
        errors["email"] = ["A user with this email already exists in this tenant."]
    if errors:
        raise ValidationError(errors)
    try:
        with tenant_db.atomic():
            user = User(email=email, name=name.strip(), role=role)
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
    except IntegrityError as exc:
        raise ValidationError({"email": ["A user with this email already exists in this tenant."]}) from exc
    audit_record(
        kind=Kind.USER_CREATED, outcome=Outcome.SUCCESS, request=request, actor=actor, user=user,
        detail={"email": email, "role": role},
    )
    return user


def _refuse_removing_last_admin(user: User, action: str) -> None:
    """A tenant always keeps one active ADMIN, or nobody could manage its team and secrets."""
    if user.role != Role.ADMIN or not user.is_active:
        return
    if not User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk).exists():
        raise ValidationError({"role": [f"{user.email} is the last active ADMIN of this tenant: "
                                        f"make another user ADMIN before you {action} them."]})


def user_set_role(*, user: User, role: str, actor: str = "", request: HttpRequest | None = None) -> User:
    """Change a user's role; their tokens stop working (they log in again with the new role)."""
    if role not in Role.values:
        raise ValidationError({"role": [f"Role must be one of {', '.join(Role.values)}."]})
    if role == user.role:
        return user
    _refuse_removing_last_admin(user, "demote")
    previous = user.role
    with tenant_db.atomic():
        user.role = role
        user.save(update_fields=["role"])
        user.groups.set([Group.objects.get(name=role)])
        _tokens_end(user, "role_changed")
    audit_record(
        kind=Kind.ROLE_CHANGED, outcome=Outcome.SUCCESS, request=request, actor=actor, user=user,
        detail={"from": previous, "to": role},
    )
    return user


def user_deactivate(*, user: User, actor: str = "", request: HttpRequest | None = None) -> User:
    _refuse_removing_last_admin(user, "deactivate")
    with tenant_db.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        _tokens_end(user, "deactivated")
    audit_record(kind=Kind.USER_DEACTIVATED, outcome=Outcome.SUCCESS, request=request, actor=actor, user=user)
    return user


def user_reactivate(*, user: User, actor: str = "", request: HttpRequest | None = None) -> User:
    user.is_active = True
    user.save(update_fields=["is_active"])
    bump_generation()
    audit_record(kind=Kind.USER_REACTIVATED, outcome=Outcome.SUCCESS, request=request, actor=actor, user=user)
    return user


class LoginThrottled(Exception):
    def __init__(self, retry_after: int):
        super().__init__("too many failed logins")
        self.retry_after = retry_after


class LoginFailed(Exception):
    pass


def password_login(
    *, email: str, password: str, tenant_public_id: str, request: HttpRequest | None, channel: str
) -> User:
    """Check a tenant user's email and password, with throttling and an audit row either way.

    ``channel`` is "api" or "portal" (recorded in the audit row). Raises LoginThrottled or
    LoginFailed; the caller answers without saying whether the email exists.
    """
    email = (email or "").strip().lower()
    address = client_address(request)
    wait = throttle.login_is_throttled(tenant_public_id=tenant_public_id, email=email, address=address)
    if wait is not None:
        audit_record(
            kind=Kind.LOGIN_THROTTLED, outcome=Outcome.FAILURE, request=request, layer="password",
            actor=email, detail={"channel": channel},
        )
        raise LoginThrottled(wait)
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is None:
        User().set_password(password or "")  # same Argon2 work as a real check: no timing oracle
        ok = False
    else:
        ok = user.check_password(password or "") and user.is_active and bool(user.role)
    if not ok:
        throttle.login_failed(tenant_public_id=tenant_public_id, email=email, address=address)
        audit_record(
            kind=Kind.LOGIN_FAILED, outcome=Outcome.FAILURE, request=request, layer="password",
            actor=email, user=user, detail={"channel": channel},
        )
        raise LoginFailed()
    throttle.login_succeeded(tenant_public_id=tenant_public_id, email=email)
    # "Last login" on the team page counts a device's API login as well as the portal's.
    user.last_login = timezone.now()
    User.objects.filter(pk=user.pk).update(last_login=user.last_login)
    audit_record(
        kind=Kind.LOGIN_SUCCEEDED, outcome=Outcome.SUCCESS, request=request, user=user,
        detail={"channel": channel},
    )
    return user
