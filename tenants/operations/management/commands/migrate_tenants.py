"""Migrate one tenant or all of them, whatever their isolation level, one progress line each.

Schema tenants: those whose schema already has every migration are skipped (one small query
each); the others run django-tenants' migrate one after the other, on the shared server.
DATABASE tenants: their own databases are migrated in parallel (``--parallel`` at a time).
One failing tenant does not stop the others; the command exits non-zero if any failed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError

from tenants.models import Tenant
from tenants.operations.management.base import JsonCommand, tenant_from_option
from tenants.operations.migrate import outcome_line, schema_migrate, tenants_migrate


class Command(JsonCommand):
    help = ("Apply pending migrations to one tenant or to every tenant (schemas and own databases), "
            "skipping those already up to date, with a progress line per tenant.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--tenant", metavar="ID", help="Only this tenant (ID or slug). Default: every tenant.")
        parser.add_argument("--parallel", type=int, default=None, metavar="N",
                            help="Tenant databases migrated at once (default: TENANT_MIGRATE_PARALLEL, "
                                 f"{settings.TENANT_MIGRATE_PARALLEL}). Schemas are migrated one at a time.")

    def handle(self, *args, **options):
        parallel = options["parallel"] or settings.TENANT_MIGRATE_PARALLEL
        if parallel < 1:
            raise CommandError("--parallel must be at least 1.")
        # With --json the one JSON object owns stdout; progress lines go to stderr.
        stream = self.stderr if options.get("json") else self.stdout
        if options["tenant"]:
            tenants = [tenant_from_option(options["tenant"])]
        else:
            tenants = list(Tenant.objects.filter(deleted_at__isnull=True)
                           .exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).order_by("name"))
            self._template_migrate(stream)

        def progress(done, total, outcome):
            line = outcome_line(done, total, outcome)
            if outcome.error:
                stream.write(line, style_func=self.style.ERROR)
            else:
                stream.write(line)

        outcomes = tenants_migrate(tenants, parallel=parallel, progress=progress)
        migrated = [o for o in outcomes if o.applied and not o.error]
        failed = [o for o in outcomes if o.error]
        summary = {
            "tenants": len(outcomes),
            "migrated": [{"tenantId": o.tenant.public_id, "isolation": o.tenant.isolation, "applied": o.applied}
                         for o in migrated],
            "upToDate": sum(1 for o in outcomes if not o.applied and not o.error),
            "failed": [{"tenantId": o.tenant.public_id, "error": o.error} for o in failed],
        }
        self.emit(options, summary, f"{len(outcomes)} tenant{'' if len(outcomes) == 1 else 's'}: "
                                    f"{len(migrated)} migrated, {summary['upToDate']} up to date, "
                                    f"{len(failed)} failed.")
        if failed:
            raise CommandError(f"{len(failed)} tenant(s) could not be migrated: "
                               + ", ".join(o.tenant.public_id for o in failed))

    def _template_migrate(self, stream) -> None:
        """New schema tenants are cloned from the template schema: keep it migrated too."""
        from tenants.operations.schemas import template_schema_ensure

        template_schema_ensure()
        applied = schema_migrate(settings.TENANT_BASE_SCHEMA)
        if applied:
            stream.write(f"Template schema {settings.TENANT_BASE_SCHEMA}: {applied} migration"
                         f"{'' if applied == 1 else 's'} applied")
