"""A day's statistics snapshot of the catalog: YouTube videos through the Data API, local
files recorded as skipped (they have no public statistics)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from pattern_pivot.catalog import CatalogEntry, YouTubeEntry
from pattern_pivot.stats.store import StatsStore, VideoStats, WriteSummary
from pattern_pivot.youtube.errors import YouTubeAuthError
from pattern_pivot.youtube.types import YouTubeVideo, youtube_id

# Given YouTube ids: (videos found, ids missing). The YouTube client's `videos` method.
FetchVideos = Callable[[list[str]], tuple[list[YouTubeVideo], list[str]]]


@dataclass
class Snapshot:
    fetched_at: float
    stats: dict[str, YouTubeVideo] = field(default_factory=dict)  # catalog id -> numbers
    skipped: dict[str, str] = field(default_factory=dict)  # catalog id -> why
    hidden: list[str] = field(default_factory=list)  # counts hidden by the owner

    def rows(self, day: str, channels: dict[str, str]) -> list[VideoStats]:
        return [VideoStats(video_id=vid, snapshot_date=day,
                           channel_id=video.channel_id or channels.get(vid, ""),
                           views=video.views, likes=video.likes, comments=video.comments,
                           fetched_at=self.fetched_at, title=video.title)
                for vid, video in sorted(self.stats.items())]


def take_snapshot(entries: Sequence[CatalogEntry], fetch: FetchVideos | None,
                  now: Callable[[], float] = time.time) -> Snapshot:
    """Read every catalog video's current statistics (one videos.list call per 50)."""
    snapshot = Snapshot(fetched_at=now())
    wanted: dict[str, str] = {}
    for entry in entries:
        yid = youtube_id(entry.video_id)
        if entry.source_kind != "youtube" or yid is None:
            snapshot.skipped[entry.video_id] = "local file: no public statistics"
        else:
            wanted[yid] = entry.video_id
    if not wanted:
        return snapshot
    if fetch is None:
        raise YouTubeAuthError("PATTERN_PIVOT_YOUTUBE_API_KEY",
                               f"is not set, but the catalog holds {len(wanted)} YouTube videos "
                               "whose statistics need the YouTube Data API",
                               "set it to an API key with the YouTube Data API v3 enabled")
    found, missing = fetch(list(wanted))
    for video in found:
        vid = wanted.get(video.youtube_id)
        if vid is None:
            continue
        snapshot.stats[vid] = video
        if video.views is None or video.likes is None or video.comments is None:
            snapshot.hidden.append(vid)
    for yid in missing:
        snapshot.skipped[wanted[yid]] = "deleted or private on YouTube (videos.list left it out)"
    return snapshot


def write_snapshot(store: StatsStore, days: Sequence[str], snapshot: Snapshot,
                   youtube_entries: Sequence[YouTubeEntry]) -> list[WriteSummary]:
    """Write the snapshot under each day; each day idempotently, marked complete last."""
    channels = {e.video_id: e.channel_id for e in youtube_entries}
    return [store.write_day(day, snapshot.rows(day, channels)) for day in days]
