"""Candidate clips: runs of whole sentences from the transcript's word timings, 15-60 s.

A clip starts where a sentence starts and ends where one ends (on its full stop), so its cut
points fall in the pauses between words. Transcripts without punctuation fall back to the
pauses the speaker makes (the same boundaries ``remix.spans`` cuts on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from pattern_pivot.remix.spans import PAD_SECONDS, sentence_ranges, span_of
from pattern_pivot.remix.writers.sentences import ends_sentence
from pattern_pivot.transcription.types import Transcript, Word

# Titles whose full stop ends no sentence ("Mr. Dashwood").
_ABBREVIATIONS = {"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "jr.", "sr.", "vs.", "e.g.",
                  "i.e.", "no."}


def _ends(word: Word) -> bool:
    return ends_sentence(word.text) and word.text.strip().lower() not in _ABBREVIATIONS


@dataclass(frozen=True)
class Sentence:
    first: int  # word indices (inclusive)
    last: int
    start: float  # first word's start, last word's end (seconds)
    end: float
    text: str


@dataclass(frozen=True)
class Window:
    first_sentence: int  # sentence indices (inclusive)
    last_sentence: int
    start: float  # cut points, widened into the surrounding pauses
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def spoken_words(transcript: Transcript) -> list[Word]:
    return [w for w in transcript.words if w.text.strip()]


def sentences(words: Sequence[Word]) -> list[Sentence]:
    """Whole sentences (ending on . ? !); pause-delimited phrases when nothing is punctuated."""
    if not words:
        return []
    punctuated = any(_ends(w) for w in words)
    if punctuated:
        ranges, a = [], 0
        for i, w in enumerate(words):
            if _ends(w) or i == len(words) - 1:
                ranges.append((a, i))
                a = i + 1
    else:
        ranges = sentence_ranges(words, 0, len(words) - 1)
    return [Sentence(a, b, words[a].start, words[b].end,
                     " ".join(w.text.strip() for w in words[a:b + 1])) for a, b in ranges]


def cut_points(words: Sequence[Word], first: int, last: int, duration: float,
               pad: float = PAD_SECONDS) -> tuple[float, float]:
    """Cuts in the pauses around words ``first``..``last``: at most ``pad`` seconds out,
    never past the middle of the gap to the neighbouring word."""
    span = span_of("", words, first, last, duration=duration or None, pad=pad)
    return span.start, span.end  # the remix's own cut rule, so shorts cut the same way


def candidate_windows(words: Sequence[Word], found: Sequence[Sentence], duration: float,
                      min_seconds: float, max_seconds: float) -> list[Window]:
    """Every run of consecutive sentences whose clip lasts ``min_seconds``-``max_seconds``."""
    out = []
    for i, first in enumerate(found):
        for j in range(i, len(found)):
            start, end = cut_points(words, first.first, found[j].last, duration)
            if end - start > max_seconds:
                break
            if end - start >= min_seconds:
                out.append(Window(i, j, start, end))
    return out
