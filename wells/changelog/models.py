"""The change log's tables, in each tenant's schema or database (they were the sync app's until
issue 13; ``db_table`` keeps their names, migration 0001 only takes them over)."""

from __future__ import annotations

from django.db import models


class CurrentTransactionId(models.Func):
    """The writing transaction's id, the database default of ``Change.xid``: PostgreSQL's
    ``pg_current_xact_id()`` (64 bits, never wraps); NULL on engines without one (MySQL/MariaDB,
    whose changes are put in commit order by ``Change.commit_seq`` instead)."""

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection, **extra):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra):
        return "(pg_current_xact_id()::text::bigint)", []


class Change(models.Model):
    """One row per change of a well, piece of equipment, conflict, route assignment, lease, tank or
    alert. ``seq`` is given at insert, not at commit, so the feed orders by commit instead
    (``wells.changelog.positions``): on PostgreSQL by the writing transaction's id (``xid``,
    filled by the database whoever inserts the row) against the reader's snapshot; on
    MySQL/MariaDB by ``commit_seq``, stamped on committed rows by readers."""

    class Entity(models.TextChoices):
        WELL = "well"
        EQUIPMENT = "equipment"
        CONFLICT = "conflict"
        ASSIGNMENT = "assignment"
        # A lease's or tank's change is logged once per well of its lease (``well_id``: that well, so
        # an OPERATOR gets it for a lease with a well on their route), or once under the lease's own
        # id when it has no well (MANAGERs and ADMINs still hear of it).
        LEASE = "lease"
        TANK = "tank"
        ALERT = "alert"

    class Op(models.TextChoices):
        UPSERT = "upsert"
        DELETE = "delete"

    seq = models.BigAutoField(primary_key=True)
    entity = models.CharField(max_length=12, choices=Entity.choices)
    entity_id = models.UUIDField()
    op = models.CharField(max_length=8, choices=Op.choices)
    well_id = models.UUIDField(db_index=True)
    user_id = models.UUIDField(null=True, blank=True, help_text="For assignments: the operator whose route changed.")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    xid = models.BigIntegerField(null=True, blank=True, db_index=True, db_default=CurrentTransactionId(),
                                 help_text="PostgreSQL: the id of the transaction that wrote the row.")
    commit_seq = models.BigIntegerField(null=True, blank=True, db_index=True,
                                        help_text="MySQL/MariaDB: the row's place in commit order (null: not yet "
                                                  "stamped; readers stamp committed rows).")

    class Meta:
        db_table = "sync_change"


class ChangeRetention(models.Model):
    """One row: changes up to this sequence number (and transaction id, or commit position) were
    pruned; older cursors answer 410. On MySQL/MariaDB its lock also orders the commit stamps."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    pruned_through = models.BigIntegerField(default=0)
    pruned_xid = models.BigIntegerField(default=0)
    pruned_commit_seq = models.BigIntegerField(default=0)
    stamped_through = models.BigIntegerField(default=0)

    class Meta:
        db_table = "sync_changeretention"
