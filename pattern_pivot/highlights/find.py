"""Find the best self-contained moments of one video from its transcript and speech audio."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.highlights import scoring
from pattern_pivot.highlights.energy import energy_profile
from pattern_pivot.highlights.select import pick
from pattern_pivot.highlights.titles import title_from
from pattern_pivot.highlights.windows import candidate_windows, sentences, spoken_words
from pattern_pivot.transcription.types import Transcript

log = logging.getLogger(__name__)

MIN_SECONDS, MAX_SECONDS = 15.0, 60.0


class Embedder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Highlight:
    start: float
    end: float
    score: float
    title: str
    reason: str  # one line: the top scoring factors
    reasons: tuple[str, ...]
    text: str
    factors: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return round(self.end - self.start, 3)

    def to_dict(self) -> dict:
        return asdict(self) | {"reasons": list(self.reasons)}

    @classmethod
    def from_dict(cls, data: dict) -> "Highlight":
        return cls(**(data | {"reasons": tuple(data["reasons"])}))


def find_highlights(transcript: Transcript, wav_path: Path | None, *, subject: str,
                    embedder: Embedder | None = None, count: int = 3,
                    min_seconds: float = MIN_SECONDS, max_seconds: float = MAX_SECONDS,
                    source_stats: float | None = None,
                    performance: Callable[[str], float] | None = None) -> list[Highlight]:
    """Up to ``count`` clips of ``min_seconds``-``max_seconds``, best first.

    ``source_stats``: how well the video performed (0-1) when known; it lifts all of its
    clips alike, so scores compare across videos. ``performance(first sentence)``: a
    factor near 1 from how published clips that open the same way did (off: None).
    Raises when the video has no speech or no run of whole sentences fits the length bounds.
    """
    if not 0 < min_seconds <= max_seconds:
        raise PatternPivotError(f"lengths {min_seconds}-{max_seconds} s",
                                "are not a valid range", "give 0 < min length <= max length")
    words = spoken_words(transcript)
    if not words:
        raise PatternPivotError(f"shorts needs speech: {subject}",
                                "has no speech in its transcript", "shorts are cut on "
                                "sentences: use a video where someone speaks")
    found = sentences(words)
    windows = candidate_windows(words, found, transcript.duration, min_seconds, max_seconds)
    if not windows:
        raise PatternPivotError(
            subject, f"has no run of whole sentences lasting {min_seconds:g}-{max_seconds:g} s "
            f"({len(found)} sentence(s), {words[-1].end - words[0].start:.0f} s of speech)",
            "lower --min-length or raise --max-length")
    log.info("%s: scoring %d candidate clips over %d sentences", subject, len(windows),
             len(found))
    per_factor: dict[str, list[float]] = {
        "hook": [scoring.hook(w, found) for w in windows],
        "complete": [scoring.complete(w, found) for w in windows],
        "question_answer": [scoring.question_answer(w, found) for w in windows]}
    if wav_path is not None:
        profile = energy_profile(wav_path)
        base = scoring.EnergyBaseline.of(profile)
        per_factor["energy"] = [scoring.energy(w, profile, base) for w in windows]
    if embedder is not None:
        vectors = np.asarray(embedder.encode([s.text for s in found]), dtype=np.float32)
        per_factor["key_phrases"] = scoring.key_phrases(windows, vectors)
    if source_stats is not None:
        per_factor["source_stats"] = [float(min(1.0, max(0.0, source_stats)))] * len(windows)
    factors = [{k: round(v[i], 3) for k, v in per_factor.items()} for i in range(len(windows))]
    scores = [scoring.combine(f) for f in factors]
    if performance is not None:  # how clips that open this way did once published
        scores = [score * performance(found[w.first_sentence].text)
                  for score, w in zip(scores, windows)]
    out = []
    for i in pick(windows, scores, count, transcript.duration):
        w = windows[i]
        inside = found[w.first_sentence:w.last_sentence + 1]
        reasons = tuple(scoring.reason(factors[i]))
        out.append(Highlight(
            start=w.start, end=w.end, score=round(scores[i], 3),
            title=title_from(inside[0].text), reasons=reasons,
            reason="; ".join(reasons) or "the best-scoring whole sentences in this video",
            text=" ".join(s.text for s in inside), factors=factors[i]))
    return out
