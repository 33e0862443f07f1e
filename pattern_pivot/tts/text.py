"""Splitting narration text into sentences (the unit of synthesis) and words (captions)."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_TOKEN = re.compile(r"[^a-z0-9']+")


def sentences(text: str) -> list[str]:
    """``text`` split after each full stop, question or exclamation mark."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def words(text: str) -> list[str]:
    """The words of ``text`` as written (punctuation kept), the way captions show them."""
    return text.split()


def normalise_word(word: str) -> str:
    """Lower case, letters and digits only: what an ASR word and a script word share."""
    return _TOKEN.sub("", word.lower().replace("’", "'")).strip("'")
