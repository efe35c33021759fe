"""The staff admin's pages about one tenant, beyond the ModelAdmin list and change form:
provisioning, suspension, soft delete, device secrets, the security audit log and the tenant's
users. Every change goes through a service (tenants.operations.provisioning, accounts.services,
accounts.tenant_secrets) with the staff user's email as actor; the tenant's own rows are read and written in its schema.

A new secret is kept in the staff session only until the next page (the result page) takes it
out, so it is shown once, survives no reload and never goes into a message, a log or a LogEntry.

A tenant database URL (isolation level DATABASE) is write-only here, like an ETL source's: typed
into a password input, carried encrypted between the buttons of one form, stored encrypted, and
shown back only masked (password as •••).

One module per page family: lifecycle, secrets, users (and the audit log), leases (and tanks), database, etl; the
forms in forms.py, the shared helpers in base.py.
"""

from __future__ import annotations

from django.urls import path

from .base import REVEAL_SESSION_KEY
from .database import TenantDatabasePages
from .etl import TenantEtlPages
from .forms import TIME_ZONE_CHOICES
from .leases import LeasePages
from .lifecycle import LifecyclePages
from .secrets import SecretPages
from .users import UserAndAuditPages

__all__ = ["REVEAL_SESSION_KEY", "TIME_ZONE_CHOICES", "TenantDatabasePages", "TenantEtlPages", "TenantStaffPages"]


class TenantStaffPages(LifecyclePages, SecretPages, UserAndAuditPages, LeasePages):
    """Mixed into the Tenant ModelAdmin; ``staff_page_urls`` gives its extra URLs."""

    def staff_page_urls(self) -> list:
        pages = [
            ("secret-shown/", self.secret_shown_view, "secret_shown"),
            ("suspend/", self.suspend_view, "suspend"),
            ("reactivate/", self.reactivate_view, "reactivate"),
            ("soft-delete/", self.soft_delete_view, "soft_delete"),
            ("secrets/", self.secrets_view, "secrets"),
            ("secrets/rotate/", self.secret_rotate_view, "secret_rotate"),
            ("secrets/add/", self.secret_issue_view, "secret_issue"),
            ("secrets/<uuid:secret_id>/expire/", self.secret_expire_view, "secret_expire"),
            ("audit/", self.audit_view, "audit"),
            ("users/", self.users_view, "users"),
            ("users/add/", self.user_create_view, "user_create"),
            ("users/<uuid:user_id>/role/", self.user_role_view, "user_role"),
            ("users/<uuid:user_id>/deactivate/", self.user_deactivate_view, "user_deactivate"),
            ("users/<uuid:user_id>/reactivate/", self.user_reactivate_view, "user_reactivate"),
            ("leases/", self.leases_view, "leases"),
            ("tanks/<uuid:tank_id>/strapping/", self.tank_strapping_view, "tank_strapping"),
        ]
        return [
            path(f"<uuid:tenant_id>/{route}", self.admin_site.admin_view(view), name=self._url_name(name))
            for route, view, name in pages
        ]

