"""The local SQLite files (catalog, remix requests, stats) are shared by sensors, runs and
the CLI in several processes at once: WAL lets readers work beside a writer, and a writer
waits up to 30 s for another rather than failing."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_sqlite(path: Path) -> sqlite3.Connection:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn
