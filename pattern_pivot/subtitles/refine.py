"""Word timings refined against the audio itself, so a caption never shows before the voice.

Whisper's word starts after a pause often fall in the silence (up to ~1 s early) and its
ends often stop short of the voice. Here the audio's short-time energy (10 ms frames,
threshold set from the recording's own noise floor) marks where speech really is; then
each word's start moves forward out of silence onto the next speech onset, and an end that
falls inside speech is carried to where that speech stops, never past the next word.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Sequence

import numpy as np

from pattern_pivot.transcription.types import Word

HOP = 0.01  # seconds per energy frame
MARGIN_DB = 12.0  # speech is this much above the noise floor ...
MIN_DB = -55.0  # ... and never quieter than this (dBFS)


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV as floats in [-1, 1] (channels averaged)."""
    with wave.open(str(path), "rb") as reader:
        rate, channels = reader.getframerate(), reader.getnchannels()
        if reader.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM")
        data = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    samples = data.astype(np.float32) / 32768.0
    return (samples.reshape(-1, channels).mean(axis=1) if channels > 1 else samples), rate


def speech_frames(samples: np.ndarray, rate: int) -> np.ndarray:
    """A boolean per 10 ms frame: is someone speaking there?"""
    hop = max(1, round(rate * HOP))
    count = len(samples) // hop
    if count == 0:
        return np.zeros(0, dtype=bool)
    frames = samples[:count * hop].reshape(count, hop)
    db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    # The noise floor of the room, not of digital silence (an edit's gap, a fade): frames
    # below -90 dBFS hold no recording at all.
    recorded = db[db > -90]
    floor = np.percentile(recorded, 10) if recorded.size else MIN_DB
    return db > max(floor + MARGIN_DB, MIN_DB)


def refine_words(words: Sequence[Word], samples: np.ndarray, rate: int,
                 max_shift: float = 1.5) -> list[Word]:
    """Words moved onto the speech the audio holds (order and text unchanged). A word with
    no speech anywhere near it keeps its timing."""
    speech = speech_frames(samples, rate)
    if not speech.any():
        return list(words)
    out: list[Word] = []
    ordered = sorted(words, key=lambda w: w.start)
    for n, word in enumerate(ordered):
        floor = out[-1].end if out else 0.0  # never before the previous word's end
        ceiling = ordered[n + 1].start if n + 1 < len(ordered) else len(speech) * HOP
        start = max(word.start, floor)
        frame = int(start / HOP)
        if frame < len(speech) and not speech[frame]:
            # In silence: the word begins at the next onset, before the next word starts.
            limit = min(int(min(word.start + max_shift, max(ceiling, word.end)) / HOP),
                        len(speech))
            ahead = np.flatnonzero(speech[frame:limit])
            if ahead.size:
                start = (frame + ahead[0]) * HOP
        end = max(word.end, start + HOP)
        last = int(end / HOP) - 1
        if 0 <= last < len(speech) and speech[last]:
            # The voice goes on past the end: follow it up to where it stops.
            stop = min(int(ceiling / HOP), len(speech))
            quiet = np.flatnonzero(~speech[last:stop])
            end = (last + quiet[0]) * HOP if quiet.size else max(end, stop * HOP)
        end = min(max(end, start + HOP), max(ceiling, start + HOP))
        out.append(Word(start=round(float(start), 3), end=round(float(end), 3), text=word.text,
                        prob=word.prob))
    return out


def refine_from_wav(words: Sequence[Word], wav_path: Path) -> list[Word]:
    samples, rate = read_mono(wav_path)
    return refine_words(words, samples, rate)
