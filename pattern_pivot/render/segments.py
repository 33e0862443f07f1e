"""Shots cut from one source share one decoded input.

Every ffmpeg input is opened, decoded to a first frame and kept with its decoder's buffers
for the whole encode, so one input per shot made memory grow with the shot count. Instead,
each source gets one input: an ffconcat script (ffmpeg's concat demuxer) that reads the
pieces of the source the plan needs, in the order the output shows them, one piece after
another through one decoder. Shots close together and in order in the source share a
piece (decoding a short gap is cheaper than seeking again); a piece starts at its first
span unless the source's keyframes do not decode on their own there
(``sources.clean_seeks``), when it is read from an earlier point checked to seek cleanly,
or from the start of the file.

On the input's timeline each piece sits in its own slot, followed by a gap longer than the
source: the frames decoded between a keyframe and the piece's start (the pre-roll) land in
the previous slot's gap, where no shot's trim takes them. The script opens with a tiny piece
at the file's start, so the input's first timestamp is 0 and ffmpeg shifts nothing.
Because the pieces come in the output's order, each shot's frames arrive when the output
wants them: nothing is buffered for later shots.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

from pattern_pivot.errors import MediaError
from pattern_pivot.media.ffmpeg import tool
from pattern_pivot.render.sources import ReadLayout, SourceMedia, clean_seeks, read_layout

MERGE_GAP = 2.0  # seconds of source between two shots still decoded rather than sought over
TAIL = 0.1  # seconds read past a piece's last span (plus the file's interleaving lag)
MAX_LAG = 3.0  # a file interleaved worse than this still reads at most this far ahead
EPSILON = 1e-3


def _us(seconds: float) -> int:
    return int(round(seconds * 1_000_000))


def _seconds(us: int) -> str:
    return f"{us / 1_000_000:.6f}"


@dataclass
class Piece:
    """A stretch of the source read in one go: from ``inpoint`` to past its last span."""

    inpoint: float  # source seconds (from the file's start) where decoding starts
    shots: list[tuple[int, float]] = field(default_factory=list)  # (shot index, span start)
    first: float = 0.0  # source seconds of its first span's start
    last_end: float = 0.0  # source seconds where its last shot ends


@dataclass(frozen=True)
class SourceRead:
    """One source's input: the script to read it and where each shot's span starts."""

    path: Path
    script: Path
    at: dict[int, float]  # placed shot index -> input seconds of its span's start
    pieces: int


def _quoted(path: Path) -> str:
    text = f"file:{path}"
    if "\n" in text or "\r" in text:
        raise MediaError(str(path), "has a line break in its name, which ffmpeg cannot read "
                         "in a concat script", "rename the file without line breaks")
    return "'" + text.replace("'", "'\\''") + "'"


def _pieces(cuts: list[tuple[int, float, float]], clean: dict[float, bool] | None
            ) -> list[Piece]:
    """``cuts`` (shot index, span start, span end) in output order, grouped into pieces.
    With ``clean`` (points checked: seeks cleanly; a start not checked counts as clean), a
    piece that cannot seek starts at the latest clean point before it, else at 0, and so
    swallows the pieces after it that come later in the source."""
    anchors = [at for at, ok in (clean or {}).items() if ok and at > 0]
    pieces: list[Piece] = []
    for index, start, end in cuts:
        inpoint = start if clean is None or clean.get(start, True) else \
            max((at for at in anchors if at < start), default=0.0)
        last = pieces[-1] if pieces else None
        if (last is not None and start >= last.last_end - EPSILON
                and inpoint - last.last_end <= MERGE_GAP):
            last.shots.append((index, start))
            last.last_end = max(last.last_end, end)
            continue
        pieces.append(Piece(inpoint, [(index, start)], start, end))
    return pieces


def _group(source: SourceMedia, cuts: list[tuple[int, float, float]]) -> list[Piece]:
    """Pieces for one source: merged by distance, checked for clean seeks, merged again.
    A piece whose start does not seek cleanly decodes from the nearest checked point before
    it that does (a file's bad keyframes are often a few late ones), else from the start."""
    first = _pieces(cuts, None)
    clean = clean_seeks(source.path, [piece.first for piece in first if piece.first > 0])
    return first if all(clean.values()) else _pieces(cuts, clean)


def check_spans(shots: list) -> None:
    """Every source shot (``graph.ShotInput``) cuts a video inside its length."""
    for item in shots:
        if item.source is None:
            continue
        span = item.placed.shot.span
        info = item.source.info
        if info.video is None:
            raise MediaError(str(item.source.path), "has no video stream to cut from",
                             f"use a video for {span.video_id}, or a still or card shot")
        if span.start >= info.duration:
            raise MediaError(str(item.source.path), f"is {info.duration:.1f} s long, but the "
                             f"plan cuts from {span.start:.1f} s",
                             "re-run the remix plan: its span is outside the video")


def plan_reads(shots: list, workdir: Path, fps: int,
               sound_ready: Callable[[dict[Path, SourceRead]], None] | None = None
               ) -> dict[Path, SourceRead]:
    """One ``SourceRead`` per source file the shots (``graph.ShotInput``, checked by
    ``check_spans``) cut, its script written under ``workdir``.

    ``sound_ready``, if given, is called with reads for the sound alone as soon as the
    files' layouts are known, before their seek checks end: sound decodes cleanly from any
    point, so its pieces always start at their spans (the same pieces as the pictures'
    wherever the keyframes seek cleanly), and the audio mix need not wait."""
    by_source: dict[Path, list] = {}
    for item in shots:
        if item.source is not None:
            by_source.setdefault(item.source.path.resolve(), []).append(item)
    cuts = {path: [(i.placed.index, i.placed.shot.span.start,
                    i.placed.shot.span.start + i.placed.duration) for i in items]
            for path, items in by_source.items()}
    # Per source two chains of short runs, all side by side: its packet layout and then
    # the opening piece's start shift; and its seek checks.
    with ThreadPoolExecutor(max_workers=min(8, 2 * len(by_source)) or 1) as pool:
        openings = {path: pool.submit(_opening, path) for path in by_source}
        groups = {path: pool.submit(_group, items[0].source, cuts[path])
                  for path, items in by_source.items()}
        if sound_ready is not None:
            sound_ready({path: _write(path, by_source[path][0].source,
                                      *openings[path].result(), _pieces(cuts[path], None),
                                      workdir / f"sound-{n}.ffconcat", fps)
                         for n, path in enumerate(by_source)})
        return {path: _write(path, by_source[path][0].source, *openings[path].result(),
                             groups[path].result(), workdir / f"source-{n}.ffconcat", fps)
                for n, path in enumerate(by_source)}


def _opening(path: Path) -> tuple[ReadLayout, list[str], int]:
    """A file's packet layout, the script lines of its opening piece (a frame or two at
    the file's start, so the input starts near 0), and the time shift ffmpeg then applies
    to every timestamp (microseconds): an MP4 whose audio opens with an encoder-priming
    packet starts ~21 ms early, so every time moves by as much. The opening piece alone
    sets it (later pieces start far later): probed once per file."""
    layout = read_layout(path)
    origin, ahead = _us(layout.start_time), _ahead(layout)
    opening = ["ffconcat version 1.0", f"file {_quoted(path)}", f"inpoint {_seconds(origin)}",
               f"outpoint {_seconds(origin + ahead)}"]
    shift = _us(_start_shift(str(path), path.stat().st_mtime_ns, "\n".join(opening)))
    return layout, opening, shift


def _ahead(layout: ReadLayout) -> int:
    """How far past a piece's last span it is read (microseconds)."""
    return _us(TAIL + min(layout.lag, MAX_LAG))


def _write(path: Path, source: SourceMedia, layout: ReadLayout, opening: list[str],
           shift: int, pieces: list[Piece], script: Path, fps: int) -> SourceRead:
    origin, ahead = _us(layout.start_time), _ahead(layout)
    gap = _us(math.ceil(source.info.duration) + 1.0)  # longer than any pre-roll
    name = _quoted(path)
    # Each slot starts so that its first shot begins on the output frame grid (the input is
    # brought to the frame rate once, before its shots are cut).
    frame = 1_000_000 / fps
    slots, at, slot = [], {}, gap
    for piece in pieces:
        first = slot + _us(piece.first) - _us(piece.inpoint) - shift
        slot += int(math.ceil(first / frame - 1e-6) * frame) - first
        slots.append(slot)
        for index, start in piece.shots:
            at[index] = (slot + _us(start) - _us(piece.inpoint) - shift) / 1_000_000
        slot += _us(piece.last_end) + ahead - _us(piece.inpoint) + gap
    lines = [*opening, f"duration {_seconds(slots[0])}"]
    for n, piece in enumerate(pieces):
        inpoint, outpoint = _us(piece.inpoint), _us(piece.last_end) + ahead
        length = (slots[n + 1] - slots[n]) if n + 1 < len(pieces) else outpoint - inpoint + gap
        lines += [f"file {name}", f"inpoint {_seconds(origin + inpoint)}",
                  f"outpoint {_seconds(origin + outpoint)}", f"duration {_seconds(length)}"]
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return SourceRead(path, script, at, len(pieces))


def forget_start_shifts() -> None:
    _start_shift.cache_clear()


@lru_cache(maxsize=64)
def _start_shift(path: str, mtime_ns: int, opening: str) -> float:
    with tempfile.TemporaryDirectory(prefix="pp-start-") as tmp:
        script = Path(tmp) / "start.ffconcat"
        script.write_text(opening + "\n", encoding="utf-8")
        proc = subprocess.run([tool("ffprobe"), "-v", "error", "-f", "concat", "-safe", "0",
                               "-show_entries", "format=start_time", "-of", "csv=p=0",
                               str(script)], stdin=subprocess.DEVNULL, capture_output=True,
                              check=False)
    if proc.returncode != 0:
        raise MediaError(path, "cannot be read by ffmpeg's concat demuxer ("
                         + proc.stderr.decode("utf-8", "replace").strip()[-200:] + ")",
                         "check that the source file is readable media")
    try:
        return float(proc.stdout.decode().strip())
    except ValueError:  # no timestamp at the start ("N/A"): nothing is moved
        return 0.0
