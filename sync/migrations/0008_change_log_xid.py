"""The change log in commit order (API.md section 9: no settle delay): the writing transaction's
id on PostgreSQL (a database default, so every writer fills it, bulk inserts included; rows
already there get this migration's id, committed like them), a commit position on MySQL/MariaDB."""

import wells.changelog.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sync', '0007_syncevent_cleaned_payload'),
    ]

    operations = [
        migrations.AddField(
            model_name='change',
            name='xid',
            field=models.BigIntegerField(blank=True, db_default=wells.changelog.models.CurrentTransactionId(), db_index=True,
                                         help_text='PostgreSQL: the id of the transaction that wrote the row.',
                                         null=True),
        ),
        migrations.AddField(
            model_name='change',
            name='commit_seq',
            field=models.BigIntegerField(blank=True, db_index=True,
                                         help_text="MySQL/MariaDB: the row's place in commit order (null: not yet "
                                                   "stamped; readers stamp committed rows).", null=True),
        ),
        migrations.AddField(model_name='changeretention', name='pruned_xid', field=models.BigIntegerField(default=0)),
        migrations.AddField(model_name='changeretention', name='pruned_commit_seq',
                            field=models.BigIntegerField(default=0)),
        migrations.AddField(model_name='changeretention', name='stamped_through',
                            field=models.BigIntegerField(default=0)),
    ]
