"""Remix requests in a SQLite file next to the catalog: every request ever made, re-runnable.

A request's id is derived from its content, so storing the same request twice keeps one row.
``requested`` records whether a run was asked for, so a sensor can launch runs for requests
registered elsewhere (the UI's register job) exactly once.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from pattern_pivot.remix.request import RemixRequest, RemixRequestError
from pattern_pivot.sqlite_db import open_sqlite


class RemixStore:
    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        conn = open_sqlite(self.path)
        conn.execute("CREATE TABLE IF NOT EXISTS remix_requests ("
                     " request_id TEXT PRIMARY KEY, body TEXT NOT NULL, source TEXT NOT NULL,"
                     " created_at REAL NOT NULL, requested INTEGER NOT NULL DEFAULT 0)")
        return conn

    def save(self, request: RemixRequest, source: str = "cli") -> str:
        """Store ``request`` (a no-op when it is already stored); returns its id."""
        with closing(self._connect()) as conn, conn:
            conn.execute("INSERT OR IGNORE INTO remix_requests (request_id, body, source,"
                         " created_at) VALUES (?, ?, ?, ?)",
                         (request.request_id, request.model_dump_json(), source, time.time()))
        return request.request_id

    def get(self, request_id: str) -> RemixRequest:
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT body FROM remix_requests WHERE request_id = ?",
                               (request_id,)).fetchone()
        if row is None:
            raise RemixRequestError(f"remix request {request_id}", "is not stored",
                                    "create it with `pattern-pivot remix ...`, a request file "
                                    "in the requests folder, or the register_remix job")
        return RemixRequest.model_validate_json(row[0])

    def ids(self) -> list[str]:
        with closing(self._connect()) as conn:
            return [r[0] for r in conn.execute(
                "SELECT request_id FROM remix_requests ORDER BY created_at, request_id")]

    def pending(self) -> list[str]:
        """Stored requests no run was asked for yet, oldest first."""
        with closing(self._connect()) as conn:
            return [r[0] for r in conn.execute(
                "SELECT request_id FROM remix_requests WHERE requested = 0"
                " ORDER BY created_at, request_id")]

    def mark_requested(self, request_ids: list[str]) -> None:
        with closing(self._connect()) as conn, conn:
            conn.executemany("UPDATE remix_requests SET requested = 1 WHERE request_id = ?",
                             [(i,) for i in request_ids])
