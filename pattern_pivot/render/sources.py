"""Where a plan's source spans come from: the stored source of each `videos` partition, and
its transcript words (captions for shots that keep the speaker's own voice)."""

from __future__ import annotations

import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pattern_pivot import ingest
from pattern_pivot.catalog import Catalog
from pattern_pivot.media.ffmpeg import ffprobe_json, tool
from pattern_pivot.media.probe import MediaInfo, probe
from pattern_pivot.media.store import MediaStore
from pattern_pivot.transcription.types import Transcript, Word


@dataclass(frozen=True)
class SourceMedia:
    path: Path
    info: MediaInfo
    words: tuple[Word, ...] = ()  # the source transcript's words, source-relative times


CHECK_FRAMES = 8  # frames decoded after a seek to call it clean
KEYFRAME_MARGIN = 0.01  # seconds kept clear of the second keyframe (timestamps round in the probe)
BATCH = 8  # seek points checked by one ffmpeg run (each an input with its own decoder)


def seeks_cleanly(path: Path, at: float) -> bool:
    """True when decoding from the keyframe before ``at`` gives clean pictures.

    Some files flag keyframes that still reference earlier frames (cockatoo.mp4 does); input
    seeking into them yields smeared green pictures, so such sources are decoded from the
    start instead (slower, but correct).
    """
    return clean_seeks(path, [at])[at]


def clean_seeks(path: Path, points: list[float]) -> dict[float, bool]:
    """``seeks_cleanly`` for each of ``points``. A point before the file's second keyframe
    needs no check (``first_keyframe_reach``). Most files seek cleanly everywhere, so one
    ffmpeg run checks up to ``BATCH`` points (an input per point: a start-up per source
    rather than per shot); only a run that reports a decoding error is followed by a run per
    point, to find which. A file known to have such keyframes goes straight to those."""
    path = Path(path).resolve()
    key = (str(path), path.stat().st_mtime_ns)
    reach = first_keyframe_reach(path)
    wanted = {round(at, 3) for at in points if at > 0 and at >= reach}
    with _MEMO_LOCK:
        known = dict(_CLEAN.get(key, {}))
    todo = sorted(wanted - set(known))
    for n in range(0, len(todo), BATCH):
        batch = todo[n:n + BATCH]
        # A file with a point known not to seek cleanly would fail a shared run again.
        shared = len(batch) == 1 or all(known.values())
        if shared and _decodes_cleanly(key[0], batch):
            known.update(dict.fromkeys(batch, True))
            continue
        if len(batch) == 1:  # that run was this point's own
            known[batch[0]] = False
            continue
        with ThreadPoolExecutor(max_workers=4) as pool:  # tiny runs: mostly start-up
            known.update(zip(batch, pool.map(lambda at: _decodes_cleanly(key[0], [at]),
                                             batch)))
    with _MEMO_LOCK:
        _CLEAN[key] = {**_CLEAN.get(key, {}), **known}
        while len(_CLEAN) > 64:  # bounded: variants of a request cut the same spans
            del _CLEAN[next(iter(_CLEAN))]
    return {at: at <= 0 or at < reach or known[round(at, 3)] for at in points}


def first_keyframe_reach(path: Path) -> float:
    """Seconds from the file's start before which a seek lands on its first video keyframe,
    and so decodes as reading from the start does (the fallback for unclean seeks): no check
    needed. Up to the second keyframe among the probe's packets (by decode time, which is
    never later than the presentation time a seek may use), else as far as they were
    listed; 0 when the listing does not open with a keyframe."""
    data = ffprobe_json(path)
    video = next((stream.get("index") for stream in data.get("streams", [])
                  if stream.get("codec_type") == "video"), None)
    try:
        origin = float(data.get("format", {}).get("start_time", 0.0))
        times = [(float(packet["dts_time"]), "K" in packet.get("flags", ""))
                 for packet in data.get("packets", []) if packet.get("stream_index") == video]
    except (KeyError, TypeError, ValueError):
        return 0.0
    if not times or not times[0][1]:
        return 0.0
    keyframes = [dts for dts, key in times[1:] if key]
    return max(0.0, (keyframes[0] if keyframes else times[-1][0]) - origin - KEYFRAME_MARGIN)


_MEMO_LOCK = threading.Lock()
_CLEAN: dict[tuple[str, int], dict[float, bool]] = {}  # per file version: point -> clean


def forget_seek_checks() -> None:
    with _MEMO_LOCK:
        _CLEAN.clear()


def _decodes_cleanly(path: str, points: list[float]) -> bool:
    """One ffmpeg run decoding ``CHECK_FRAMES`` frames after seeking to each point; clean
    when it succeeds and logs nothing at error level."""
    inputs, outputs = [], []
    for n, at in enumerate(points):
        # One decoding thread per input: a batch opens up to BATCH decoders at once.
        inputs += ["-threads", "1", "-ss", f"{at:.3f}", "-i", path]
        outputs += ["-map", f"{n}:v:0", "-frames:v", str(CHECK_FRAMES), "-f", "null", "-"]
    # -xerror: the first decoding error ends the run (the answer is known by then).
    proc = subprocess.run([tool("ffmpeg"), "-nostdin", "-v", "error", "-xerror", *inputs,
                           *outputs],
                          stdin=subprocess.DEVNULL, capture_output=True, check=False)
    return proc.returncode == 0 and not proc.stderr.strip()


@dataclass(frozen=True)
class ReadLayout:
    """How a file's packets are laid out for reading it in pieces."""

    start_time: float  # the container's first timestamp (seconds; spans count from it)
    lag: float  # how far a packet may trail one of another stream already read (seconds)


def read_layout(path: Path) -> ReadLayout:
    """The start time, and the interleaving lag measured over the first seconds of packets
    (``ffprobe_json``'s, read, not decoded). A piece read up to an end point stops at the
    first packet past it, in any stream, so it must run on by the lag to hold every frame."""
    data = ffprobe_json(Path(path))
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
