"""How fast a voice speaks, measured, so a script can be written to the requested length.

Voices differ a lot (the bundled Piper voice speaks about 3.5 words a second with pauses;
a calm human narrator about 2.5), so a fixed words-per-second guess makes videos too short
or too long. The pace is measured once per voice and setting, and kept in a small JSON file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pattern_pivot.tts.engines import SpeechEngine
from pattern_pivot.tts.text import sentences

# Ordinary explainer sentences of mixed length (what scripts are made of).
CALIBRATION = ("Most people never notice how fast they speak. A steady narrator lands one "
               "point, takes a short breath, and moves on to the next. Short sentences help "
               "a listener follow along, even on a small phone speaker.")


def measure_words_per_second(engine: SpeechEngine, sentence_pause: float) -> float:
    """Words per second of ``engine`` reading CALIBRATION, pauses between sentences included."""
    parts = sentences(CALIBRATION)
    seconds = sum(len(engine.synthesize(part)) / engine.sample_rate for part in parts)
    seconds += sentence_pause * (len(parts) - 1)
    return round(len(CALIBRATION.split()) / seconds, 3)


def words_per_second(engine: SpeechEngine, voice: str, sentence_pause: float,
                     cache_file: Path) -> float:
    """The measured pace of ``voice`` (a key naming the backend, model, speaker and speed)
    with this pause, from ``cache_file`` when known."""
    key = f"{voice}|pause={sentence_pause}"
    try:
        known = json.loads(Path(cache_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    if isinstance(known.get(key), (int, float)) and known[key] > 0:
        return float(known[key])
    known[key] = measure_words_per_second(engine, sentence_pause)
    cache_file = Path(cache_file)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".pace-", dir=cache_file.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(known, out, indent=1)
    os.replace(tmp, cache_file)  # atomic: a concurrent run reads the old or the new file
    return known[key]
