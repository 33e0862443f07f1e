from pathlib import Path
from typing import Optional

import dagster as dg
from pydantic import PrivateAttr

from pattern_pivot.settings import SettingError, user_cache_dir
from pattern_pivot.transcription.whisper import FasterWhisperTranscriber
from pattern_pivot.tts.engines import BACKENDS, SpeechEngine, TTSConfig, make_engine
from pattern_pivot.tts.pace import words_per_second


class TTSResource(dg.ConfigurableResource):
    """Text to speech. ``backend``: ``piper`` (the bundled voice, default), ``coqui`` (a
    checkpoint + config.json, or a Coqui model name already cached) or ``espeak`` (espeak-ng,
    last resort). ``model``/``config_path``: the model files ("" = bundled Piper voice).
    ``voice``: speaker id/name, or the espeak voice. ``align``: ``asr`` (word timings from
    local Whisper ``asr_model``) or ``synthesis`` (estimated)."""

    backend: str = "piper"
    model: str = ""
    config_path: str = ""
    voice: str = ""
    speed: float = 1.0
    sentence_pause: float = 0.25
    loudness_lufs: float = -16.0
    align: str = "asr"
    asr_model: str = "tiny.en"

    _engine: Optional[SpeechEngine] = PrivateAttr(default=None)
    _aligner: Optional[FasterWhisperTranscriber] = PrivateAttr(default=None)

    def config(self) -> TTSConfig:
        return TTSConfig(backend=self.backend, model=self.model, config_path=self.config_path,
                         voice=self.voice, speed=self.speed,
                         sentence_pause=self.sentence_pause, loudness_lufs=self.loudness_lufs,
                         align=self.align, asr_model=self.asr_model)

    def engine(self, cache_dir: Optional[Path] = None) -> SpeechEngine:
        # Loaded on first use: runs whose narration is cached never load a voice.
        if self._engine is None:
            if self.backend not in BACKENDS:  # the code location reads it from this variable
                raise SettingError("PATTERN_PIVOT_TTS_BACKEND", self.backend,
                                   "is not a TTS backend",
                                   f"set it to {', '.join(BACKENDS)}, or unset it (piper)")
            self._engine = make_engine(self.config(), cache_dir)
        return self._engine

    def words_per_second(self) -> float:
        """The voice's measured pace (measured once per voice, then read from the cache),
        so scripts are written to the length a request asks for."""
        voice = f"{self.backend}|{self.model}|{self.config_path}|{self.voice}|{self.speed}"
        return words_per_second(self.engine(), voice, self.sentence_pause,
                                user_cache_dir() / "tts-pace.json")

    def aligner(self) -> FasterWhisperTranscriber:
        """The local Whisper that hears the narration to time its words (greedy: fast)."""
        if self._aligner is None:
            self._aligner = FasterWhisperTranscriber(self.asr_model, beam_size=1,
                                                     language="en" if self.asr_model.endswith(
                                                         ".en") else None)
        return self._aligner
