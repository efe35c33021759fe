"""QuarantinedRecord, and the rows of earlier versions with dates or times outside the wire bounds
moved into it (wells.quarantine), so that every list of their wells reads again."""

from django.db import migrations, models


def quarantine(apps, schema_editor):
    from wells.quarantine import WELLS_TARGETS, out_of_bounds_quarantine

    out_of_bounds_quarantine(apps=apps, using=schema_editor.connection.alias, targets=WELLS_TARGETS)


class Migration(migrations.Migration):

    dependencies = [
        ('wells', '0002_field_note_is_merged'),
    ]

    operations = [
        migrations.CreateModel(
            name='QuarantinedRecord',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('model', models.CharField(help_text='Where the row was, e.g. "wells.WellReading".', max_length=60)),
                ('record_id', models.CharField(max_length=64)),
                ('well_id', models.UUIDField(blank=True, db_index=True, null=True)),
                ('field', models.CharField(max_length=60)),
                ('value', models.CharField(help_text='The value as the database wrote it, e.g. "0001-12-31 10:00:00+00 BC".', max_length=80)),
                ('action', models.CharField(choices=[('moved', 'Moved'), ('cleared', 'Cleared')], max_length=8)),
                ('data', models.JSONField(default=dict)),
                ('quarantined_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['-quarantined_at', 'id'],
            },
        ),
        migrations.RunPython(quarantine, migrations.RunPython.noop),
    ]
