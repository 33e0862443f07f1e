"""Which spans to cut out of speech: filler words ("um", "uh") and long pauses, planned from
word timings when there is a transcript, or from ffmpeg's silence detection when not."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pattern_pivot.media.loudness import run_ffmpeg_stderr
from pattern_pivot.transcription.types import Word

FILLERS = frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm", "hm", "mm", "mhm",
                     "ah"})
# A pause longer than this reads as dead air; it is shortened to KEEP_PAUSE_S (half kept
# on each side, so words never lose their breath or their decay).
MAX_PAUSE_S = 0.8
KEEP_PAUSE_S = 0.4
# Silence for detection without a transcript: this far below the speech's loudness.
SILENCE_BELOW_SPEECH_DB = 25.0


@dataclass(frozen=True)
class Cut:
    start: float
    end: float
    why: str  # "filler 'um'", "pause"

    @property
    def length(self) -> float:
        return self.end - self.start


def is_filler(text: str) -> bool:
    return re.sub(r"[^a-z]", "", text.lower()) in FILLERS


def _pause_cut(start: float, end: float, max_pause: float, keep: float) -> list[Cut]:
    if end - start <= max_pause:
        return []
    return [Cut(start + keep / 2, end - keep / 2, "pause")]


def merge(cuts: Iterable[Cut], duration: float) -> list[Cut]:
    """Cuts clipped to the audio, sorted, overlapping ones joined."""
    merged: list[Cut] = []
    for cut in sorted(cuts, key=lambda c: c.start):
        start, end = max(0.0, cut.start), min(duration, cut.end)
        if end <= start:
            continue
        if merged and start <= merged[-1].end:
            last = merged[-1]
            why = last.why if cut.why == last.why else f"{last.why} + {cut.why}"
            merged[-1] = Cut(last.start, max(last.end, end), why)
        else:
            merged.append(Cut(start, end, cut.why))
    return merged


def cuts_from_words(words: Sequence[Word], duration: float, *, fillers: bool = True,
                    pauses: bool = True, max_pause: float = MAX_PAUSE_S,
                    keep_pause: float = KEEP_PAUSE_S) -> list[Cut]:
    """A filler goes with the whole gap it sits in between the words that stay, shortened
    to ``keep_pause`` (ASR times a filler loosely, its neighbours well, so the cut never
    leaves half an "um"); any other gap longer than ``max_pause`` is shortened the same."""
    cuts: list[Cut] = []

    def gap(start: float, end: float, dropped: list[str]) -> None:
        if dropped and end - start > keep_pause:
            cuts.append(Cut(start + keep_pause / 2, end - keep_pause / 2,
                            "filler " + " ".join(map(repr, dropped))))
        elif pauses:
            cuts.extend(_pause_cut(start, end, max_pause, keep_pause))

    previous_end, dropped = 0.0, []
    for word in sorted(words, key=lambda w: w.start):
        if fillers and is_filler(word.text):
            dropped.append(word.text.strip())
            continue
        gap(previous_end, word.start, dropped)
        previous_end, dropped = max(previous_end, word.end), []
    gap(previous_end, duration, dropped)
    return merge(cuts, duration)


def detected_silences(path: Path, threshold_db: float, min_length: float,
                      input_options: Sequence[str] = ()) -> list[tuple[float, float]]:
    """(start, end) of every stretch quieter than ``threshold_db`` dBFS for ``min_length`` s
    (ffmpeg silencedetect, an audio-only pass)."""
    log = run_ffmpeg_stderr(
        [*input_options, "-i", Path(path).resolve(), "-map", "0:a:0", "-af",
         f"silencedetect=noise={threshold_db:.1f}dB:d={min_length:.3f}", "-f", "null", "-"],
        subject=path, fix="check that the file has a decodable audio stream")
    starts = [float(m) for m in re.findall(r"silence_start: (-?[\d.]+)", log)]
    ends = [float(m) for m in re.findall(r"silence_end: (-?[\d.]+)", log)]
    return [(max(0.0, s), e) for s, e in zip(starts, ends)] + \
        ([(starts[-1], float("inf"))] if len(starts) > len(ends) else [])


def cuts_from_silence(silences: Iterable[tuple[float, float]], duration: float, *,
                      max_pause: float = MAX_PAUSE_S,
                      keep_pause: float = KEEP_PAUSE_S) -> list[Cut]:
    return merge((c for s, e in silences for c in _pause_cut(s, min(e, duration), max_pause,
                                                             keep_pause)), duration)


def kept_spans(cuts: Sequence[Cut], duration: float) -> list[tuple[float, float]]:
    """What remains between ``cuts`` (merged), in order."""
    spans, at = [], 0.0
    for cut in merge(cuts, duration):
        if cut.start > at:
            spans.append((at, cut.start))
        at = cut.end
    if duration > at:
        spans.append((at, duration))
    return spans

