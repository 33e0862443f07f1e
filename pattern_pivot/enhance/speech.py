"""Denoised speech for ASR: the first audio stream through the denoiser, written as the
16 kHz mono WAV Whisper reads, aligned with the original to the sample."""

from __future__ import annotations

from pathlib import Path

from pattern_pivot.enhance.deepfilter import SAMPLE_RATE
from pattern_pivot.enhance.denoise import Denoised, denoise_stream
from pattern_pivot.enhance.stream import Encoder


def write_denoised_speech(source: Path, target: Path, *, rate: int, denoiser: str = "auto"
                          ) -> Denoised:
    with Encoder(target, rate=SAMPLE_RATE, subject=source,
                 output_args=["-ar", str(rate), "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav"]
                 ) as encoder:
        return denoise_stream(source, encoder.write, denoiser=denoiser)
