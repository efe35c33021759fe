"""The change log behind the pull feed (API.md section 9), below both the domain and sync.

Every write that a device must hear of logs a row here in its own transaction: the wells domain
(wells, equipment, routes, leases, tanks, alerts) and sync (conflicts, and the records its rules
change). The feed (``sync.services.changes``) reads it in commit order through ``positions``.
It imports nothing of the project above the tenancy core, so both import it downward.

- ``models``: ``Change`` (one row per change) and ``ChangeRetention`` (what was pruned; the
  MySQL/MariaDB commit counter). Their tables keep the names they had in the sync app.
- ``services``: ``change_record`` (write one row) and ``changes_prune`` (the retention window).
- ``positions``: which rows a reader has seen, in commit order (PostgreSQL snapshots, commit
  stamps on MySQL/MariaDB).
"""
