"""The tenant registry (public schema): tenants, their domains and their device secrets."""

import uuid
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

PUBLIC_ID_REGEX = r"^[A-Z]{1,8}-[A-Z0-9]{6}$"
SLUG_REGEX = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. America/Chicago).")


class Tenant(TenantMixin):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE"
        TRIAL = "TRIAL"
        SUSPENDED = "SUSPENDED"
        MIGRATING = "MIGRATING"

    class Tier(models.TextChoices):
        STARTER = "STARTER"
        PROFESSIONAL = "PROFESSIONAL"
        ENTERPRISE = "ENTERPRISE"

    class IsolationLevel(models.TextChoices):
        SCHEMA = "SCHEMA"
        DATABASE = "DATABASE"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    public_id = models.CharField(
        "tenant ID", max_length=15, unique=True, validators=[RegexValidator(PUBLIC_ID_REGEX)],
        help_text="Public identifier sent by devices in X-Tenant-ID, e.g. PERMIAN-7M3N8K.",
    )
    slug = models.CharField(
        max_length=32, unique=True, validators=[RegexValidator(SLUG_REGEX)],
        help_text="Sub-domain of the portal: <slug>.<base domain>.",
    )
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.STARTER)
    isolation = models.CharField(max_length=16, choices=IsolationLevel.choices, default=IsolationLevel.SCHEMA)
    # DATABASE tenants: the connection URL of their own database, Fernet-encrypted with
    # PUMPJACK_ENCRYPTION_KEY (tenants.databases); never shown back in full.
    database_url = models.TextField(blank=True, default="", editable=False)
    feature_flags = models.JSONField(default=dict, blank=True)
    region = models.CharField(max_length=64, blank=True, default="")
    provider = models.CharField(max_length=64, blank=True, default="")
    time_zone = models.CharField(max_length=64, default="America/Chicago", validators=[validate_time_zone])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Soft delete: set, the tenant is gone.")

    # Schemas are created by tenants.operations.provisioning (cloned from the template), not on save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["ACTIVE", "TRIAL", "SUSPENDED", "MIGRATING"]),
                name="tenant_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(tier__in=["STARTER", "PROFESSIONAL", "ENTERPRISE"]), name="tenant_tier_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(isolation="SCHEMA", database_url="")
                | (models.Q(isolation="DATABASE") & ~models.Q(database_url="")),
                name="tenant_database_url_iff_database_isolation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"

    @property
    def has_own_database(self) -> bool:
        return self.isolation == self.IsolationLevel.DATABASE

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class TenantSecret(models.Model):
    """A device secret of a tenant. Only its Argon2 hash is stored; the secret is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="secrets")
    label = models.CharField(max_length=100)
    secret_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=200, blank=True, default="", help_text="Who issued it.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # When a request last presented it: written at most once per TENANT_SECRET_USE_RECORD_SECONDS
    # per secret (tenants.secrets.secret_use_note), so it is that precise and no more.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.label} ({self.tenant.public_id})"

    def is_active_at(self, moment) -> bool:
        return self.expires_at is None or self.expires_at > moment
