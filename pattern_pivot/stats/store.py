"""The stats store interface and its values.

A snapshot row is keyed by (video id, snapshot date): writing a day again replaces that
day's rows, never duplicates them. A write never replaces a row with one fetched earlier,
so a late re-run of an old day cannot overwrite fresher numbers. A day counts as complete
only once every row of it is written (the backend records a marker last), so a crashed
write is finished by re-running the day.

YouTube has no history: a backfilled day stores the numbers as read when it ran. Each row's
``fetched_at`` says whether it was read on its own day (``fetched_on_day``); only such rows
measure growth, and a row read on its day is never replaced by one read after it (a
backfill over the same day would otherwise erase the day's real numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Protocol, Sequence

from pattern_pivot.errors import PatternPivotError

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The daily schedule reads at 23:30 UTC; a run that starts late still reads its own day.
SAME_DAY_GRACE_S = 3600.0


class StatsStoreError(PatternPivotError):
    """The stats store is unreachable, throttled, or misconfigured."""


@dataclass(frozen=True)
class VideoStats:
    """One video's public counts on one day; a count is None when the owner hides it."""

    video_id: str
    snapshot_date: str  # YYYY-MM-DD (UTC)
    channel_id: str
    views: int | None
    likes: int | None
    comments: int | None
    fetched_at: float  # unix seconds the numbers were read from the source
    title: str = ""

    @property
    def fetched_on_day(self) -> bool:
        """Read on its own snapshot date (not backfilled later)."""
        start, end = day_window(self.snapshot_date)
        return start <= self.fetched_at < end


def day_window(day: str) -> tuple[float, float]:
    """[start, end) in unix seconds of the numbers that count as read on ``day`` (UTC)."""
    start = datetime.fromisoformat(check_day(day)).replace(tzinfo=timezone.utc).timestamp()
    return start, start + 86400.0 + SAME_DAY_GRACE_S


@dataclass(frozen=True)
class WriteSummary:
    day: str
    written: int  # rows inserted or replaced by fresher numbers
    kept: int  # rows already there with numbers at least as fresh


def check_day(day: str) -> str:
    if not _DAY.match(day):
        raise StatsStoreError(f"snapshot date {day!r}", "is not YYYY-MM-DD",
                              "use a daily partition key such as 2026-11-01")
    return day


def check_rows(day: str, rows: Sequence[VideoStats]) -> None:
    check_day(day)
    for row in rows:
        if row.snapshot_date != day:
            raise ValueError(f"row for {row.video_id} is dated {row.snapshot_date}, not {day}")


class StatsStore(Protocol):
    """Where daily statistics snapshots live."""

    @property
    def description(self) -> str: ...

    def create(self) -> bool:
        """Create the table/file if missing; True when it was created now."""

    def write_day(self, day: str, rows: Sequence[VideoStats]) -> WriteSummary:
        """Write one day's snapshot idempotently, then mark the day complete."""

    def is_complete(self, day: str) -> bool: ...

    def day(self, day: str) -> list[VideoStats]:
        """Every row of one day, sorted by video id."""

    def history(self, video_id: str) -> list[VideoStats]:
        """One video's snapshots, oldest first."""

    def channel_history(self, channel_id: str) -> list[VideoStats]:
        """Every snapshot of a channel's videos, oldest first (the by-channel index)."""

    def latest(self, video_ids: Iterable[str]) -> dict[str, VideoStats]:
        """The most recent snapshot of each video that has one (for ranking by engagement)."""
