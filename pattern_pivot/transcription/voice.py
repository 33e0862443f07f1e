"""Word ends pulled back onto the voice, so the pauses after words show.

The batched decoder sees a whole 30 s window as one segment, and its word alignment lends the
pause after a word to that word (JFK's "you" runs on to "ask"), where the sequential
decoder's segment end clipped it. Later steps cut, caption and tighten at pauses between
words, so such a word's trailing silence (by the audio's short-time energy against the
recording's own noise floor) is trimmed off; words Whisper already left a pause after keep
their times (the filler trim plans cuts from them). Starts are left as Whisper gives them, as the
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
NEAR = 5.0  # seconds of audio each side of a word that set its noise floor
SHORT_GAP = 0.3  # seconds; a gap shorter than this after a word is no pause yet
MIN_TRIM = 0.15  # seconds; a shorter quiet end is the word's own stop, left alone


def frame_levels(samples: np.ndarray, rate: int) -> np.ndarray:
    """Loudness (dBFS) per 10 ms frame."""
    hop = max(1, round(rate * HOP))
    count = len(samples) // hop
    frames = samples[:count * hop].reshape(count, hop).astype(np.float64)
    return 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)


def _voiced(levels: np.ndarray) -> np.ndarray:
    """Which frames hold voice, against the noise floor of these frames (digital silence, an
    edit's gap, is no room's floor)."""
    recorded = levels[levels > -90]
    floor = np.percentile(recorded, 10) if recorded.size else MIN_DB
    return levels > max(floor + MARGIN_DB, MIN_DB)


def trim_to_voice(words: list[Word], levels: np.ndarray, offset: float) -> list[Word]:
    """``words`` (times in seconds, ``levels`` starting at ``offset``) where a word runs on
    to the next one (less than SHORT_GAP) over a quiet end of MIN_TRIM or more: that end cut
    back to the voice plus DECAY. The noise floor is the one around the word (NEAR seconds
    each side: a video joins recordings of other rooms). Where Whisper left a pause, or no
    voice is under a word, times stay."""
    out = []
    near = int(NEAR / HOP)
    for n, word in enumerate(words):
        touches = n + 1 < len(words) and words[n + 1].start - word.end < SHORT_GAP
        lo, hi = int((word.start - offset) / HOP), int(np.ceil((word.end - offset) / HOP))
        lo, hi = max(lo, 0), max(hi, 0)
        if touches and hi > lo:
            around = max(0, lo - near)
            voiced = _voiced(levels[around:hi + near])[lo - around:hi - around]
            inside = np.flatnonzero(voiced)
            if inside.size:
                end = offset + (lo + inside[-1] + 1) * HOP + DECAY
                if word.end - end >= MIN_TRIM:
                    word = replace(word, end=round(float(end), 3))
        out.append(word)
    return out
