"""The store: SQLite schema, migrations, reads and writes. Nothing outside this package runs SQL."""

from pileon.store.db import connect, from_iso, to_iso

__all__ = ["connect", "from_iso", "to_iso"]
