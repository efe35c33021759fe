"""A decided event no longer waits: ``waiting_since`` is cleared for the corrections decided before
processing cleared it at the decision, so that the waiting index holds only those still waiting."""

from django.db import migrations


def clear_decided(apps, schema_editor):
    SyncEvent = apps.get_model("sync", "SyncEvent")
    (SyncEvent.objects.using(schema_editor.connection.alias)
     .filter(waiting_since__isnull=False).exclude(outcome="PENDING").update(waiting_since=None))


class Migration(migrations.Migration):

    dependencies = [
        ('sync', '0017_event_device_and_user_checked_through_the_batch'),
    ]

    operations = [
        migrations.RunPython(clear_decided, migrations.RunPython.noop),
    ]
