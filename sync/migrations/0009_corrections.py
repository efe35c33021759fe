# Corrections (API.md section 6): correctsEventId on the event log, and their audit.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sync', '0008_change_log_xid'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='syncevent',
            name='corrects_event_id',
            field=models.UUIDField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name='syncevent',
            name='waiting_since',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name='Correction',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('corrected_event_id', models.UUIDField(db_index=True)),
                ('root_event_id', models.UUIDField(db_index=True)),
                ('event_type', models.CharField(max_length=40)),
                ('well_id', models.UUIDField(blank=True, null=True)),
                ('old_values', models.JSONField(blank=True, default=dict)),
                ('new_values', models.JSONField(blank=True, default=dict)),
                ('old_record_id', models.UUIDField(blank=True, db_index=True, null=True)),
                ('new_record_id', models.UUIDField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('conflict', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                               related_name='+', to='sync.conflict')),
                ('corrected_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                   related_name='+', to=settings.AUTH_USER_MODEL)),
                ('event', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                               related_name='correction', to='sync.syncevent')),
            ],
            options={'ordering': ['id']},
        ),
    ]
