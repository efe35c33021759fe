import sys

from django.core.management.base import CommandError

from tenants.databases import masked
from tenants.operations.management.base import JsonCommand, tenant_from_option
from tenants.operations.moves import TenantMoveFailed, tenant_move


class Command(JsonCommand):
    help = ("Move a tenant's data from its schema to a database of its own (--to database --database-url URL) "
            "or back (--to schema). Writes answer 503 meanwhile; nothing switches unless every table's row "
            "count matches. The old copy is kept (a schema renamed <schema>_moved_<time>) unless --drop-source.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--tenant", required=True, help="Tenant ID or slug.")
        parser.add_argument("--to", required=True, type=str.lower, choices=["schema", "database"])
        parser.add_argument("--database-url", default="",
                            help="postgresql:// or mysql:// URL of the tenant's (empty) database; '-' reads it "
                                 "from standard input, which keeps the password out of the process list.")
        parser.add_argument("--drop-source", action="store_true", help="Drop the old copy once the move is done.")
        parser.add_argument("--wait-seconds", type=float, default=60.0,
                            help="How long to wait for sync batches being processed (default 60).")
        parser.add_argument("--settle-seconds", type=float, default=None,
                            help="Pause for requests under way to finish, after writes are refused and after the "
                                 "switch (default TENANT_MOVE_SETTLE_SECONDS, 2).")

    def handle(self, *args, **options):
        tenant = tenant_from_option(options["tenant"])
        url = options["database_url"]
        if url == "-":
            url = sys.stdin.readline().strip()
        progress = None
        if not options["json"]:
            self.stdout.write(f"Moving {tenant.name} ({tenant.public_id}) to {options['to'].upper()}"
                              + (f" at {masked(url)}" if url else "") + "; writes answer 503 until it is done.")
            progress = lambda table, rows: self.stdout.write(f"  {table}: {rows} rows")  # noqa: E731
        try:
            report = tenant_move(tenant=tenant, to=options["to"], database_url=url, actor="command:move_tenant",
                                 progress=progress, keep_source=not options["drop_source"],
                                 wait_seconds=options["wait_seconds"], settle_seconds=options["settle_seconds"])
        except TenantMoveFailed as exc:
            raise CommandError(exc.message) from exc
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        kept = (f"The old copy is kept at {report.source_kept_at}." if report.source_kept_at
                else "The old copy was dropped.")
        self.emit(options, report.as_dict(),
                  f"Moved {tenant.public_id} from {report.from_level} to {report.to_level}: "
                  f"{sum(report.tables.values())} rows in {len(report.tables)} tables, {report.seconds:.1f}s. {kept}")
