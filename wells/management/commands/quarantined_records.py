from django.apps import apps
from django.db import router
from django_tenants.utils import schema_context

from tenants.operations.management.base import JsonCommand, tenant_from_option
from wells.models import QuarantinedRecord
from wells.quarantine import out_of_bounds_quarantine


class Command(JsonCommand):
    help = ("List the rows moved out of the way because a date or time lay outside the wire bounds "
            "(wells.quarantine); with --scan, look for more first.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--tenant", required=True, help="Tenant ID (e.g. ACMEOIL-9K2P4H) or slug.")
        parser.add_argument("--scan", action="store_true",
                            help="Quarantine rows outside the bounds first (the upgrade's migrations did it once).")

    def handle(self, *args, **options):
        tenant = tenant_from_option(options["tenant"])
        with schema_context(tenant.schema_name):
            moved = 0
            if options["scan"]:
                moved = out_of_bounds_quarantine(apps=apps, using=router.db_for_write(QuarantinedRecord))
            rows = [{"model": r.model, "recordId": r.record_id, "wellId": str(r.well_id) if r.well_id else None,
                     "field": r.field, "value": r.value, "action": r.action,
                     "quarantinedAt": r.quarantined_at.isoformat()}
                    for r in QuarantinedRecord.objects.all()]
        lines = [f"{len(rows)} quarantined row(s) in {tenant.public_id}"
                 + (f" ({moved} found by this scan)" if options["scan"] else "") + "."]
        lines += [f"  {r['quarantinedAt'][:19]}  {r['model']} {r['recordId']} {r['field']}={r['value']!r} "
                  f"({r['action']}; well {r['wellId'] or '-'})" for r in rows]
        self.emit(options, {"tenantId": tenant.public_id, "scanned": options["scan"], "found": moved,
                            "records": rows}, "\n".join(lines))
