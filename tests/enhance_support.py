"""Real speech with real-looking noise for the enhancement tests and benchmark: seeded pink
and brown noise from ffmpeg's anoisesrc plus mains hum (50 Hz and harmonics), mixed at a
chosen SNR; and SNR measured against the clean original."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

RATE = 16_000


def decode(path: Path, rate: int = RATE) -> np.ndarray:
    """Mono float samples of ``path`` at ``rate``."""
    out = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1",
                          "-ar", str(rate), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype=np.float32).astype(np.float64)


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(rate),
                    "-ac", "1", "-i", "-", "-c:a", "pcm_s16le", str(path)],
                   input=np.asarray(samples, dtype=np.float32).tobytes(), check=True)
    return path


def _anoise(color: str, seed: int, frames: int, rate: int) -> np.ndarray:
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         f"anoisesrc=color={color}:seed={seed}:sample_rate={rate}:amplitude=0.5",
         "-t", f"{frames / rate + 0.1:.3f}", "-f", "f32le", "-"],
        capture_output=True, check=True).stdout
    noise = np.frombuffer(out, dtype=np.float32)[:frames].astype(np.float64)
    return noise / np.std(noise)


def room_noise(frames: int, seed: int = 7, rate: int = RATE) -> np.ndarray:
    """Unit-power noise: pink hiss, brown rumble and a mains hum with harmonics."""
    t = np.arange(frames) / rate
    hum = sum(a * np.sin(2 * np.pi * f * t + seed) for f, a in ((50, 1.0), (150, 0.5),
                                                                 (250, 0.25)))
    noise = (_anoise("pink", seed, frames, rate) + 0.7 * _anoise("brown", seed + 1, frames, rate)
             + 0.6 * hum / np.std(hum))
    return noise / np.std(noise)


def mix_at_snr(clean: np.ndarray, snr_db: float, seed: int = 7, rate: int = RATE) -> np.ndarray:
    noise = room_noise(len(clean), seed, rate)
    return clean + noise * np.sqrt(np.mean(clean ** 2) / 10 ** (snr_db / 10))


def snr_db(clean: np.ndarray, estimate: np.ndarray) -> float:
    """Signal-to-noise ratio of ``estimate`` against the clean original, sample-aligned."""
    n = min(len(clean), len(estimate))
    error = estimate[:n] - clean[:n]
    return float(10 * np.log10(np.sum(clean[:n] ** 2) / np.sum(error ** 2)))
