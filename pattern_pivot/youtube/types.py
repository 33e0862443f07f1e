"""Typed values from the YouTube Data API. Times are seconds as floats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

YOUTUBE_ID_PREFIX = "yt-"
# YouTube video ids: 11 characters of [A-Za-z0-9_-]; allow a little slack for the future.
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{6,32}$")
_ISO_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$")


def catalog_id(youtube_id: str) -> str:
    """The catalog / partition id of a YouTube video: ``yt-`` + its YouTube id, so it can
    never collide with a local file's ``file-<16 hex>`` id."""
    if not _VIDEO_ID.match(youtube_id):
        raise ValueError(f"not a YouTube video id: {youtube_id!r}")
    return YOUTUBE_ID_PREFIX + youtube_id


def youtube_id(video_id: str) -> str | None:
    """The YouTube id inside a catalog id, or None for other sources."""
    if video_id.startswith(YOUTUBE_ID_PREFIX):
        return video_id[len(YOUTUBE_ID_PREFIX):]
    return None


def parse_duration(value: str | None) -> float | None:
    """ISO 8601 duration as YouTube writes it (``PT1H2M3S``, ``P1DT2S``) to seconds."""
    match = _ISO_DURATION.match(value or "")
    if not value or not match:
        return None
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return (parts.get("days", 0) * 86400 + parts.get("hours", 0) * 3600
            + parts.get("minutes", 0) * 60 + parts.get("seconds", 0))


def parse_timestamp(value: str | None) -> float | None:
    """RFC 3339 (``2026-11-01T12:00:00Z``) to unix seconds."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True)
class Channel:
    channel_id: str
    title: str
    uploads_playlist_id: str
    handle: str = ""


@dataclass(frozen=True)
class YouTubeVideo:
    """One video as ``videos.list`` describes it; counts are None when the owner hides them
    (or the API leaves them out)."""

    youtube_id: str
    channel_id: str
    title: str
    published_at: float | None
    duration_s: float | None
    views: int | None
    likes: int | None
    comments: int | None
    privacy_status: str = ""

    @property
    def video_id(self) -> str:
        return catalog_id(self.youtube_id)

    @property
    def url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.youtube_id}"
