"""Translation quality without a reference: translate, translate back, and compare the
round trip with the source by sentence-embedding similarity; a low score flags a sentence
for review (a mistranslation seldom survives the trip back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from pattern_pivot.subtitles.cues import Cue
from pattern_pivot.subtitles.translate import Translator, sentences

# Below this cosine (all-MiniLM-L6-v2, normalised) the back-translation no longer says the
# same thing: paraphrases of one sentence score ~0.8-0.95, unrelated sentences < 0.3.
FLAG_BELOW = 0.6


@dataclass(frozen=True)
class RoundTrip:
    start: float  # where the sentence's first cue starts
    source: str
    translated: str
    back: str
    similarity: float

    @property
    def flagged(self) -> bool:
        return self.similarity < FLAG_BELOW


def round_trip(cues: Sequence[Cue], forward: Translator, backward: Translator,
               encode: Callable[[list[str]], np.ndarray]) -> list[RoundTrip]:
    """One score per sentence of ``cues``. ``encode`` returns normalised embeddings (the
    bundled SentenceEmbedder.encode)."""
    groups = sentences(cues)
    if not groups:
        return []
    sources = [" ".join(" ".join(cues[n].lines) for n in group) for group in groups]
    translated = forward.translate(sources)
    back = backward.translate(translated)
    vectors = encode(sources + back)
    similarity = np.sum(vectors[:len(sources)] * vectors[len(sources):], axis=1)
    return [RoundTrip(cues[group[0]].start, s, t, b, round(float(sim), 4))
            for group, s, t, b, sim in zip(groups, sources, translated, back, similarity)]
