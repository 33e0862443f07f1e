"""The YouTube Data API v3 through google-api-python-client, with quota accounting,
retries for server errors, and errors a user can act on.

Quota: every call costs units from the key's daily budget (10,000 by default); ``list``
calls on channels, playlistItems and videos cost 1 each, whatever the page size. A call is
charged even when it fails, so retries are counted too.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from pattern_pivot.youtube.errors import (
    YouTubeAuthError,
    YouTubeError,
    YouTubeQuotaError,
    YouTubeUnreachableError,
)
from pattern_pivot.youtube.types import (
    Channel,
    YouTubeVideo,
    parse_duration,
    parse_timestamp,
)

log = logging.getLogger(__name__)
# The client logs each request URL at DEBUG, and the URL carries the API key: never let
# debug logging write the key anywhere.
logging.getLogger("googleapiclient.discovery").setLevel(logging.INFO)

QUOTA_COSTS = {"channels.list": 1, "playlistItems.list": 1, "videos.list": 1,
               "search.list": 100}
VIDEOS_PER_CALL = 50  # the API's maximum for videos.list ids and playlistItems pages
_QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
_AUTH_REASONS = {"keyInvalid", "keyExpired", "forbidden", "accessNotConfigured",
                 "ipRefererBlocked", "API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED"}
# Where the key is sent: the operator's environment decides, never per-run configuration.
API_ENDPOINT_ENV = "PATTERN_PIVOT_YOUTUBE_API_ENDPOINT"
DEFAULT_ENDPOINT = "https://youtube.googleapis.com/"  # the discovery document's rootUrl
_KEY_FIX = "set PATTERN_PIVOT_YOUTUBE_API_KEY to a valid key with the YouTube Data API v3 " \
           "enabled (Google Cloud console > APIs & Services > Credentials)"


@dataclass
class QuotaMeter:
    """Quota units spent, per API method."""

    calls: Counter = field(default_factory=Counter)
    units: Counter = field(default_factory=Counter)

    def charge(self, method: str) -> None:
        self.calls[method] += 1
        self.units[method] += QUOTA_COSTS.get(method, 1)

    @property
    def total(self) -> int:
        return sum(self.units.values())

    def as_metadata(self) -> dict:
        return {"quota_units": self.total, "api_calls": dict(self.calls)}


def _reasons(exc: HttpError) -> set[str]:
    try:
        error = json.loads(exc.content.decode("utf-8", "replace"))["error"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()
    reasons = {e.get("reason", "") for e in error.get("errors", []) if isinstance(e, dict)}
    reasons |= {d.get("reason", "") for d in error.get("details", []) if isinstance(d, dict)}
    if "API key not valid" in str(error.get("message", "")):
        reasons.add("keyInvalid")
    return reasons - {""}


def _network_problem(exc: Exception) -> str:
    """What went wrong on the wire, without the request URL (it carries the key)."""
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    if isinstance(exc, httplib2.ServerNotFoundError):
        return "its host name does not resolve"
    return type(exc).__name__


class YouTubeClient:
    """Reads channels, their uploads and video details. ``api_endpoint`` points the real
    client at a compatible server (tests use a local one)."""

    def __init__(self, api_key: str, api_endpoint: str = "", max_retries: int = 4,
                 sleep: Callable[[float], None] = time.sleep, meter: QuotaMeter | None = None):
        if not api_key:
            raise YouTubeAuthError("PATTERN_PIVOT_YOUTUBE_API_KEY", "is not set", _KEY_FIX)
        options = {"api_endpoint": api_endpoint} if api_endpoint else None
        self.endpoint = api_endpoint or DEFAULT_ENDPOINT
        self._service = build("youtube", "v3", developerKey=api_key, static_discovery=True,
                              cache_discovery=False, client_options=options)
        self._max_retries = max_retries
        self._sleep = sleep
        self.meter = meter or QuotaMeter()

    def _execute(self, method: str, request, subject: str) -> dict:
        for attempt in range(self._max_retries + 1):
            self.meter.charge(method)
            try:
                response = request.execute()
            except HttpError as exc:
                status = exc.resp.status
                reasons = _reasons(exc)
                if reasons & _QUOTA_REASONS:
                    raise YouTubeQuotaError(
                        "YouTube Data API quota", f"is exhausted for today ({method} on "
                        f"{subject} answered 403 quotaExceeded after {self.meter.total} units "
                        "in this run)", "wait for the daily reset (midnight Pacific time) or "
                        "raise the quota in the Google Cloud console") from None
                # Not str(exc): it holds the request URL, and so the key.
                if reasons & _AUTH_REASONS or status == 401:
                    raise YouTubeAuthError("PATTERN_PIVOT_YOUTUBE_API_KEY",
                                           f"was refused ({status} {sorted(reasons)})",
                                           _KEY_FIX) from None
                if status >= 500 or status == 429:
                    if attempt < self._max_retries:
                        delay = min(30.0, 0.5 * 2 ** attempt) * (0.5 + random.random() / 2)
                        log.warning("%s %s: HTTP %s, retrying in %.1f s", method, subject,
                                    status, delay)
                        self._sleep(delay)
                        continue
                    raise YouTubeError(subject, f"{method} kept failing with HTTP {status} "
                                       f"after {attempt + 1} attempts", "YouTube is having "
                                       "trouble; run again later") from None
                raise YouTubeError(subject, f"{method} answered HTTP {status} "
                                   f"{sorted(reasons) or exc.reason}",
                                   "check the channel or video id") from None
            except (OSError, httplib2.HttpLib2Error) as exc:
                # No answer at all: refused, unresolvable, reset or timed out. A refused
                # connection or an unknown host is a setting, not a blip: no retries.
                lasting = isinstance(exc, (ConnectionRefusedError, httplib2.ServerNotFoundError))
                if not lasting and attempt < self._max_retries:
                    delay = min(30.0, 0.5 * 2 ** attempt) * (0.5 + random.random() / 2)
                    log.warning("%s %s: %s, retrying in %.1f s", method, subject,
                                _network_problem(exc), delay)
                    self._sleep(delay)
                    continue
                raise self._unreachable(method, subject, exc) from None
            except ValueError as exc:  # the body was not JSON
                raise YouTubeError(subject, f"{method} answered malformed JSON ({exc})",
                                   "check PATTERN_PIVOT_YOUTUBE_API_ENDPOINT points at the "
                                   "YouTube Data API, or run again later") from None
            if not isinstance(response, dict):
                # The client hands back the raw body when it is not valid JSON.
                raise YouTubeError(subject, f"{method} answered malformed JSON (not an "
                                   f"object: {str(response)[:60]!r})", "check "
                                   "PATTERN_PIVOT_YOUTUBE_API_ENDPOINT points at the YouTube "
                                   "Data API, or run again later")
            return response
        raise AssertionError("unreachable")

    def _unreachable(self, method: str, subject: str, exc: Exception) -> YouTubeUnreachableError:
        if self.endpoint == DEFAULT_ENDPOINT:
            fix = ("check this machine can reach youtube.googleapis.com (network, DNS, proxy, "
                   "firewall), then run again")
        else:
            fix = ("check PATTERN_PIVOT_YOUTUBE_API_ENDPOINT (unset it to use Google's "
                   f"{DEFAULT_ENDPOINT}) and that the server there is running, then run again")
        return YouTubeUnreachableError(f"YouTube Data API at {self.endpoint}",
                                       f"could not be reached ({method} for {subject}: "
                                       f"{_network_problem(exc)})", fix)

    def resolve_channel(self, ref: str) -> Channel:
        """A channel by id (``UC...``) or handle (``@name``)."""
        ref = ref.strip()
        query = {"forHandle": ref} if ref.startswith("@") else {"id": ref}
        response = self._execute("channels.list", self._service.channels().list(
            part="snippet,contentDetails", maxResults=1, **query), f"channel {ref!r}")
        items = response.get("items") or []
        if not items:
            raise YouTubeError(f"channel {ref!r}", "does not exist (or is not public)",
                               "check the id (UC...) or handle (@name) in "
                               "PATTERN_PIVOT_YOUTUBE_CHANNELS")
        try:
            item = items[0]
            return Channel(channel_id=item["id"], title=item["snippet"]["title"],
                           uploads_playlist_id=item["contentDetails"]["relatedPlaylists"][
                               "uploads"], handle=item["snippet"].get("customUrl", ""))
        except (KeyError, TypeError) as exc:
            raise YouTubeError(f"channel {ref!r}", f"channels.list answered without {exc}",
                               "run again later") from None

    def upload_pages(self, channel: Channel) -> Iterator[list[str]]:
        """YouTube ids of the channel's uploads, newest first, one page (<= 50) at a time."""
        token = None
        while True:
            response = self._execute("playlistItems.list", self._service.playlistItems().list(
                part="contentDetails", playlistId=channel.uploads_playlist_id,
                maxResults=VIDEOS_PER_CALL, pageToken=token),
                f"uploads of channel {channel.channel_id}")
            try:
                ids = [item["contentDetails"]["videoId"] for item in response.get("items", [])]
            except (KeyError, TypeError) as exc:
                raise YouTubeError(f"uploads of channel {channel.channel_id}",
                                   f"playlistItems.list answered an item without {exc}",
                                   "run again later") from None
            yield ids
            token = response.get("nextPageToken")
            if not token:
                return

    def videos(self, youtube_ids: Iterable[str]) -> tuple[list[YouTubeVideo], list[str]]:
        """Details and statistics, 50 ids per call. Returns (found, missing): deleted and
        private videos are simply left out by the API, so they come back as missing."""
        ids = list(dict.fromkeys(youtube_ids))
        found: list[YouTubeVideo] = []
        for start in range(0, len(ids), VIDEOS_PER_CALL):
            batch = ids[start:start + VIDEOS_PER_CALL]
            response = self._execute("videos.list", self._service.videos().list(
                part="snippet,contentDetails,statistics,status", id=",".join(batch),
                maxResults=VIDEOS_PER_CALL), f"videos {batch[0]}..{batch[-1]}")
            for item in response.get("items") or []:
                found.append(_video(item))
        seen = {v.youtube_id for v in found}
        return found, [i for i in ids if i not in seen]


def _count(statistics: dict, key: str) -> int | None:
    value = statistics.get(key)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _video(item: dict) -> YouTubeVideo:
    try:
        snippet = item.get("snippet") or {}
        statistics = item.get("statistics") or {}
        return YouTubeVideo(
            youtube_id=item["id"], channel_id=snippet.get("channelId", ""),
            title=snippet.get("title", item["id"]),
            published_at=parse_timestamp(snippet.get("publishedAt")),
            duration_s=parse_duration((item.get("contentDetails") or {}).get("duration")),
            views=_count(statistics, "viewCount"), likes=_count(statistics, "likeCount"),
            comments=_count(statistics, "commentCount"),
            privacy_status=(item.get("status") or {}).get("privacyStatus", ""))
    except (KeyError, TypeError, AttributeError) as exc:
        raise YouTubeError("videos.list response", f"has an item without {exc}",
                           "run again later") from None
