from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from accounts.models import User
from tenants.operations.management.base import JsonCommand, tenant_from_option
from wells.services import wells_assign


class Command(JsonCommand):
    help = "Put wells on an OPERATOR's route (with --replace: make the route exactly these wells)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--tenant", required=True, help="Tenant ID (e.g. ACMEOIL-9K2P4H) or slug.")
        parser.add_argument("--user", required=True, help="The OPERATOR's email.")
        parser.add_argument("--wells", required=True,
                            help="Well ids separated by commas (may be empty with --replace, to clear the route).")
        parser.add_argument("--replace", action="store_true",
                            help="Take every other well off the route (default: add to it).")

    def handle(self, *args, **options):
        tenant = tenant_from_option(options["tenant"])
        well_ids = list(dict.fromkeys(part.strip() for part in options["wells"].split(",") if part.strip()))
        if not well_ids and not options["replace"]:
            raise CommandError("Name at least one well with --wells (or use --replace to clear the route).")
        with schema_context(tenant.schema_name):
            user = User.objects.filter(email__iexact=options["user"].strip()).first()
            if user is None:
                raise CommandError(f"No user with email {options['user']!r} in tenant {tenant.public_id}.")
            assigned = wells_assign(user=user, well_ids=well_ids, replace=options["replace"])
        self.emit(options, {"userId": str(user.pk), "assigned": assigned},
                  f"{user.email} has {assigned} well(s) on their route in {tenant.public_id}.")
