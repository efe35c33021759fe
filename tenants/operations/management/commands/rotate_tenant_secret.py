from accounts.tenant_secrets import tenant_secret_rotate
from tenants.operations.management.base import JsonCommand, tenant_from_option


class Command(JsonCommand):
    help = "Issue a new tenant secret (shown once) and expire the current ones now or after a grace period."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--tenant", required=True, help="Tenant ID (e.g. ACMEOIL-9K2P4H) or slug.")
        parser.add_argument("--grace-hours", type=float, default=0,
                            help="Keep the old secret(s) working this many hours (default: expire now).")
        parser.add_argument("--label", default="", help="Label of the new secret.")

    def handle(self, *args, **options):
        tenant = tenant_from_option(options["tenant"])
        secret = tenant_secret_rotate(
            tenant=tenant, grace_hours=options["grace_hours"], label=options["label"],
            actor="command:rotate_tenant_secret",
        )
        self.emit(options, {"secret": secret},
                  f"New secret for {tenant.public_id} (shown once, store it now): {secret}")
