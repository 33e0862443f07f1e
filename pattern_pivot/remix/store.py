"""Remix requests in a SQLite file next to the catalog: every request ever made, re-runnable.

A request's id is derived from its content, so storing the same request twice keeps one row.
Each store is a new *submission* of it, numbered from one store-wide increasing sequence
(``submitted``: the latest one's number), so submitting a request again runs it again.
``requested`` is the number of the latest submission a run was asked for: the CLI marks the
request it runs itself, and the sensor marks what its committed cursor covers.

Numbers start from the clock (microseconds), so they keep increasing even when this file is
deleted and made anew under a sensor cursor that remembers old numbers.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from pattern_pivot.remix.request import RemixRequest, RemixRequestError
from pattern_pivot.sqlite_db import open_sqlite


@dataclass(frozen=True)
class Submission:
    request_id: str
    number: int  # store-wide, increasing: a later submission has a larger number


class RemixStore:
    def __init__(self, path: Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        conn = open_sqlite(self.path)
        conn.execute("CREATE TABLE IF NOT EXISTS remix_requests ("
                     " request_id TEXT PRIMARY KEY, body TEXT NOT NULL, source TEXT NOT NULL,"
                     " created_at REAL NOT NULL, requested INTEGER NOT NULL DEFAULT 0,"
                     " submitted INTEGER NOT NULL DEFAULT 0, submission_key TEXT)")
        columns = {row[1] for row in conn.execute("PRAGMA table_info(remix_requests)")}
        if "submitted" not in columns:
            self._migrate(conn)
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        """Stores from before submissions had ``requested`` as a 0/1 flag: the unrun ones
        become one submission each, the run ones none."""
        with conn:
            conn.execute("BEGIN IMMEDIATE")  # two processes opening an old store at once
            columns = {row[1] for row in conn.execute("PRAGMA table_info(remix_requests)")}
            if "submitted" in columns:
                return
            conn.execute("ALTER TABLE remix_requests ADD COLUMN"
                         " submitted INTEGER NOT NULL DEFAULT 0")
            conn.execute("ALTER TABLE remix_requests ADD COLUMN submission_key TEXT")
            conn.execute("UPDATE remix_requests SET submitted = rowid WHERE requested = 0")
            conn.execute("UPDATE remix_requests SET requested = 0")

    def save(self, request: RemixRequest, source: str = "cli", key: str | None = None) -> str:
        """Store ``request`` as a new submission; returns its id. ``key`` names where this
        submission came from (e.g. a file's name and version): saving again with the key of
        the latest submission is that same submission, so a retried sensor tick that reads
        the same file again does not run it twice."""
        with closing(self._connect()) as conn, conn:
            # One statement: SQLite's write lock makes the numbers increase in commit order.
            conn.execute(
                "INSERT INTO remix_requests (request_id, body, source, created_at, submitted,"
                " submission_key) VALUES (?, ?, ?, ?, max(?, (SELECT coalesce(max(submitted),"
                " 0) + 1 FROM remix_requests)), ?) ON CONFLICT(request_id) DO UPDATE SET"
                " submitted = excluded.submitted, source = excluded.source,"
                " submission_key = excluded.submission_key"
                " WHERE excluded.submission_key IS NULL"
                " OR remix_requests.submission_key IS NOT excluded.submission_key",
                (request.request_id, request.model_dump_json(), source, time.time(),
                 time.time_ns() // 1000, key))
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

    def pending_submissions(self, limit: int | None = None) -> list[Submission]:
        """Latest submissions no run was asked for yet, oldest first."""
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT request_id, submitted FROM remix_requests WHERE submitted > requested"
                " ORDER BY submitted LIMIT ?", (-1 if limit is None else limit,)).fetchall()
        return [Submission(*row) for row in rows]

    def pending(self) -> list[str]:
        """Ids of the stored requests whose latest submission no run was asked for yet."""
        return [s.request_id for s in self.pending_submissions()]

    def mark_requested(self, request_ids: list[str]) -> None:
        """A run was asked for the latest submission of each of these requests."""
        with closing(self._connect()) as conn, conn:
            conn.executemany("UPDATE remix_requests SET requested = submitted"
                             " WHERE request_id = ?", [(i,) for i in request_ids])

    def mark_requested_through(self, number: int) -> None:
        """Runs were asked for every submission numbered up to ``number``."""
        with closing(self._connect()) as conn, conn:
            conn.execute("UPDATE remix_requests SET requested = submitted"
                         " WHERE submitted <= ? AND requested < submitted", (number,))
