"""Sections of a talk and one slide per section, extractively (no model needed): a section
ends at a long pause or where the topic shifts (consecutive sentences' embeddings drift
apart); its slide is a title from its first sentence and up to three short bullets from
its other sentences."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.highlights.find import Embedder
from pattern_pivot.highlights.titles import title_from
from pattern_pivot.highlights.windows import Sentence, sentences, spoken_words
from pattern_pivot.transcription.types import Transcript

PAUSE_SECONDS = 1.2  # a pause this long between sentences may start a new section
SHIFT_BELOW = 0.35  # cosine similarity of neighbouring sentences under which the topic moved
MIN_SECTION_SECONDS = 8.0  # shorter sections are merged into the one before
MAX_BULLETS, BULLET_CHARS, TITLE_CHARS = 3, 70, 48


@dataclass(frozen=True)
class Slide:
    index: int
    start: float  # shown from here (the first slide from 0) ...
    end: float  # ... to here (the last one to the end of the video)
    title: str
    bullets: tuple[str, ...]

    def to_dict(self) -> dict:
        return asdict(self) | {"bullets": list(self.bullets)}


def _boundaries(found: Sequence[Sentence], vectors: np.ndarray | None) -> list[int]:
    """Indices of sentences that start a new section."""
    starts = [0]
    for i in range(1, len(found)):
        pause = found[i].start - found[i - 1].end >= PAUSE_SECONDS
        shift = False
        if vectors is not None:
            a, b = vectors[i - 1], vectors[i]
            shift = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9)) < SHIFT_BELOW
        if (pause or shift) and found[i].start - found[starts[-1]].start >= MIN_SECTION_SECONDS:
            starts.append(i)
    return starts


def make_slides(transcript: Transcript, duration: float, subject: str,
                embedder: Embedder | None = None) -> list[Slide]:
    words = spoken_words(transcript)
    if not words:
        raise PatternPivotError(f"presentation needs speech: {subject}",
                                "has no speech in its transcript",
                                "slides follow what is said: use a video where someone talks")
    found = sentences(words)
    vectors = (np.asarray(embedder.encode([s.text for s in found]), dtype=np.float32)
               if embedder is not None and len(found) > 1 else None)
    starts = _boundaries(found, vectors)
    slides = []
    for n, first in enumerate(starts):
        last = starts[n + 1] if n + 1 < len(starts) else len(found)
        group = found[first:last]
        bullets = tuple(title_from(s.text, BULLET_CHARS) for s in group[1:1 + MAX_BULLETS])
        begin = 0.0 if n == 0 else group[0].start
        end = found[last].start if last < len(found) else duration
        slides.append(Slide(n + 1, round(begin, 3), round(end, 3),
                            title_from(group[0].text, TITLE_CHARS), bullets))
    return slides
