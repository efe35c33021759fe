# ETL from a tenant's own database: its sources (URL encrypted at rest) and their runs.

import django.db.models.deletion
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sync', '0004_conflict_source'),
    ]

    operations = [
        migrations.CreateModel(
            name='EtlSource',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('name', models.CharField(max_length=100, unique=True)),
                ('engine', models.CharField(choices=[('postgresql', 'PostgreSQL'), ('mysql', 'MySQL/MariaDB'), ('sqlite', 'SQLite'), ('mssql', 'SQL Server')], max_length=16)),
                ('url_encrypted', models.TextField(help_text='Fernet token of the connection URL; never shown.')),
                ('url_masked', models.CharField(help_text='The URL with its password replaced by •••.', max_length=500)),
                ('interval_minutes', models.PositiveIntegerField(default=15)),
                ('enabled', models.BooleanField(default=True)),
                ('mapping', models.JSONField(blank=True, default=dict)),
                ('cursor', models.JSONField(blank=True, default=dict)),
                ('next_run_at', models.DateTimeField(blank=True, help_text='Empty: due at the next beat.', null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['name'],
                'constraints': [
                    models.CheckConstraint(condition=models.Q(('interval_minutes__gte', 1), ('interval_minutes__lte', 1440)), name='etl_source_interval_1_1440'),
                    models.CheckConstraint(condition=models.Q(('engine__in', ['postgresql', 'mysql', 'sqlite', 'mssql'])), name='etl_source_engine_valid'),
                ],
            },
        ),
        migrations.CreateModel(
            name='EtlRun',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='runs', to='sync.etlsource')),
                ('status', models.CharField(choices=[('RUNNING', 'Running'), ('SUCCEEDED', 'Succeeded'), ('FAILED', 'Failed')], default='RUNNING', max_length=16)),
                ('trigger', models.CharField(choices=[('SCHEDULE', 'Schedule'), ('MANUAL', 'Manual')], default='SCHEDULE', max_length=16)),
                ('started_at', models.DateTimeField()),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('rows_read', models.PositiveIntegerField(default=0)),
                ('rows_inserted', models.PositiveIntegerField(default=0)),
                ('rows_updated', models.PositiveIntegerField(default=0)),
                ('rows_unchanged', models.PositiveIntegerField(default=0)),
                ('rows_rejected', models.PositiveIntegerField(default=0)),
                ('conflicts_created', models.PositiveIntegerField(default=0)),
                ('rejected_rows', models.JSONField(blank=True, default=list)),
                ('error', models.TextField(blank=True, default='')),
            ],
            options={
                'ordering': ['-started_at', '-id'],
                'indexes': [models.Index(fields=['source', '-started_at'], name='sync_etlrun_source__55ea9b_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['RUNNING', 'SUCCEEDED', 'FAILED'])), name='etl_run_status_valid')],
            },
        ),
    ]
