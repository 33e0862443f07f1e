"""The speech engine interface and the factory that picks a backend from configuration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from pattern_pivot.errors import PatternPivotError

Backend = Literal["piper", "coqui", "espeak"]
BACKENDS = ("piper", "coqui", "espeak")


class SpeechEngine(Protocol):
    """Speaks one sentence at a time into 16-bit mono PCM at ``sample_rate``."""

    @property
    def name(self) -> str: ...

    @property
    def sample_rate(self) -> int: ...

    def synthesize(self, sentence: str) -> np.ndarray: ...


@dataclass(frozen=True)
class TTSConfig:
    backend: str = "piper"
    model: str = ""  # piper .onnx / coqui checkpoint or model name; "" = bundled piper voice
    config_path: str = ""  # the model's config (coqui config.json, piper .onnx.json)
    voice: str = ""  # speaker (multi-speaker models) or espeak voice, e.g. "en-us"
    speed: float = 1.0  # > 1 speaks faster
    sentence_pause: float = 0.25  # seconds of silence between sentences
    loudness_lufs: float = -16.0  # narration loudness before the mix
    align: str = "asr"  # "asr": word timings from local Whisper; "synthesis": estimated
    asr_model: str = "tiny.en"


def make_engine(config: TTSConfig, cache_dir: Path | None = None) -> SpeechEngine:
    if not 0.25 <= config.speed <= 4.0:
        raise PatternPivotError(f"TTS speed {config.speed}", "is outside 0.25-4.0",
                                "use 1.0 for normal speed, e.g. 1.1 for a little faster")
    if config.backend == "piper":
        from pattern_pivot.tts.piper import PiperEngine

        return PiperEngine(config.model, config.config_path, config.voice, config.speed,
                           cache_dir)
    if config.backend == "coqui":
        from pattern_pivot.tts.coqui import CoquiEngine

        return CoquiEngine(config.model, config.config_path, config.voice, config.speed)
    if config.backend == "espeak":
        from pattern_pivot.tts.espeak import EspeakEngine

        return EspeakEngine(config.voice, config.speed)
    raise PatternPivotError(f"TTS backend {config.backend!r}", "is not known",
                            f"use one of {', '.join(BACKENDS)}")
