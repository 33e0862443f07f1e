"""``POST /api/youtube-channel``: a channel's uploads registered in the catalog as ``yt-<id>``
partitions, through the same code path as ``pattern-pivot youtube sync`` (its state file, so
a later sync or the upload sensor goes on where this stopped, and its quota meter).

The API key is the server's (``PATTERN_PIVOT_YOUTUBE_API_KEY``, read per request, never
logged); a caller only names the channel.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pattern_pivot.api.uploads import UploadError
from pattern_pivot.catalog import Catalog
from pattern_pivot.settings import Settings
from pattern_pivot.youtube.errors import (
    YouTubeAuthError,
    YouTubeError,
    YouTubeQuotaError,
    YouTubeUnreachableError,
)

_ID = r"UC[A-Za-z0-9_-]{22}"
_HANDLE = r"@[A-Za-z0-9._-]{3,30}"
_REF = re.compile(rf"^(?:{_ID}|{_HANDLE})$")
_URL = re.compile(rf"^https?://(?:www\.|m\.)?youtube\.com/(?:channel/({_ID})|({_HANDLE}))"
                  r"(?:/[a-z]*)?/?(?:[?#].*)?$")
MAX_LIMIT = 500


def channel_ref(text: str) -> str:
    """``UC...``, ``@handle`` or a channel link -> the id or handle the Data API takes."""
    text = text.strip()
    if _REF.match(text):
        return text
    match = _URL.match(text)
    if match:
        return match.group(1) or match.group(2)
    raise UploadError(422, f"channel {text[:100]!r}", "is not a YouTube channel",
                      "give its id (UC followed by 22 characters), its @handle, or a link "
                      "such as https://www.youtube.com/@handle")


def _status(exc: YouTubeError) -> int:
    # The key and the quota are the server's, not the caller's: 503 says "not now, here".
    if isinstance(exc, (YouTubeAuthError, YouTubeQuotaError)):
        return 503
    if isinstance(exc, YouTubeUnreachableError):
        return 502
    return 502  # YouTube answered something unusable


@dataclass(frozen=True)
class ChannelSync:
    body: dict
    keys: list[str]  # the new catalog ids (partitions to add)


def sync_channel(settings: Settings, catalog: Catalog, text: str, limit: int) -> ChannelSync:
    """Register up to ``limit`` of the channel's uploads not yet in the catalog; raises
    UploadError with the HTTP status and a message naming what to fix."""
    from pattern_pivot.youtube.api import QuotaMeter, YouTubeClient
    from pattern_pivot.youtube.config import API_KEY_ENV, YouTubeConfig
    from pattern_pivot.youtube.sync import STATE_NAME, sync_uploads

    ref = channel_ref(text)
    if not 1 <= limit <= MAX_LIMIT:
        raise UploadError(422, f"limit {limit}", "is out of range",
                          f"ask for 1-{MAX_LIMIT} videos (a later call registers the rest)")
    meter = QuotaMeter()
    try:
        client = YouTubeClient(os.environ.get(API_KEY_ENV, ""),
                               YouTubeConfig.from_env().api_endpoint, meter=meter)
        scan, keys = sync_uploads(client, catalog, [ref], limit,
                                  settings.catalog_path.with_name(STATE_NAME))
    except YouTubeError as exc:
        raise UploadError(_status(exc), exc.subject, exc.problem, exc.fix) from None
    if ref in scan.problems:  # no such (public) channel, or YouTube refused to list it
        raise UploadError(404, f"channel {ref!r}", "could not be found on YouTube ("
                          f"{scan.problems[ref]})", "check the id or handle on the channel's "
                          "page")
    channel = scan.channels[ref]
    state = scan.states.get(channel.channel_id)
    return ChannelSync({
        "channel": {"id": channel.channel_id, "title": channel.title, "handle": channel.handle},
        "new_videos": [{"video_id": key, "title": v.title, "published_at": v.published_at,
                        "duration_s": v.duration_s} for v, key in zip(scan.new, keys)],
        "unavailable": scan.unavailable,
        # False: older uploads remain; the next call (or sync) registers the next batch.
        "backlog_complete": bool(state and state.complete),
        "quota_units": meter.total}, keys)
