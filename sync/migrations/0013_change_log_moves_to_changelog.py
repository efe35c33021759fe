"""The change log's models leave the sync app for ``wells.changelog`` (its migration 0001 takes
them over). State only: the tables ``sync_change`` and ``sync_changeretention`` and their rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sync', '0012_event_updates_in_place'),
        ('changelog', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Change'),
                migrations.DeleteModel(name='ChangeRetention'),
            ],
            database_operations=[],
        ),
    ]
