"""Cues to and from SRT, WebVTT and ASS, through pysubs2 (it owns the file formats).

ASS keeps centiseconds: a start is rounded up so that it never shows before the voice.
ASS cues with words carry ``\\k`` karaoke tags, so a player highlights each word as it is
spoken (the primary colour sweeps over the secondary one).
"""

from __future__ import annotations

import html
import math
import os
import tempfile
from pathlib import Path
from typing import Sequence

import pysubs2

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.subtitles.cues import Cue

FORMATS = ("srt", "vtt", "ass")
STYLE = "Default"


class SubtitleFormatError(PatternPivotError):
    """An unknown subtitle format, or a subtitle file that does not parse."""


def check_format(fmt: str) -> str:
    fmt = fmt.lower().lstrip(".")
    if fmt == "webvtt":
        fmt = "vtt"
    if fmt not in FORMATS:
        raise SubtitleFormatError(f"subtitle format {fmt!r}", "is not supported",
                                  f"use one of {', '.join(FORMATS)}")
    return fmt


def _plain(text: str, fmt: str = "ass") -> str:
    # Braces open ASS override blocks and a backslash starts a tag: neither may come from
    # the words themselves (pysubs2 would drop them from SRT and VTT too). WebVTT text must
    # escape &, < and > (pysubs2 writes them raw).
    text = text.replace("\\", "/").replace("{", "(").replace("}", ")")
    return html.escape(text, quote=False) if fmt == "vtt" else text


def _karaoke(cue: Cue, start_ms: int) -> str:
    """Each word's ``\\k`` length runs from its start to the next word's start, in
    centiseconds on a cumulative grid (no drift over a long cue)."""
    words = cue.words
    parts, at = [], start_ms / 10
    for n, word in enumerate(words):
        until = words[n + 1].start if n + 1 < len(words) else word.end
        boundary = max(round(until * 100), round(at))
        parts.append(f"{{\\k{boundary - round(at)}}}{_plain(word.text)}")
        at = boundary
    # Break the line where the cue's first line ends.
    first = next((k for k in range(1, len(words))
                  if " ".join(w.text for w in words[:k]) == cue.lines[0]), len(words))
    return " ".join(parts[:first]) + ("\\N" + " ".join(parts[first:]) if first < len(words)
                                      else "")


def to_ssafile(cues: Sequence[Cue], fmt: str = "srt", *, karaoke: bool = True,
               width: int = 1920, height: int = 1080) -> pysubs2.SSAFile:
    fmt = check_format(fmt)
    subs = pysubs2.SSAFile()
    if fmt == "ass":
        subs.info["PlayResX"], subs.info["PlayResY"] = str(width), str(height)
        subs.styles[STYLE] = pysubs2.SSAStyle(
            fontname="DejaVu Sans", fontsize=round(height * 0.05), bold=True,
            primarycolor=pysubs2.Color(255, 212, 0),  # sung (spoken) words: yellow
            secondarycolor=pysubs2.Color(255, 255, 255),  # words still to come: white
            outlinecolor=pysubs2.Color(0, 0, 0), backcolor=pysubs2.Color(0, 0, 0, 128),
            outline=max(1.0, round(height * 0.003, 1)), shadow=0.0,
            marginv=round(height * 0.06))
    for cue in cues:
        start, end = round(cue.start * 1000), round(cue.end * 1000)
        if fmt == "ass":
            start, end = math.ceil(start / 10) * 10, round(end / 10) * 10
            end = max(end, start + 10)
        if fmt == "ass" and karaoke and cue.words:
            text = _karaoke(cue, start)
        else:
            text = "\\N".join(_plain(line, fmt) for line in cue.lines)
        subs.append(pysubs2.SSAEvent(start=start, end=end, text=text, style=STYLE))
    return subs


def subtitles_text(cues: Sequence[Cue], fmt: str, **options) -> str:
    fmt = check_format(fmt)
    return to_ssafile(cues, fmt, **options).to_string(fmt)


def write_subtitles(cues: Sequence[Cue], path: Path, fmt: str | None = None,
                    **options) -> Path:
    """Atomically write a subtitle file; the format comes from ``fmt`` or the suffix.
    No cues (silence) gives a valid empty file."""
    path = Path(path)
    text = subtitles_text(cues, fmt or path.suffix, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def parse_subtitles(text: str, fmt: str) -> list[Cue]:
    """Cues (plain text lines, no karaoke) from subtitle text."""
    fmt = check_format(fmt)
    try:
        subs = pysubs2.SSAFile.from_string(text, format_=fmt)
    except Exception as exc:  # pysubs2 raises several kinds for malformed files
        raise SubtitleFormatError(f"{fmt} subtitles", f"do not parse ({exc})",
                                  "regenerate the file with `pattern-pivot subtitles`") from exc
    unescape = html.unescape if fmt == "vtt" else str
    return [Cue(start=e.start / 1000, end=e.end / 1000,
                lines=tuple(unescape(e.plaintext).split("\n")))
            for e in subs if not e.is_comment]


def read_subtitles(path: Path) -> list[Cue]:
    path = Path(path)
    return parse_subtitles(path.read_text(encoding="utf-8"), path.suffix)
