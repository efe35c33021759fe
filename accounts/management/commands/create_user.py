from django_tenants.utils import schema_context

from accounts.models import Role
from accounts.services import user_create
from tenants.operations.management.base import JsonCommand, tenant_from_option


class Command(JsonCommand):
    help = "Create a user in a tenant with a role."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--tenant", required=True, help="Tenant ID (e.g. ACMEOIL-9K2P4H) or slug.")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="")

    def handle(self, *args, **options):
        tenant = tenant_from_option(options["tenant"])
        with schema_context(tenant.schema_name):
            user = user_create(
                email=options["email"], password=options["password"], role=options["role"],
                name=options["name"], actor="command:create_user",
            )
        self.emit(options, {"userId": str(user.pk)}, f"Created {user.email} ({user.role}) in {tenant.public_id}.")
