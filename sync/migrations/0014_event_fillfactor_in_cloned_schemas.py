"""Migration 0012 set sync_syncevent's fillfactor to 50 (room on each page for the outcome's HOT
update), but a tenant schema cloned from the template afterwards did not get it: django-tenants'
clone copies tables without their storage parameters (now copied: tenants.operations.schemas.
schema_clone). Set again here, which changes nothing where it is already set."""

from django.db import migrations


def half_pages_free(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE sync_syncevent SET (fillfactor = 50)")


class Migration(migrations.Migration):

    dependencies = [
        ('sync', '0013_change_log_moves_to_changelog'),
    ]

    operations = [
        migrations.RunPython(half_pages_free, migrations.RunPython.noop),
    ]
