"""The embedded stats store: a SQLite file, no server. A day is one transaction, so it is
written completely or not at all."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from pattern_pivot.sqlite_db import open_sqlite
from pattern_pivot.stats.store import (
    StatsStoreError,
    VideoStats,
    WriteSummary,
    check_day,
    check_rows,
    day_window,
)

_COLUMNS = "video_id, snapshot_date, channel_id, views, likes, comments, fetched_at, title"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS video_stats ("
    " video_id TEXT NOT NULL, snapshot_date TEXT NOT NULL, channel_id TEXT NOT NULL,"
    " views INTEGER, likes INTEGER, comments INTEGER, fetched_at REAL NOT NULL,"
    " title TEXT NOT NULL DEFAULT '', PRIMARY KEY (video_id, snapshot_date));"
    "CREATE INDEX IF NOT EXISTS video_stats_by_channel"
    " ON video_stats (channel_id, snapshot_date);"
    "CREATE TABLE IF NOT EXISTS stats_days ("
    " snapshot_date TEXT PRIMARY KEY, row_count INTEGER NOT NULL,"
    " completed_at REAL NOT NULL);")


class SqliteStatsStore:
    def __init__(self, path: Path):
        self.path = Path(path)

    @property
    def description(self) -> str:
        return f"sqlite:{self.path}"

    @contextmanager
    def _connect(self, action: str = "reading") -> Iterator[sqlite3.Connection]:
        """A connection whose block is one transaction. Every SQLite failure (locked,
        unwritable, not a database) is a StatsStoreError, so callers that treat the store as
        optional (the remix's engagement) can rely on one error type."""
        try:
            conn = open_sqlite(self.path)
            try:
                conn.executescript(_SCHEMA)
                with conn:
                    yield conn
            finally:
                conn.close()
        except (OSError, sqlite3.Error) as exc:
            raise StatsStoreError(str(self.path), f"failed {action} ({exc})",
                                  "check PATTERN_PIVOT_STATS_DB (or PATTERN_PIVOT_DATA_DIR) "
                                  "points at a writable SQLite file; move a damaged one "
                                  "aside") from None

    def create(self) -> bool:
        existed = self.path.exists()
        with self._connect("creating the file"):
            pass
        return not existed

    def write_day(self, day: str, rows: Sequence[VideoStats]) -> WriteSummary:
        check_rows(day, rows)
        written = 0
        start, end = day_window(day)
        with self._connect(f"writing day {day}") as conn:  # one transaction: all or nothing
            for row in rows:
                # Fresher numbers replace older ones, except that a row read on its own day
                # is only replaced by another one read on its day (see store.py).
                combine = "OR" if row.fetched_on_day else "AND"
                cursor = conn.execute(
                    f"INSERT INTO video_stats ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(video_id, snapshot_date) DO UPDATE SET"
                    " channel_id=excluded.channel_id, views=excluded.views,"
                    " likes=excluded.likes, comments=excluded.comments,"
                    " fetched_at=excluded.fetched_at, title=excluded.title"
                    " WHERE NOT (video_stats.fetched_at >= ? AND video_stats.fetched_at < ?)"
                    f" {combine} excluded.fetched_at > video_stats.fetched_at",
                    (row.video_id, row.snapshot_date, row.channel_id, row.views, row.likes,
                     row.comments, row.fetched_at, row.title, start, end))
                written += cursor.rowcount
            conn.execute("INSERT OR REPLACE INTO stats_days VALUES (?, ?, ?)",
                         (day, len(rows), time.time()))
        return WriteSummary(day, written, len(rows) - written)

    def is_complete(self, day: str) -> bool:
        with self._connect() as conn:
            return conn.execute("SELECT 1 FROM stats_days WHERE snapshot_date = ?",
                                (check_day(day),)).fetchone() is not None

    def _select(self, where: str, args: tuple) -> list[VideoStats]:
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM video_stats WHERE {where}",
                                args).fetchall()
        return [VideoStats(*row) for row in rows]

    def day(self, day: str) -> list[VideoStats]:
        return self._select("snapshot_date = ? ORDER BY video_id", (check_day(day),))

    def history(self, video_id: str) -> list[VideoStats]:
        return self._select("video_id = ? ORDER BY snapshot_date", (video_id,))

    def channel_history(self, channel_id: str) -> list[VideoStats]:
        return self._select("channel_id = ? ORDER BY snapshot_date, video_id", (channel_id,))

    def latest(self, video_ids: Iterable[str]) -> dict[str, VideoStats]:
        ids = list(dict.fromkeys(video_ids))
        found: dict[str, VideoStats] = {}
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            batch = ids[start:start + 500]
            marks = ",".join("?" * len(batch))
            for row in self._select(
                    f"video_id IN ({marks}) AND snapshot_date = (SELECT MAX(snapshot_date)"
                    " FROM video_stats AS s WHERE s.video_id = video_stats.video_id)",
                    tuple(batch)):
                found[row.video_id] = row
        return found
