# The pull feed's lease and tank entities (API.md sections 9 and 13): choices only, no schema change.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sync', '0009_corrections'),
    ]

    operations = [
        migrations.AlterField(
            model_name='change',
            name='entity',
            field=models.CharField(choices=[('well', 'Well'), ('equipment', 'Equipment'), ('conflict', 'Conflict'), ('assignment', 'Assignment'), ('lease', 'Lease'), ('tank', 'Tank')], max_length=12),
        ),
    ]
