"""Seed the demo operator (idempotent): a tenant, one user per role, a device secret, a staff login.

Passwords and the secret are generated on the first run and kept, for this machine's developer
only, in the git-ignored data folder (``.pumpjack/demo-credentials.json``, mode 0600), so every
``make run`` can print them. Anything that no longer verifies (file lost, password changed, secret
rotated) is re-issued; nothing is ever hard-coded or committed.
"""

from __future__ import annotations

import json
import os
import secrets as random_source
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django_tenants.utils import schema_context

from accounts.models import Role, User
from accounts.services import user_create
from accounts.tenant_secrets import tenant_secret_issue
from config import embedded
from tenants.directory import bump_generation
from tenants.models import Domain, Tenant, TenantSecret
from tenants.operations.management.base import JsonCommand
from tenants.operations.provisioning import tenant_create
from tenants.secrets import secret_matches

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Operating Co"
DEMO_USERS = [
    ("admin@demo.pumpjack.test", Role.ADMIN, "Avery Admin"),
    ("manager@demo.pumpjack.test", Role.MANAGER, "Morgan Manager"),
    ("operator@demo.pumpjack.test", Role.OPERATOR, "Parker Pumper"),
]
STAFF_EMAIL = "staff@pumpjack.test"


def _credentials_path() -> Path:
    override = os.environ.get("PUMPJACK_DEMO_CREDENTIALS")
    return Path(override) if override else embedded.data_dir() / "demo-credentials.json"


def _database_key() -> str:
    """Credentials belong to one database: switching DATABASE_URL must not clobber another's."""
    db = settings.DATABASES["default"]
    return f"{db.get('USER', '')}@{db.get('HOST', '')}:{db.get('PORT', '')}/{db['NAME']}"


def _load_all() -> dict:
    try:
        data = json.loads(_credentials_path().read_text())
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: value for key, value in data.items() if isinstance(value, dict) and "passwords" in value}


def _load() -> dict:
    return _load_all().get(_database_key(), {})


def _store(data: dict) -> None:
    path = _credentials_path()
    everything = _load_all()
    everything[_database_key()] = data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(everything, handle, indent=2)
    os.chmod(path, 0o600)


def _new_password() -> str:
    return "pj-" + random_source.token_urlsafe(12)


class Command(JsonCommand):
    help = "Create or refresh the demo tenant, its users (one per role), a device secret and a staff login."

    def handle(self, *args, **options):
        stored = _load()
        passwords: dict[str, str] = dict(stored.get("passwords", {}))
        tenant = Tenant.objects.filter(slug=DEMO_SLUG, deleted_at__isnull=True).first()
        secret = stored.get("secret")
        if tenant is None:
            admin_email, _, admin_name = DEMO_USERS[0]
            passwords[admin_email] = _new_password()
            created = tenant_create(
                name=DEMO_NAME, slug=DEMO_SLUG, admin_email=admin_email, admin_password=passwords[admin_email],
                admin_name=admin_name, tier=Tenant.Tier.PROFESSIONAL, actor="seed_demo",
            )
            tenant, secret = created.tenant, created.secret
        elif not self._secret_still_valid(tenant, secret):
            secret = tenant_secret_issue(tenant=tenant, label="demo (seed_demo)", actor="seed_demo")

        # The portal answers at <slug>.<BASE_DOMAIN>, whatever base domain this run uses.
        _, domain_added = Domain.objects.get_or_create(
            domain=f"{tenant.slug}.{settings.BASE_DOMAIN}", defaults={"tenant": tenant, "is_primary": False}
        )
        if domain_added:
            bump_generation()
        with schema_context(tenant.schema_name):
            for email, role, name in DEMO_USERS:
                passwords[email] = self._ensure_user(email, role, name, passwords.get(email))
        passwords[STAFF_EMAIL] = self._ensure_staff(passwords.get(STAFF_EMAIL))
        self._extend(tenant)
        _store({"tenantId": tenant.public_id, "secret": secret, "passwords": passwords})

        port = os.environ.get("PORT", "8000")
        portal = f"http://{tenant.slug}.{settings.BASE_DOMAIN}:{port}"
        payload = {
            "tenants": [{
                "tenantId": tenant.public_id,
                "slug": tenant.slug,
                "name": tenant.name,
                "portalUrl": portal,
                "secret": secret,
                "users": [{"email": e, "role": r, "password": passwords[e]} for e, r, _ in DEMO_USERS],
            }],
            "staff": {"email": STAFF_EMAIL, "password": passwords[STAFF_EMAIL],
                      "adminUrl": f"http://{settings.BASE_DOMAIN}:{port}/admin/"},
        }
        lines = [f"Demo tenant {tenant.name}: {tenant.public_id} at {portal}", f"  tenant secret: {secret}"]
        lines += [f"  {r:<8} {e} / {passwords[e]}" for e, r, _ in DEMO_USERS]
        lines.append(f"Staff admin {payload['staff']['adminUrl']}: {STAFF_EMAIL} / {passwords[STAFF_EMAIL]}")
        self.emit(options, payload, "\n".join(lines))

    def _extend(self, tenant: Tenant) -> None:
        """Hook for other apps' demo data (wells, production) once they exist."""
        from wells.demo import demo_data_seed
        from wells.lease_demo import lease_demo_seed

        demo_data_seed(tenant=tenant)  # does nothing when the demo wells exist
        lease_demo_seed(tenant=tenant)  # leases, tanks, gauges; does nothing when the demo leases exist

    @staticmethod
    def _secret_still_valid(tenant: Tenant, secret: str | None) -> bool:
        if not secret:
            return False
        from django.utils import timezone

        now = timezone.now()
        return any(
            secret_matches(s.secret_hash, secret)
            for s in TenantSecret.objects.filter(tenant=tenant)
            if s.expires_at is None or s.expires_at > now
        )

    @staticmethod
    def _ensure_user(email: str, role: str, name: str, password: str | None) -> str:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            password = password or _new_password()
            user_create(email=email, password=password, role=role, name=name, actor="seed_demo")
            return password
        if password and user.is_active and user.role == role and user.check_password(password):
            return password
        from accounts.services import user_reactivate, user_set_role

        password = _new_password()
        user.set_password(password)
        user.save(update_fields=["password"])
        if user.role != role:
            user_set_role(user=user, role=role, actor="seed_demo")
        if not user.is_active:
            user_reactivate(user=user, actor="seed_demo")
        return password

    @staticmethod
    def _ensure_staff(password: str | None) -> str:
        user = User.objects.filter(email__iexact=STAFF_EMAIL).first()
        if user is not None and password and check_password(password, user.password) and user.is_staff:
            return password
        password = _new_password()
        if user is None:
            User.objects.create_superuser(STAFF_EMAIL, password, name="Pumpjack Staff")
        else:
            user.set_password(password)
            user.is_staff = user.is_superuser = user.is_active = True
            user.save()
        return password
