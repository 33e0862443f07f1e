"""`pattern-pivot youtube sync`: register a channel's new uploads in the catalog, remembering
between runs which channels' backlogs were walked to the end.

The catalog alone says which uploads are known, not whether older ones remain: without that,
every sync had to walk the whole uploads playlist. The state file (the upload sensor's cursor
format) holds it, so a steady-state sync reads one playlist page per channel.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from pattern_pivot.catalog import Catalog
from pattern_pivot.youtube.api import YouTubeClient
from pattern_pivot.youtube.uploads import (
    ChannelState,
    UploadScan,
    dump_states,
    find_new_uploads,
    load_states,
)

log = logging.getLogger(__name__)
STATE_NAME = "youtube_sync.json"  # next to the catalog, whose memory it completes


def read_states(path: Path) -> dict[str, ChannelState]:
    """The saved states; a missing or unreadable file costs one full walk, not the sync."""
    try:
        return load_states(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        log.warning("%s is unreadable (%s): walking every channel's uploads once to rebuild "
                    "it", path, exc)
        return {}


def save_states(path: Path, states: dict[str, ChannelState]) -> None:
    """Atomically: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(dump_states(states))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sync_uploads(client: YouTubeClient, catalog: Catalog, channel_refs: list[str],
                 limit: int, state_path: Path) -> tuple[UploadScan, list[str]]:
    """New uploads registered in the catalog; returns the scan and their catalog ids."""
    states = read_states(state_path)
    # The catalog is the memory of what is known: every registered upload counts as seen.
    for entry in catalog.youtube_entries():
        states.setdefault(entry.channel_id, ChannelState()).seen.add(entry.youtube_id)
    scan = find_new_uploads(client, channel_refs, states, limit)
    keys = [catalog.register_youtube(v.youtube_id, v.channel_id, v.title, v.published_at,
                                     v.duration_s).video_id for v in scan.new]
    # Saved only once the catalog holds them: the state never runs ahead of the catalog.
    save_states(state_path, scan.states)
    return scan, keys
