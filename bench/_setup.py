"""Shared set-up for the benchmarks: Django on the development database (embedded unless
DATABASE_URL is set), DEBUG off, and a dedicated benchmark tenant created once."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")
os.environ["DJANGO_DEBUG"] = "0"  # no query log, as in production

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

# The development database may be behind the code (a pull since the last `make run`).
call_command("migrate_schemas", "--noinput", verbosity=0)

BENCH_PASSWORD = "Bench-Password-For-Local-Use-1"


def bench_tenant(slug: str, name: str, *, fresh: bool = False):
    """Return (tenant, secret) for a benchmark tenant, creating it or re-issuing a secret.
    ``fresh``: a tenant left by an earlier run is dropped first (its schema too), so that the
    run's figures do not depend on how many runs came before it."""
    from tenants.models import Tenant
    from accounts.tenant_secrets import tenant_secret_rotate
    from tenants.operations.provisioning import tenant_create

    if fresh:
        for old in Tenant.objects.filter(slug=slug):
            old.delete(force_drop=True)
    tenant = Tenant.objects.filter(slug=slug, deleted_at__isnull=True).first()
    if tenant is None:
        created = tenant_create(name=name, slug=slug, admin_email=f"admin@{slug}.bench",
                                admin_password=BENCH_PASSWORD)
        return created.tenant, created.secret
    return tenant, tenant_secret_rotate(tenant=tenant, actor="bench", label="bench")
