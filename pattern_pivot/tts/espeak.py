"""espeak-ng: robotic but tiny, the last resort when no neural voice can load."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from pattern_pivot.errors import PatternPivotError, ToolMissingError

_WORDS_PER_MINUTE = 175


class EspeakEngine:
    def __init__(self, voice: str = "", speed: float = 1.0):
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise ToolMissingError("espeak-ng", "is not installed, so the espeak TTS backend "
                                   "cannot speak", "install it (apt-get install espeak-ng) or "
                                   "use the piper backend (the default)")
        self._binary = binary
        self._voice = voice or "en-us"
        self._wpm = round(_WORDS_PER_MINUTE * speed)
        self._rate = 22050

    @property
    def name(self) -> str:
        return f"espeak-ng:{self._voice}"

    @property
    def sample_rate(self) -> int:
        return self._rate

    def synthesize(self, sentence: str) -> np.ndarray:
        with tempfile.TemporaryDirectory(prefix="pp-espeak-") as tmp:
            out = Path(tmp) / "speech.wav"
            # Text goes in on stdin: it can never be read as an option.
            proc = subprocess.run([self._binary, "-v", self._voice, "-s", str(self._wpm),
                                   "-w", str(out)], input=sentence.encode(),
                                  capture_output=True, check=False)
            if proc.returncode != 0 or not out.is_file():
                raise PatternPivotError(f"espeak-ng voice {self._voice!r}",
                                        f"failed ({proc.stderr.decode(errors='replace')[-200:]})",
                                        "list voices with `espeak-ng --voices` and pick one")
            with wave.open(str(out), "rb") as reader:
                self._rate = reader.getframerate()
                return np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").copy()
