"""Settings of the "bare" server of bench/wells_api.py: the same settings as development, minus
tenant resolution and authentication (the bare views use no credentials at all)."""

from config.settings.development import *  # noqa: F403

MIDDLEWARE = [m for m in MIDDLEWARE if m not in (  # noqa: F405
    "accounts.middleware.TenantRejectionAuditMiddleware",
    "tenants.middleware.TenantResolutionMiddleware",
    "accounts.middleware.SessionTenantBindingMiddleware",
)] + ["bench.bare_urls.FixedSchemaMiddleware"]
ROOT_URLCONF = "bench.bare_urls"
