"""Users, refresh tokens and the security audit log.

These tables exist in every tenant schema (the tenant's own users) and in the public schema
(Pumpjack staff for the Django admin, and audit rows for requests that named no known tenant).
"""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    OPERATOR = "OPERATOR"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    # Used by ``createsuperuser`` for Pumpjack staff in the public schema; tenant users are
    # created by accounts.services.user_create, which also gives them their role.
    def create_superuser(self, email, password=None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), is_staff=True, is_superuser=True, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True, default="")
    # The role is also the user's only group (which carries its permissions); the copy here
    # spares the token and /me paths a join on every request. services.user_set_role keeps both.
    role = models.CharField(max_length=16, choices=Role.choices, blank=True, default="")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Pumpjack staff: may use the Django admin.")
    # Bumped whenever the user's tokens must stop working (deactivation, role change).
    token_version = models.PositiveIntegerField(default=0)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        permissions = [
            ("manage_team", "Can manage the tenant's team (users, roles, routes)"),
            ("manage_secrets", "Can issue, rotate and expire tenant secrets"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["", "ADMIN", "MANAGER", "OPERATOR"]), name="user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email


class RefreshToken(models.Model):
    """One issued refresh token. Rotation marks it used and issues the next one in its family;
    presenting a used token again revokes the whole family (the token was stolen or replayed)."""

    jti = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    family = models.UUIDField(db_index=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True, default="")
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"]), models.Index(fields=["expires_at"])]


class SecurityEvent(models.Model):
    """The security audit log: logins, failures per layer, secret rotations, role changes."""

    class Kind(models.TextChoices):
        LOGIN_SUCCEEDED = "LOGIN_SUCCEEDED"
        LOGIN_FAILED = "LOGIN_FAILED"
        LOGIN_THROTTLED = "LOGIN_THROTTLED"
        LOGOUT = "LOGOUT"
        TENANT_ID_REJECTED = "TENANT_ID_REJECTED"
        TENANT_SECRET_REJECTED = "TENANT_SECRET_REJECTED"
        TOKEN_REJECTED = "TOKEN_REJECTED"
        REFRESH_REUSED = "REFRESH_REUSED"
        SECRET_ISSUED = "SECRET_ISSUED"
        SECRET_ROTATED = "SECRET_ROTATED"
        SECRET_EXPIRED = "SECRET_EXPIRED"
        USER_CREATED = "USER_CREATED"
        ROLE_CHANGED = "ROLE_CHANGED"
        USER_DEACTIVATED = "USER_DEACTIVATED"
        USER_REACTIVATED = "USER_REACTIVATED"
        TENANT_SUSPENDED = "TENANT_SUSPENDED"
        TENANT_REACTIVATED = "TENANT_REACTIVATED"
        TENANT_DELETED = "TENANT_DELETED"
        TENANT_MOVED = "TENANT_MOVED"
        CONFLICT_RESOLVED = "CONFLICT_RESOLVED"
        INVITATION_SENT = "INVITATION_SENT"
        INVITATION_REVOKED = "INVITATION_REVOKED"
        INVITATION_ACCEPTED = "INVITATION_ACCEPTED"
        PASSWORD_RESET_REQUESTED = "PASSWORD_RESET_REQUESTED"
        PASSWORD_RESET_COMPLETED = "PASSWORD_RESET_COMPLETED"
        ACCOUNT_LINK_REFUSED = "ACCOUNT_LINK_REFUSED"

    class Outcome(models.TextChoices):
        SUCCESS = "SUCCESS"
        FAILURE = "FAILURE"

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    # Which credential layer failed (1 tenant ID, 2 tenant secret, 3 token, "password", "session").
    layer = models.CharField(max_length=16, blank=True, default="")
    tenant_public_id = models.CharField(max_length=32, blank=True, default="")
    actor = models.CharField(max_length=254, blank=True, default="", help_text="Email or staff user who acted.")
    user_id = models.UUIDField(null=True, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.outcome}"


class AccountLink(models.Model):
    """A one-time link sent by e-mail: an invitation (the invitee sets a password and becomes a
    user with ``role``) or a password reset (``user`` sets a new password). Only a SHA-256 hash of
    the link's token is kept; the token itself is in the e-mail alone. Single use (``used_at``),
    valid until ``expires_at``, revocable (``revoked_at``)."""

    class Purpose(models.TextChoices):
        INVITATION = "INVITATION"
        PASSWORD_RESET = "PASSWORD_RESET"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, blank=True, default="")
    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=254, blank=True, default="")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["purpose", "used_at", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.email}"

    def is_usable_at(self, moment) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > moment
