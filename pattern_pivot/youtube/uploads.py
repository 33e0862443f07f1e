"""Find a channel's new uploads: walk its uploads playlist newest first and stop as soon as
the rest is known, so a steady-state check costs one or two quota units per channel.

State per channel: the YouTube ids already seen, and whether the whole backlog was walked
once. While the backlog is incomplete (a capped first look at a big channel), later looks
keep paging past known ids to pick up older uploads, a capped batch at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pattern_pivot.youtube.api import YouTubeClient
from pattern_pivot.youtube.errors import (
    YouTubeAuthError,
    YouTubeError,
    YouTubeQuotaError,
    YouTubeUnreachableError,
)
from pattern_pivot.youtube.types import Channel, YouTubeVideo


@dataclass
class ChannelState:
    seen: set[str] = field(default_factory=set)
    complete: bool = False


@dataclass
class UploadScan:
    new: list[YouTubeVideo] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)  # listed but deleted/private
    problems: dict[str, str] = field(default_factory=dict)  # channel ref -> clear error
    channels: dict[str, Channel] = field(default_factory=dict)  # ref -> resolved channel
    states: dict[str, ChannelState] = field(default_factory=dict)  # channel id -> state


def load_states(cursor: str | None) -> dict[str, ChannelState]:
    data = json.loads(cursor) if cursor else {}
    return {cid: ChannelState(set(s.get("seen", [])), bool(s.get("complete")))
            for cid, s in data.items()}


def dump_states(states: dict[str, ChannelState]) -> str:
    return json.dumps({cid: {"seen": sorted(s.seen), "complete": s.complete}
                       for cid, s in sorted(states.items())}, separators=(",", ":"))


def _new_ids(client: YouTubeClient, channel: Channel, state: ChannelState,
             limit: int) -> tuple[list[str], bool]:
    """Unseen ids (newest first, at most ``limit``) and whether the backlog is complete."""
    found: list[str] = []
    for page in client.upload_pages(channel):
        unseen = [i for i in page if i not in state.seen and i not in found]
        room = limit - len(found)
        found += unseen[:room]
        if len(unseen) > room:
            return found, False  # capped: older unseen uploads wait for the next look
        if state.complete and len(unseen) < len(page):
            return found, True  # reached uploads we already know
    return found, True  # walked to the oldest upload


def find_new_uploads(client: YouTubeClient, channel_refs: list[str],
                     states: dict[str, ChannelState], limit: int) -> UploadScan:
    """New uploads of every channel, at most ``limit`` in all, shared between channels so
    one big backlog cannot starve the others. An unknown channel is recorded as a problem
    and skipped; quota, key and connection errors stop the scan (raise), so a caller never
    stores a state past data it failed to read."""
    scan = UploadScan(states={cid: ChannelState(set(s.seen), s.complete)
                              for cid, s in states.items()})
    used = 0
    for position, ref in enumerate(channel_refs):
        # An equal share of what is left; a channel that uses less leaves more for the rest.
        room = (limit - used) // (len(channel_refs) - position)
        if room <= 0:
            continue
        try:
            channel = client.resolve_channel(ref)
        except (YouTubeQuotaError, YouTubeAuthError, YouTubeUnreachableError):
            raise  # every other channel would fail the same way
        except YouTubeError as exc:
            scan.problems[ref] = str(exc)
            continue
        scan.channels[ref] = channel
        state = scan.states.setdefault(channel.channel_id, ChannelState())
        ids, complete = _new_ids(client, channel, state, room)
        used += len(ids)
        videos, missing = client.videos(ids) if ids else ([], [])
        scan.new += videos
        scan.unavailable += missing
        state.seen |= set(ids)
        state.complete = complete
    return scan
