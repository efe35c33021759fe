"""Pumpjack's field client: the device side of offline sync, as a library and the
``pumpjack-field`` command line (sync.client.cli).

Record events with no network into a local SQLite store (sync.client.store), validated with the
server's own schemas (sync.schemas); push them in chunks the server accepts, follow their
outcomes, and pull the route's reference data (sync.client.engine). API.md sections 3, 6, 7, 9.
"""

__version__ = "0.1.0"
