import sys
from pathlib import Path

from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from tenants.operations.management.base import JsonCommand, tenant_from_option
from wells.imports import KINDS, MAX_BYTES, ImportInvalid, import_run


def _errors_in_words(exc: ImportInvalid) -> str:
    lines = [exc.message]
    for where, problems in exc.details.items():
        if isinstance(problems, dict):
            for column, messages in problems.items():
                lines.append(f"  {where}, {column}: {' '.join(messages)}")
        else:
            lines.append(f"  {where}: {' '.join(problems)}")
    return "\n".join(lines)


class Command(JsonCommand):
    help = ("Import wells, equipment or tanks from a CSV file (API.md section 16, docs/imports.md): every row is "
            "checked first, then all are written in one transaction, or none. Prints created, updated, unchanged.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--tenant", required=True, help="Tenant ID (e.g. ACMEOIL-9K2P4H) or slug.")
        parser.add_argument("--kind", required=True, choices=list(KINDS), help="What the file holds.")
        parser.add_argument("file", help="The CSV file (UTF-8, header row of field names); - for standard input.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check every row and print what would be done; write nothing.")

    def handle(self, *args, **options):
        tenant = tenant_from_option(options["tenant"])
        raw = self._read(options["file"])
        with schema_context(tenant.schema_name):
            try:
                plan = import_run(kind=options["kind"], raw=raw, dry_run=options["dry_run"])
            except ImportInvalid as exc:
                raise CommandError(_errors_in_words(exc)) from None
        result = plan.result()
        self.emit(options, result, (
            f"{options['kind'].title()} in {tenant.public_id}: created {result['created']}, "
            f"updated {result['updated']}, unchanged {result['unchanged']}"
            + (" (dry run: nothing written)." if options["dry_run"] else ".")))

    @staticmethod
    def _read(name: str) -> bytes:
        if name == "-":
            raw = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"No such file: {name}")
            with path.open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise CommandError(f"An import file may be at most {MAX_BYTES:,} bytes (10 MiB).")
        return raw
