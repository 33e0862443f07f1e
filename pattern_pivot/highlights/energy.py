"""Loudness over time from the stored 16 kHz speech WAV, read in blocks so an hour of audio
never sits in memory: one RMS value per hop, in dB."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from pattern_pivot.errors import MediaError

HOP_SECONDS = 0.1
_FLOOR_DB = -90.0


def energy_profile(wav_path: Path, hop: float = HOP_SECONDS) -> np.ndarray:
    """RMS level (dBFS) of each ``hop`` seconds of a 16-bit PCM WAV, streamed."""
    try:
        reader = wave.open(str(wav_path), "rb")
    except (wave.Error, EOFError, OSError) as exc:
        raise MediaError(str(wav_path), f"is not a readable PCM WAV ({exc})",
                         "re-materialise video_audio for this video") from exc
    with reader:
        if reader.getsampwidth() != 2:
            raise MediaError(str(wav_path), "is not 16-bit PCM",
                             "re-materialise video_audio for this video")
        channels, step = reader.getnchannels(), max(1, int(reader.getframerate() * hop))
        levels = []
        while True:
            raw = reader.readframes(step * 600)  # a minute of hops per read
            if not raw:
                break
            samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
            if channels > 1:
                samples = samples.reshape(-1, channels).mean(axis=1)
            usable = len(samples) // step * step
            if usable:
                blocks = samples[:usable].reshape(-1, step)
                levels.append(np.sqrt(np.mean(blocks * blocks, axis=1)))
            if len(samples) > usable:  # a short last block still counts
                tail = samples[usable:]
                levels.append(np.array([np.sqrt(np.mean(tail * tail))]))
    rms = np.concatenate(levels) if levels else np.zeros(0, dtype=np.float32)
    return np.maximum(20 * np.log10(np.maximum(rms, 1e-9)), _FLOOR_DB)


def window_levels(profile: np.ndarray, start: float, end: float,
                  hop: float = HOP_SECONDS) -> np.ndarray:
    """The profile's values between ``start`` and ``end`` seconds."""
    return profile[int(start / hop):max(int(start / hop) + 1, int(end / hop))]
