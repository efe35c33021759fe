"""The change log's models move here from the sync app (issue 13: below both wells and sync).

State only: the tables stay where sync's migrations 0003 to 0011 made them (``sync_change``,
``sync_changeretention``: ``db_table``), with their rows, indexes and the ``xid`` default. Nothing
is created, copied or dropped, in a tenant schema or a tenant's own database; sync 0012 takes the
models out of the sync app's state after this one."""

import wells.changelog.models
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('sync', '0011_alert_entity'),
    ]

    state_operations = [
        migrations.CreateModel(
            name='Change',
            fields=[
                ('seq', models.BigAutoField(primary_key=True, serialize=False)),
                ('entity', models.CharField(choices=[('well', 'Well'), ('equipment', 'Equipment'), ('conflict', 'Conflict'), ('assignment', 'Assignment'), ('lease', 'Lease'), ('tank', 'Tank'), ('alert', 'Alert')], max_length=12)),
                ('entity_id', models.UUIDField()),
                ('op', models.CharField(choices=[('upsert', 'Upsert'), ('delete', 'Delete')], max_length=8)),
                ('well_id', models.UUIDField(db_index=True)),
                ('user_id', models.UUIDField(blank=True, help_text='For assignments: the operator whose route changed.', null=True)),
                ('version', models.PositiveIntegerField(default=1)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('xid', models.BigIntegerField(blank=True, db_default=wells.changelog.models.CurrentTransactionId(), db_index=True, help_text='PostgreSQL: the id of the transaction that wrote the row.', null=True)),
                ('commit_seq', models.BigIntegerField(blank=True, db_index=True, help_text="MySQL/MariaDB: the row's place in commit order (null: not yet stamped; readers stamp committed rows).", null=True)),
            ],
            options={
                'db_table': 'sync_change',
            },
        ),
        migrations.CreateModel(
            name='ChangeRetention',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('pruned_through', models.BigIntegerField(default=0)),
                ('pruned_xid', models.BigIntegerField(default=0)),
                ('pruned_commit_seq', models.BigIntegerField(default=0)),
                ('stamped_through', models.BigIntegerField(default=0)),
            ],
            options={
                'db_table': 'sync_changeretention',
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[]),
    ]
