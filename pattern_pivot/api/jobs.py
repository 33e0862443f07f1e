"""The API's jobs: what a client asked for (shorts of an upload, a remix, a faceless video),
kept in a SQLite file beside the catalog. A job names the partition it runs on; its runs are
found in the Dagster instance by the job's tag, so nothing here duplicates Dagster's state
beyond what a client needs when no run exists yet (queued) or after the worker ended.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from pattern_pivot.sqlite_db import open_sqlite

JOB_ID = re.compile(r"^job-[0-9a-f]{16}$")
KINDS = ("shorts", "remix", "faceless")
# queued -> running -> completed | failed; canceled when deleted mid-run.
STATES = ("queued", "running", "completed", "failed", "canceled")


def new_job_id() -> str:
    return "job-" + secrets.token_hex(8)


@dataclass(frozen=True)
class Job:
    job_id: str
    kind: str
    partition: str  # the video id (shorts) or the remix request id
    params: dict
    state: str
    error: str | None
    created_at: float
    updated_at: float
    upload: str | None  # the stored upload's path, when the job came with a file

    def public(self) -> dict:
        return {"processing_id": self.job_id, "kind": self.kind, "partition": self.partition,
                "state": self.state, "params": self.params, "created_at": self.created_at,
                "updated_at": self.updated_at}


class JobStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        with closing(self._connect()):
            pass

    def _connect(self) -> sqlite3.Connection:
        conn = open_sqlite(self.path)
        conn.execute("CREATE TABLE IF NOT EXISTS api_jobs ("
                     " job_id TEXT PRIMARY KEY, kind TEXT NOT NULL, partition_key TEXT NOT NULL,"
                     " params TEXT NOT NULL, state TEXT NOT NULL, error TEXT,"
                     " created_at REAL NOT NULL, updated_at REAL NOT NULL, upload TEXT)")
        return conn

    def add(self, job_id: str, kind: str, partition: str, params: dict,
            upload: Path | None = None) -> Job:
        if kind not in KINDS:
            raise ValueError(f"unknown job kind {kind!r}")
        now = time.time()
        with closing(self._connect()) as conn, conn:
            conn.execute("INSERT INTO api_jobs VALUES (?, ?, ?, ?, 'queued', NULL, ?, ?, ?)",
                         (job_id, kind, partition, json.dumps(params), now, now,
                          str(upload) if upload else None))
        return self.get(job_id)

    def get(self, job_id: str) -> Job | None:
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT * FROM api_jobs WHERE job_id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def all(self, limit: int = 200) -> list[Job]:
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT * FROM api_jobs ORDER BY created_at DESC LIMIT ?",
                                (limit,)).fetchall()
        return [_job(r) for r in rows]

    def with_state(self, *states: str) -> list[Job]:
        marks = ",".join("?" * len(states))
        with closing(self._connect()) as conn:
            rows = conn.execute(f"SELECT * FROM api_jobs WHERE state IN ({marks})"
                                " ORDER BY created_at", states).fetchall()
        return [_job(r) for r in rows]

    def sharing(self, partition: str, but: str) -> list[Job]:
        """Other jobs on the same partition (their outputs are shared)."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT * FROM api_jobs WHERE partition_key = ? AND job_id != ?",
                                (partition, but)).fetchall()
        return [_job(r) for r in rows]

    def set_state(self, job_id: str, state: str, error: str | None = None,
                  only_from: tuple[str, ...] | None = None) -> bool:
        """Move a job to ``state``; with ``only_from``, only when it is in one of those
        (a job deleted or canceled meanwhile stays so). True when it moved."""
        if state not in STATES:
            raise ValueError(f"unknown job state {state!r}")
        query = "UPDATE api_jobs SET state = ?, error = ?, updated_at = ? WHERE job_id = ?"
        args: tuple = (state, error, time.time(), job_id)
        if only_from:
            query += f" AND state IN ({','.join('?' * len(only_from))})"
            args += only_from
        with closing(self._connect()) as conn, conn:
            return conn.execute(query, args).rowcount == 1

    def delete(self, job_id: str) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute("DELETE FROM api_jobs WHERE job_id = ?", (job_id,))


def _job(row) -> Job:
    return Job(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6], row[7],
               row[8])
