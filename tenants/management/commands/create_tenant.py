from tenants.management.base import JsonCommand
from tenants.models import Tenant
from tenants.services import tenant_create


class Command(JsonCommand):
    help = "Create a tenant with its schema, sub-domain, first device secret (shown once) and first ADMIN user."

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

    def handle(self, *args, **options):
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
        )
        tenant = created.tenant
        self.emit(
            options,
            {
                "tenantId": tenant.public_id,
                "slug": tenant.slug,
                "secret": created.secret,
                "adminUserId": str(created.admin_user.pk),
            },
            f"Created {tenant.name}: tenant ID {tenant.public_id}, portal {tenant.slug}.<base domain>, "
            f"admin {created.admin_user.email}.\nTenant secret (shown once, store it now): {created.secret}",
        )
