"""The one pipeline every source runs through: a sync run, or a file load.

    connectors/<source>/   declares its streams, fetches (with the shared retry policy) and
                           normalizes (pure): `dashboard.pipeline.source` is all it sees
    dashboard.pipeline.run owns the rest: the source's lock, its cursor, the one transaction,
                           the derive step, the `sync_runs` row, and the failure's record

A connector never opens a transaction or calls the derive step itself, so every source gets the
same guarantee: a run is published whole, with its cursor, or not at all. docs/adding-a-source.md
walks through adding one.
"""
