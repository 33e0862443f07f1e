from typing import Optional

import dagster as dg
from pydantic import PrivateAttr

from pattern_pivot.transcription.whisper import FasterWhisperTranscriber


class TranscriberResource(dg.ConfigurableResource):
    """Local ASR with word timestamps (faster-whisper). ``model``: ``base`` (bundled, default),
    ``tiny.en`` (bundled, fastest) or a path to a CTranslate2 Whisper model directory."""

    model: str = "base"
    compute_type: str = "int8"
    cpu_threads: int = 0  # 0: every core
    beam_size: int = 5
    vad_filter: bool = True
    language: Optional[str] = None  # None: detect
    block_seconds: float = 120.0
    # Channel terms (names, jargon) to spell as given; runs can add more (with_glossary).
    glossary: list[str] = []

    _transcriber: Optional[FasterWhisperTranscriber] = PrivateAttr(default=None)

    def transcriber(self) -> FasterWhisperTranscriber:
        # Built on first use so runs whose transcripts are cached never load the model.
        if self._transcriber is None:
            self._transcriber = FasterWhisperTranscriber(
                self.model, compute_type=self.compute_type, cpu_threads=self.cpu_threads,
                beam_size=self.beam_size, vad_filter=self.vad_filter, language=self.language,
                block_seconds=self.block_seconds, glossary=self.glossary)
        return self._transcriber
