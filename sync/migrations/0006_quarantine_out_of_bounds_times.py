"""Sync events of earlier versions with an occurredAt outside the wire bounds: the value is kept in
wells.QuarantinedRecord and cleared, so that the event log and the conflicts page read again."""

from django.db import migrations


def quarantine(apps, schema_editor):
    from wells.quarantine import SYNC_TARGETS, out_of_bounds_quarantine

    out_of_bounds_quarantine(apps=apps, using=schema_editor.connection.alias, targets=SYNC_TARGETS)


class Migration(migrations.Migration):

    dependencies = [
        ("sync", "0005_etl_sources"),
        ("wells", "0003_quarantined_records"),
    ]

    operations = [migrations.RunPython(quarantine, migrations.RunPython.noop)]
