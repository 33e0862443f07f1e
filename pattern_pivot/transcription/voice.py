"""Word ends pulled back onto the voice, so the pauses after words show.

The batched decoder sees a whole 30 s window as one segment, and its word alignment lends the
pause after a word to that word (JFK's "you" runs on to "ask"), where the sequential
decoder's segment end clipped it. Later steps cut, caption and tighten at pauses between
words, so each word's trailing silence (by the audio's short-time energy against the
recording's own noise floor) is trimmed off. Starts are left as Whisper gives them, as the
sequential decoder does (a start early in the silence is subtitles.refine's to move).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pattern_pivot.transcription.types import Word

HOP = 0.01  # seconds per energy frame
MARGIN_DB = 12.0  # voice is this much above the noise floor ...
MIN_DB = -55.0  # ... and never quieter than this (dBFS)
DECAY = 0.12  # seconds kept after the voice: a word's fading sound, as Whisper's ends keep
MIN_TRIM = 0.15  # seconds; a shorter quiet end is the word's own stop, left alone


def voiced_frames(samples: np.ndarray, rate: int) -> np.ndarray:
    """A boolean per 10 ms frame: is there voice?"""
    hop = max(1, round(rate * HOP))
    count = len(samples) // hop
    if count == 0:
        return np.zeros(0, dtype=bool)
    frames = samples[:count * hop].reshape(count, hop).astype(np.float64)
    db = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    recorded = db[db > -90]  # digital silence (an edit's gap) is no room's noise floor
    floor = np.percentile(recorded, 10) if recorded.size else MIN_DB
    return db > max(floor + MARGIN_DB, MIN_DB)


def trim_to_voice(words: list[Word], voiced: np.ndarray, offset: float) -> list[Word]:
    """``words`` (times in seconds, ``voiced`` starting at ``offset``) with a quiet end of
    MIN_TRIM or more cut off; a word with no voice under it keeps its times."""
    out = []
    for word in words:
        lo, hi = int((word.start - offset) / HOP), int(np.ceil((word.end - offset) / HOP))
        inside = np.flatnonzero(voiced[max(lo, 0):max(hi, 0)])
        if not inside.size:
            out.append(word)
            continue
        end = offset + (max(lo, 0) + inside[-1] + 1) * HOP + DECAY
        if word.end - end >= MIN_TRIM:
            word = replace(word, end=round(float(end), 3))
        out.append(word)
    return out
