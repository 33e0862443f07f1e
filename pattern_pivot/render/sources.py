"""Where a plan's source spans come from: the stored source of each `videos` partition, and
its transcript words (captions for shots that keep the speaker's own voice)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from pattern_pivot import ingest
from pattern_pivot.catalog import Catalog
from pattern_pivot.media.ffmpeg import tool
from pattern_pivot.media.probe import MediaInfo, probe
from pattern_pivot.media.store import MediaStore
from pattern_pivot.transcription.types import Transcript, Word


@dataclass(frozen=True)
class SourceMedia:
    path: Path
    info: MediaInfo
    words: tuple[Word, ...] = ()  # the source transcript's words, source-relative times


def seeks_cleanly(path: Path, at: float) -> bool:
    """True when decoding from the keyframe before ``at`` gives clean pictures.

    Some files flag keyframes that still reference earlier frames (cockatoo.mp4 does); input
    seeking into them yields smeared green pictures, so such sources are decoded from the
    start instead (slower, but correct).
    """
    if at <= 0:
        return True
    path = Path(path).resolve()
    return _seeks_cleanly(str(path), path.stat().st_mtime_ns, round(at, 3))


@lru_cache(maxsize=512)
def _seeks_cleanly(path: str, mtime_ns: int, at: float) -> bool:
    """Cached per file version: the variants of a request cut the same spans."""
    proc = subprocess.run([tool("ffmpeg"), "-nostdin", "-v", "error", "-ss", f"{at:.3f}", "-i",
                           path, "-map", "0:v:0", "-frames:v", "8", "-f", "null", "-"],
                          stdin=subprocess.DEVNULL, capture_output=True, check=False)
    return proc.returncode == 0 and not proc.stderr.strip()


@dataclass(frozen=True)
class ReadLayout:
    """How a file's packets are laid out for reading it in pieces."""

    start_time: float  # the container's first timestamp (seconds; spans count from it)
    lag: float  # how far a packet may trail one of another stream already read (seconds)


def read_layout(path: Path, window: float = 8.0) -> ReadLayout:
    """The start time, and the interleaving lag measured over the first ``window`` seconds
    of packets (read, not decoded). A piece read up to an end point stops at the first
    packet past it, in any stream, so it must run on by the lag to hold every frame."""
    path = Path(path).resolve()
    return _read_layout(str(path), path.stat().st_mtime_ns, window)


@lru_cache(maxsize=128)
def _read_layout(path: str, mtime_ns: int, window: float) -> ReadLayout:
    proc = subprocess.run([tool("ffprobe"), "-v", "error", "-read_intervals", f"%+{window:g}",
                           "-show_entries", "format=start_time:packet=dts_time", "-of", "json",
                           path], stdin=subprocess.DEVNULL, capture_output=True, check=False)
    data = json.loads(proc.stdout or b"{}") if proc.returncode == 0 else {}
    try:
        start = float(data.get("format", {}).get("start_time", 0.0))
    except (TypeError, ValueError):
        start = 0.0
    lag, latest = 0.0, None
    for packet in data.get("packets", []):
        try:
            dts = float(packet["dts_time"])
        except (KeyError, TypeError, ValueError):
            continue
        latest = dts if latest is None else max(latest, dts)
        lag = max(lag, latest - dts)
    return ReadLayout(start, lag)


class SourceResolver(Protocol):
    def __call__(self, video_id: str) -> SourceMedia: ...


class StoreSources:
    """Resolve video ids through the catalog and the media store (ingested sources)."""

    def __init__(self, catalog: Catalog, store: MediaStore):
        self._catalog, self._store = catalog, store
        self._cache: dict[str, SourceMedia] = {}

    def __call__(self, video_id: str) -> SourceMedia:
        if video_id not in self._cache:
            entry = self._catalog.get(video_id)
            output, info = ingest.source_output(entry, self._store)
            transcript_path = self._store.path(ingest.TRANSCRIPT, video_id,
                                               ingest.TRANSCRIPT_NAME)
            words = (tuple(Transcript.read_json(transcript_path).words)
                     if transcript_path.is_file() else ())
            self._cache[video_id] = SourceMedia(output.path, info, words)
        return self._cache[video_id]


class FileSources:
    """Resolve video ids to files given directly (the CLI's --source, tests)."""

    def __init__(self, files: dict[str, Path], transcripts: dict[str, Transcript] | None = None):
        self._files = files
        self._transcripts = transcripts or {}

    def __call__(self, video_id: str) -> SourceMedia:
        from pattern_pivot.errors import CatalogError

        if video_id not in self._files:
            raise CatalogError(f"video {video_id}", "is used by the plan but no file was given",
                               f"pass --source {video_id}=PATH")
        transcript = self._transcripts.get(video_id)
        return SourceMedia(Path(self._files[video_id]), probe(Path(self._files[video_id])),
                           tuple(transcript.words) if transcript else ())
