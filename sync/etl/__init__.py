"""ETL from a tenant's own database (README: "ETL from a tenant's own database").

A tenant that keeps its "source of truth" in its own database (PostgreSQL, MySQL/MariaDB, SQLite,
SQL Server) registers it as an ``EtlSource`` (sync.models) with a JSON mapping; a beat job pulls
the rows past each source's cursor, read-only, into the tenant's wells, equipment and production.

- ``crypto``: the source URL is encrypted at rest (Fernet) and shown masked everywhere.
- ``source_url``: parsing and masking of source URLs.
- ``drivers``: one DB-API driver per engine, identifiers quoted per engine, batched reads.
- ``mapping``: the mapping format, its structural check, value transforms and its check against a source.
- ``loader``: one pull: rows into the tenant's tables through wells.services, conflicts for field values.
- ``services``: what the staff admin calls (create/update a source, test, validate, run now).
- ``tasks``: the beat job and the per-source run task (one run of a source at a time).
"""
