"""The Coqui TTS backend (``coqui-tts``, import ``TTS``): a model checkpoint + config the user
has, or a model name already in Coqui's cache. Nothing is downloaded at run time."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pattern_pivot.errors import ModelError


class CoquiEngine:
    def __init__(self, model: str = "", config_path: str = "", speaker: str = "",
                 speed: float = 1.0):
        if not model:
            raise ModelError("Coqui TTS model", "is not configured",
                             "set the TTS model to a checkpoint path (with its config.json) or "
                             "a Coqui model name already downloaded to its cache")
        self._model_label = Path(model).name
        self._speaker = speaker or None
        self._speed = speed
        self._tts = _load(model, config_path)
        synthesizer = self._tts.synthesizer
        # VITS-style models read their speaking rate from length_scale.
        if hasattr(synthesizer.tts_model, "length_scale"):
            synthesizer.tts_model.length_scale = 1.0 / speed

    @property
    def name(self) -> str:
        return f"coqui:{self._model_label}"

    @property
    def sample_rate(self) -> int:
        return int(self._tts.synthesizer.output_sample_rate)

    def synthesize(self, sentence: str) -> np.ndarray:
        kwargs = {"speaker": self._speaker} if self._speaker else {}
        samples = np.asarray(self._tts.tts(sentence, split_sentences=False, **kwargs),
                             dtype=np.float32)
        peak = float(np.abs(samples).max()) if samples.size else 0.0
        if peak > 1.0:  # some vocoders overshoot; loudness is normalised later anyway
            samples = samples / peak
        return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")


def _load(model: str, config_path: str):
    os.environ.setdefault("COQUI_TOS_AGREED", "0")
    from TTS.api import TTS  # heavy (torch): imported only when this backend is chosen

    path = Path(model).expanduser()
    if path.exists() or config_path:
        config = Path(config_path).expanduser() if config_path else path.parent / "config.json"
        if not path.is_file() or not config.is_file():
            raise ModelError(str(path), f"needs a checkpoint file and its config ({config})",
                             "set the TTS model to the .pth checkpoint and the TTS config to "
                             "its config.json")
        try:
            return TTS(model_path=str(path), config_path=str(config), progress_bar=False)
        except Exception as exc:  # a foreign checkpoint fails deep inside torch
            raise ModelError(str(path), f"could not be loaded by Coqui TTS ({exc})",
                             "check that the checkpoint matches its config.json") from exc
    from TTS.utils.manage import ModelManager

    manager = ModelManager(progress_bar=False)
    try:
        cached = Path(manager.output_prefix) / model.replace("/", "--")
    except Exception:  # noqa: BLE001 - an unknown name is reported below
        cached = None
    if cached is None or not cached.is_dir():
        raise ModelError(f"Coqui model {model!r}", "is not in the local Coqui cache and "
                         "nothing is downloaded at run time",
                         "download it once (`tts --model_name ... --list_models`) on a "
                         "connected machine, or point the TTS model at a checkpoint path")
    return TTS(model_name=model, progress_bar=False)
