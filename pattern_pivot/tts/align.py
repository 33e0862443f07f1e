"""Word timings for captions: estimated from the synthesis, refined by aligning local ASR.

Whisper hears the narration and returns timed words; the script's words are matched to them
in order (difflib on normalised spellings), so captions show the script's exact words at the
times they are heard. Script words Whisper missed keep the synthesis estimate, clamped
between their matched neighbours so the caption order never goes backwards.
"""

from __future__ import annotations

import tempfile
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np

from pattern_pivot.media.audio import extract_speech_audio
from pattern_pivot.transcription.types import Transcriber, Word
from pattern_pivot.tts.text import normalise_word, words


def estimate_words(sentence: str, samples: np.ndarray, rate: int, offset: float) -> list[Word]:
    """Spread a sentence's words over its voiced part, in proportion to their length."""
    tokens = words(sentence)
    if not tokens:
        return []
    level = np.abs(samples.astype(np.float32))
    loud = np.flatnonzero(level > 0.05 * (level.max() if level.size else 0.0))
    first, last = (loud[0], loud[-1]) if loud.size else (0, len(samples))
    start, span = offset + first / rate, max(last - first, 1) / rate
    weights = np.array([len(t) + 2 for t in tokens], dtype=float)
    edges = np.concatenate([[0.0], np.cumsum(weights) / weights.sum()]) * span + start
    return [Word(start=round(float(a), 3), end=round(float(b), 3), text=t, prob=0.0)
            for t, a, b in zip(tokens, edges[:-1], edges[1:])]


def align(script_words: list[Word], heard: list[Word]) -> list[Word]:
    """Script words with the timings of the ASR words they match (estimate otherwise)."""
    ours = [normalise_word(w.text) for w in script_words]
    theirs = [normalise_word(w.text) for w in heard]
    timed: list[Word | None] = [None] * len(script_words)
    matcher = SequenceMatcher(a=ours, b=theirs, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            mine, asr = script_words[block.a + k], heard[block.b + k]
            timed[block.a + k] = Word(start=asr.start, end=asr.end, text=mine.text,
                                      prob=asr.prob)
    result: list[Word] = []
    for i, word in enumerate(timed):
        if word is None:
            floor = result[-1].end if result else 0.0
            following = next((w for w in timed[i + 1:] if w is not None), None)
            ceiling = following.start if following else float("inf")
            estimate = script_words[i]
            start = min(max(estimate.start, floor), ceiling)
            end = max(min(estimate.end, ceiling), start + 0.01)
            word = Word(start=round(start, 3), end=round(end, 3), text=estimate.text, prob=0.0)
        result.append(word)
    return result


def matched_fraction(words_: list[Word]) -> float:
    """Share of words whose timing came from the ASR (prob > 0)."""
    return sum(w.prob > 0 for w in words_) / len(words_) if words_ else 0.0


def heard_words(wav_path: Path, transcriber: Transcriber) -> list[Word]:
    """Transcribe the narration (resampled for ASR in a temp file) into timed words."""
    with tempfile.TemporaryDirectory(prefix="pp-align-") as tmp:
        speech = Path(tmp) / "speech.wav"
        extract_speech_audio(wav_path, speech, enhancement="off")  # synthetic: clean
        return transcriber.transcribe(speech).words
