# A conflict may come from another source than a sync event (an ETL pull): event becomes
# nullable, ``source`` names the origin, and one of the two is always there.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sync', '0003_change_log'),
    ]

    operations = [
        migrations.AddField(
            model_name='conflict',
            name='source',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AlterField(
            model_name='conflict',
            name='event',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='conflicts', to='sync.syncevent'),
        ),
        migrations.AddConstraint(
            model_name='conflict',
            constraint=models.CheckConstraint(condition=models.Q(('event__isnull', False), models.Q(('source', ''), _negated=True), _connector='OR'), name='conflict_event_or_source'),
        ),
    ]
