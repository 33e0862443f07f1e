"""The last guard against Whisper's loops: drop a sentence that repeats one just said.

Whisper stuck in a loop emits the same sentence again and again, each copy with its own
plausible timestamps. A sentence of ``MIN_WORDS`` or more that equals (ignoring case and
punctuation) one of the last ``RECENT`` sentences kept is dropped. Real speech rarely repeats
a sentence that long at once; short ones ("No. No.") are left alone.
"""

from __future__ import annotations

import re
from collections import deque

from pattern_pivot.transcription.types import Word

MIN_WORDS = 4
RECENT = 3
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*$")
_NOT_WORD = re.compile(r"[^\w']+")


def _key(words: list[Word]) -> tuple[str, ...]:
    return tuple(k for k in (_NOT_WORD.sub("", w.text.lower()) for w in words) if k)


def sentences(words: list[Word]) -> list[list[Word]]:
    """Words split after each sentence-ending punctuation; the last run ends a sentence too."""
    found, current = [], []
    for word in words:
        current.append(word)
        if _SENTENCE_END.search(word.text):
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


class RepeatFilter:
    """Fed one segment's words at a time, in order; remembers what it kept."""

    def __init__(self) -> None:
        self._recent: deque[tuple[str, ...]] = deque(maxlen=RECENT)
        self.dropped = 0  # sentences dropped so far

    def keep(self, words: list[Word]) -> list[Word]:
        """The words of one segment, less any sentence that repeats a recent one."""
        kept: list[Word] = []
        for sentence in sentences(words):
            key = _key(sentence)
            if len(key) >= MIN_WORDS and key in self._recent:
                self.dropped += 1
                continue
            kept.extend(sentence)
            if key:
                self._recent.append(key)
        return kept
