from django.core.management.base import CommandError

from tenants.databases import TenantDatabaseError, database_url_masked
from tenants.models import Tenant
from tenants.operations.management.base import JsonCommand, url_from_options
from tenants.operations.provisioning import tenant_create


class Command(JsonCommand):
    help = ("Create a tenant with its schema (or, given a database URL, its own database), sub-domain, "
            "first device secret (shown once) and first ADMIN user.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--name", required=True, help='Company name, e.g. "Acme Oil & Gas".')
        parser.add_argument("--slug", required=True, help="Sub-domain label, e.g. acme.")
        parser.add_argument("--timezone", default="America/Chicago", help="IANA time zone for 'day' rules.")
        parser.add_argument("--tier", default=Tenant.Tier.STARTER, choices=Tenant.Tier.values)
        parser.add_argument("--trial", action="store_true", help="Create the tenant in TRIAL status.")
        parser.add_argument("--region", default="")
        parser.add_argument("--provider", default="")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", required=True)
        parser.add_argument("--admin-name", default="")
        database = parser.add_mutually_exclusive_group()
        database.add_argument(
            "--database-url", default="", metavar="URL",
            help="Give the tenant a database of its own (isolation level DATABASE): postgresql://, mysql:// "
                 "(MariaDB too) or mssql:// URL of an empty database its user may create tables in.")
        database.add_argument(
            "--database-url-env", default="", metavar="VAR",
            help="Like --database-url, with the URL read from this environment variable (keeps the password "
                 "off the command line).")

    def handle(self, *args, **options):
        database_url = url_from_options(url=options["database_url"], env_name=options["database_url_env"])
        try:
            created = tenant_create(
                name=options["name"],
                slug=options["slug"],
                time_zone=options["timezone"],
                tier=options["tier"],
                status=Tenant.Status.TRIAL if options["trial"] else Tenant.Status.ACTIVE,
                region=options["region"],
                provider=options["provider"],
                admin_email=options["admin_email"],
                admin_password=options["admin_password"],
                admin_name=options["admin_name"],
                actor="command:create_tenant",
                database_url=database_url,
            )
        except TenantDatabaseError as exc:  # its message never holds the password
            raise CommandError(exc.message) from None
        tenant = created.tenant
        where = (f"its own database {database_url_masked(tenant)}" if tenant.has_own_database
                 else f"schema {tenant.schema_name}")
        self.emit(
            options,
            {
                "tenantId": tenant.public_id,
                "slug": tenant.slug,
                "secret": created.secret,
                "adminUserId": str(created.admin_user.pk),
                "isolation": tenant.isolation,
            },
            f"Created {tenant.name}: tenant ID {tenant.public_id}, portal {tenant.slug}.<base domain>, "
            f"data in {where}, admin {created.admin_user.email}.\n"
            f"Tenant secret (shown once, store it now): {created.secret}",
        )
