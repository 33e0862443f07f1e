"""A channel's own names for things, given to ASR and then enforced on what it heard.

Whisper is told the terms (``hotwords``), which fixes most misses; what still comes out
close to a term ("Creative comments" for "Creative Commons", "comfy UI" for "ComfyUI") is
then spelled as the glossary spells it, keeping each word's timing, so captions and scripts
show the channel's spelling.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import Sequence

from pattern_pivot.transcription.types import Segment, Transcript, Word

MAX_TERMS = 40  # faster-whisper keeps about 110 tokens of hotwords
SIMILARITY = 0.84  # how close a heard phrase must be to a term to be respelled
# Names in a title: runs of capitalised words, and words with inner capitals or digits.
_NAME_RUN = re.compile(r"\b(?:[A-Z][\w'’-]*[a-z0-9][\w'’-]*)(?:\s+(?:[A-Z][\w'’-]*))+")
_ODD_WORD = re.compile(r"\b(?=\w*[a-z])(?=\w*(?:[A-Z]|\d))[A-Za-z][\w-]*[A-Z0-9][\w-]*\b")
_KEY = re.compile(r"[^a-z0-9]+")


def terms_from_title(title: str) -> list[str]:
    """Proper names a title spells out: "Creative Commons explained" -> ["Creative Commons"],
    "Why ComfyUI beats Automatic1111" -> ["ComfyUI", "Automatic1111"]."""
    found = [m.group(0) for m in _NAME_RUN.finditer(title)]
    found += [m.group(0) for m in _ODD_WORD.finditer(title)
              if not any(m.group(0) in f for f in found)]
    return list(dict.fromkeys(t.strip() for t in found if len(t.strip()) > 2))


def clean_terms(terms: Sequence[str]) -> tuple[str, ...]:
    """Distinct, non-empty, single-spaced terms in a stable order, at most MAX_TERMS."""
    seen: dict[str, str] = {}
    for term in terms:
        term = " ".join(str(term).split())
        if term and _key(term) and _key(term) not in seen:
            seen[_key(term)] = term
    return tuple(sorted(seen.values(), key=str.lower))[:MAX_TERMS]


def _key(text: str) -> str:
    return _KEY.sub("", text.lower())


def _respelled(words: list[Word], term: str) -> list[Word] | None:
    """``words`` (as heard) in ``term``'s spelling when they are close to it, else None.
    As many words as the term has may differ a little ("Creative comments"); another number
    of words must be the same letters ("comfy UI" for "ComfyUI"), so no word is swallowed."""
    heard = _key("".join(w.text for w in words))
    wanted = _key(term)
    if not heard or heard[0] != wanted[0]:
        return None
    if " ".join(w.text.strip(".,!?;:") for w in words) == term:
        return None  # already spelled so
    if len(words) != len(term.split()):
        if heard != wanted:
            return None
    elif difflib.SequenceMatcher(None, heard, wanted).ratio() < SIMILARITY:
        return None
    tail = re.search(r"[.,!?;:]+$", words[-1].text)
    parts = term.split()
    if len(parts) != len(words):  # "comfy UI" -> "ComfyUI": one word over their time
        parts = [term]
        words = [replace(words[0], end=words[-1].end)]
    out = [replace(w, text=p) for w, p in zip(words, parts)]
    if tail:
        out[-1] = replace(out[-1], text=out[-1].text + tail.group(0))
    return out


def apply_glossary(transcript: Transcript, terms: Sequence[str]) -> Transcript:
    """The transcript with phrases heard close to a glossary term spelled as the term."""
    if not terms:
        return transcript
    segments = []
    changed = 0
    for segment in transcript.segments:
        words = list(segment.words)
        i = 0
        while i < len(words):
            for term in terms:
                n = len(term.split())
                for width in sorted({n, n + 1, max(1, n - 1)}):
                    fixed = _respelled(words[i:i + width], term) if i + width <= len(words) \
                        else None
                    if fixed:
                        words[i:i + width] = fixed
                        changed += 1
                        break
                else:
                    continue
                break
            i += 1
        if words != list(segment.words):
            segment = Segment(start=segment.start, end=segment.end,
                              text=" ".join(w.text for w in words), words=tuple(words))
        segments.append(segment)
    if not changed:
        return transcript
    return replace(transcript, segments=tuple(segments),
                   stats={**transcript.stats, "glossary_respelled": changed})
