"""Check a tenant database URL, or a DATABASE tenant's stored one: can Pumpjack connect, log in,
find the database and create tables in it? The answer names the problem, never the password."""

from __future__ import annotations

from django.core.management.base import CommandError

from config.crypto import DecryptionFailed, decrypt
from tenants.operations.management.base import JsonCommand, tenant_from_option, url_from_options
from tenants.operations.own_database import connection_check


class Command(JsonCommand):
    help = ("Test a tenant database: connect, log in, and check that the user may create tables. "
            "Exits non-zero when the check fails.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--url", metavar="URL", help="postgresql://, mysql:// (MariaDB too) or mssql:// URL.")
        source.add_argument("--url-env", metavar="VAR", help="Read the URL from this environment variable.")
        source.add_argument("--url-stdin", action="store_true", help="Read the URL from the first line of stdin.")
        source.add_argument("--tenant", metavar="ID", help="Check the stored database of this tenant (ID or slug).")

    def handle(self, *args, **options):
        if options["tenant"]:
            tenant = tenant_from_option(options["tenant"])
            if not tenant.has_own_database:
                raise CommandError(f"Tenant {tenant.public_id} lives in schema {tenant.schema_name} of the shared "
                                   "database; it has no database of its own to check.")
            try:
                url = decrypt(tenant.database_url)
            except DecryptionFailed:
                raise CommandError(f"The database URL of tenant {tenant.public_id} cannot be decrypted with "
                                   "PUMPJACK_ENCRYPTION_KEY.") from None
        else:
            url = url_from_options(url=options["url"], env_name=options["url_env"], stdin=options["url_stdin"])
            if not url:
                raise CommandError("Give a database URL.")
        report = connection_check(url)
        if options.get("json"):
            self.emit(options, report.as_dict(), "")
        elif report.ok:
            version = f" (server version {report.server_version})" if report.server_version else ""
            self.stdout.write(f"OK: {report.message}{version}")
        if not report.ok:
            raise CommandError(f"{report.kind}: {report.message}")
