"""What makes a clip stand alone, scored 0-1 per factor from the transcript, the audio's
energy and the sentence embeddings. Weights favour the text: a clip that opens on a hook and
ends on a full stop works muted; energy and key phrases break ties between such clips."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from pattern_pivot.highlights.energy import HOP_SECONDS, window_levels
from pattern_pivot.highlights.windows import Sentence, Window
from pattern_pivot.remix.writers.sentences import ends_sentence, is_complete, stands_alone

WEIGHTS = {"hook": 0.25, "complete": 0.2, "question_answer": 0.15, "energy": 0.15,
           "key_phrases": 0.2, "source_stats": 0.05}
HOOK_SECONDS = 4.0  # the hook has to land in the first seconds
# How each factor reads in a highlight's one-line reason.
LABELS = {"hook": "hook in the first seconds", "complete": "complete thought",
          "question_answer": "question and answer", "energy": "energy and emphasis",
          "key_phrases": "dense in the video's key phrases",
          "source_stats": "from a well-performing video"}
_SPEECH_DB = -45.0  # hops quieter than this are pauses, not delivery


def is_question(text: str) -> bool:
    return text.strip().rstrip("\"'”)»").endswith("?")


def hook(window: Window, found: Sequence[Sentence]) -> float:
    """A question or a standalone claim that starts the clip and lands within HOOK_SECONDS."""
    first = found[window.first_sentence]
    if first.end - window.start > HOOK_SECONDS * 3:  # a long wind-up is no hook
        return 0.2 if stands_alone(first.text) else 0.0
    if is_question(first.text):
        return 1.0
    if stands_alone(first.text):
        return 0.8 if first.end - window.start <= HOOK_SECONDS * 2 else 0.6
    return 0.3 if is_complete(first.text) else 0.0


def complete(window: Window, found: Sequence[Sentence]) -> float:
    """Starts on a sentence that needs nothing before it, ends on a full stop."""
    first, last = found[window.first_sentence], found[window.last_sentence]
    return 0.5 * stands_alone(first.text) + 0.5 * (ends_sentence(last.text)
                                                   and not is_question(last.text))


def question_answer(window: Window, found: Sequence[Sentence]) -> float:
    """A question the clip itself answers (a question left hanging at the end scores 0)."""
    inside = found[window.first_sentence:window.last_sentence + 1]
    for a, b in zip(inside, inside[1:]):
        if is_question(a.text) and not is_question(b.text) and len(b.text.split()) >= 3:
            return 1.0
    return 0.0


@dataclass(frozen=True)
class EnergyBaseline:
    mean: float
    std: float
    spread: float  # typical within-clip variation

    @classmethod
    def of(cls, profile: np.ndarray) -> "EnergyBaseline":
        speech = profile[profile > _SPEECH_DB]
        if len(speech) < 2:
            return cls(_SPEECH_DB, 1.0, 1.0)
        return cls(float(speech.mean()), max(float(speech.std()), 1.0),
                   max(float(speech.std()), 1.0))


def energy(window: Window, profile: np.ndarray, base: EnergyBaseline,
           hop: float = HOP_SECONDS) -> float:
    """Louder than the video's usual delivery (level) and more varied (emphasis)."""
    levels = window_levels(profile, window.start, window.end, hop)
    speech = levels[levels > _SPEECH_DB]
    if len(speech) < 2:
        return 0.0
    level = 1 / (1 + math.exp(-(float(speech.mean()) - base.mean) / base.std))
    emphasis = 1 / (1 + math.exp(-(float(speech.std()) - base.spread) / base.spread))
    return 0.6 * level + 0.4 * emphasis


def key_phrases(windows: Sequence[Window], vectors: np.ndarray) -> list[float]:
    """Similarity of each clip (mean of its sentences' embeddings) to the whole video's
    centroid, rescaled over the candidates: the clips that carry what the video is about."""
    if len(vectors) == 0 or not windows:
        return [0.0] * len(windows)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    centroid = unit.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
    sims = []
    for w in windows:
        v = unit[w.first_sentence:w.last_sentence + 1].mean(axis=0)
        sims.append(float(v @ centroid) / max(float(np.linalg.norm(v)), 1e-9))
    low, high = min(sims), max(sims)
    return [(s - low) / (high - low) if high > low else 0.5 for s in sims]


def combine(factors: dict[str, float]) -> float:
    """Weighted mean over the factors that were measured (an unknown factor is left out,
    not counted as zero)."""
    total = sum(WEIGHTS[k] for k in factors)
    return sum(WEIGHTS[k] * v for k, v in factors.items()) / total if total else 0.0


def reason(factors: dict[str, float], top: int = 3) -> list[str]:
    """The factors that contributed most, strongest first (only those that scored)."""
    ranked = sorted(factors, key=lambda k: WEIGHTS[k] * factors[k], reverse=True)
    return [LABELS[k] for k in ranked[:top] if factors[k] >= 0.3]
