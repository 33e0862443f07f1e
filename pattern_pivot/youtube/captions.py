"""YouTube's own captions as a Transcript with word timings, so no ASR is needed.

json3 (what YouTube serves for automatic captions) carries each word's offset inside its
event: those timings are used as they are. Cue-level captions (WebVTT, or json3 of uploaded
subtitles) only time whole lines: the words of a cue share its time in proportion to their
length. Times are seconds as floats.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pattern_pivot.errors import MediaError
from pattern_pivot.transcription.types import Segment, Transcript, Word

_VTT_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{3})")
_VTT_CUE = re.compile(rf"^\s*({_VTT_TIME.pattern})\s+-->\s+({_VTT_TIME.pattern})")
_TAG = re.compile(r"<[^>]*>")
_INLINE_TIME = re.compile(r"<(\d+:\d{2}:\d{2}\.\d{3}|\d{1,2}:\d{2}\.\d{3})>")


def _seconds(stamp: str) -> float:
    h, m, s, ms = _VTT_TIME.match(stamp).groups()
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def spread_words(text: str, start: float, end: float) -> tuple[Word, ...]:
    """A cue's words over its time, each in proportion to its length (plus a space)."""
    tokens = text.split()
    if not tokens:
        return ()
    weights = [len(t) + 1 for t in tokens]
    span, total, at, words = max(end - start, 0.0), sum(weights), start, []
    for token, weight in zip(tokens, weights):
        step = span * weight / total
        words.append(Word(round(at, 3), round(at + step, 3), token))
        at += step
    return tuple(words)


def _json3_segments(data: dict) -> list[Segment]:
    segments = []
    for event in data.get("events") or []:
        segs = event.get("segs") or []
        if not segs or "tStartMs" not in event:
            continue
        start = event["tStartMs"] / 1000
        end = start + event.get("dDurationMs", 0) / 1000
        pieces = [(s.get("tOffsetMs"), s.get("utf8", "")) for s in segs]
        text = " ".join("".join(p for _, p in pieces).split())
        if not text:
            continue
        timed = [(off, piece.strip()) for off, piece in pieces if piece.strip()]
        if len(timed) > 1 and any(off is not None for off, _ in timed[1:]):
            # Automatic captions: one word per seg, each with its offset in the event.
            starts = [start + (off or 0) / 1000 for off, _ in timed]
            ends = starts[1:] + [max(end, starts[-1])]
            words = tuple(Word(round(a, 3), round(b, 3), t)
                          for (a, b, (_, t)) in zip(starts, ends, timed))
        else:
            words = spread_words(text, start, end)
        segments.append(Segment(round(start, 3), round(end, 3), text, words))
    return segments


def _vtt_segments(text: str) -> list[Segment]:
    segments: list[Segment] = []
    previous_lines: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _VTT_CUE.match(lines[i])
        i += 1
        if not match:
            continue
        start, end = _seconds(match.group(1)), _seconds(match.group(6))
        body = []
        while i < len(lines) and lines[i].strip():
            body.append(lines[i])
            i += 1
        # Rolling automatic captions repeat the previous cue's line: keep only new lines.
        fresh = [line for line in body if _TAG.sub("", line).strip() not in previous_lines]
        previous_lines = [_TAG.sub("", line).strip() for line in body]
        cue_text = " ".join(" ".join(_TAG.sub("", line).split()) for line in fresh).strip()
        if not cue_text:
            continue
        segments.append(Segment(round(start, 3), round(end, 3), cue_text,
                                spread_words(cue_text, start, end)))
    return segments


def read_captions(path: Path, language: str = "en", kind: str = "") -> Transcript:
    """A caption file (json3 or WebVTT) as a Transcript."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
        segments = (_json3_segments(json.loads(raw)) if path.suffix == ".json3"
                    else _vtt_segments(raw))
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise MediaError(str(path), f"is not a readable caption file ({exc})",
                         "re-run source_video to download the captions again") from None
    duration = max((s.end for s in segments), default=0.0)
    return Transcript(language=language.split("-")[0] or "en", language_probability=1.0,
                      duration=duration, segments=tuple(segments),
                      model=f"youtube-captions:{kind or 'unknown'}",
                      stats={"source": "captions", "caption_file": path.name,
                             "caption_kind": kind})
