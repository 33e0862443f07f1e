"""Stream a long 16 kHz WAV as blocks cut in real pauses, so memory stays flat.

Each block aims at ``block_seconds`` (B) but may end anywhere between 0.5 B and 1.5 B: the cut
goes in a pause that Silero VAD (shipped with faster-whisper) hears as non-speech, preferring a
clear pause (``_CLEAR_PAUSE`` long or more) nearest to B, at the quietest moment inside it. Only
when that stretch has no pause at all does it fall back to the quietest 100 ms. Reading 2 B
ahead lets the last cut leave a tail of at least 0.5 B: a short tail block starts Whisper
without context on a few seconds of audio, where it hallucinates and loops.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Iterator

import numpy as np

from pattern_pivot.errors import MediaError
from pattern_pivot.media.audio import SPEECH_SAMPLE_RATE

_FRAME = SPEECH_SAMPLE_RATE // 10  # 100 ms energy frames for the quietest moment
_VAD_WINDOW = 512  # Silero VAD scores 32 ms windows
_NOT_SPEECH = 0.35  # Silero's own "surely not speech" level (its threshold 0.5 less 0.15)
_MIN_PAUSE = 0.2  # seconds; shorter non-speech runs are stops inside words ("respec|table")
_CLEAR_PAUSE = 0.3  # seconds; a pause this long is as good a cut as a longer one
_MIN_BLOCK = 1.0  # seconds


def _quietest(samples: np.ndarray, lo: int, hi: int) -> int:
    """Index in [lo, hi) at the middle of the quietest 100 ms frame (``hi`` if too short)."""
    frames = (hi - lo) // _FRAME
    if frames < 1:
        return (lo + hi) // 2
    energy = np.square(samples[lo: lo + frames * _FRAME].reshape(frames, _FRAME)).mean(axis=1)
    return lo + int(np.argmin(energy)) * _FRAME + _FRAME // 2


def _pauses(samples: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) sample ranges of ``samples`` that Silero VAD hears as not speech."""
    from faster_whisper.vad import get_vad_model  # heavy import, only when transcribing

    padded = np.pad(samples, (0, -len(samples) % _VAD_WINDOW))
    quiet = np.asarray(get_vad_model()(padded)).reshape(-1) < _NOT_SPEECH
    # A lone 32 ms "speech" window between quiet ones is a click or a breath, not a word.
    quiet[1:-1] |= quiet[:-2] & quiet[2:]
    edges = np.flatnonzero(np.diff(np.concatenate([[False], quiet, [False]]).astype(np.int8)))
    return [(int(a) * _VAD_WINDOW, min(int(b) * _VAD_WINDOW, len(samples)))
            for a, b in zip(edges[::2], edges[1::2])]


def choose_cut(samples: np.ndarray, lo: int, hi: int, target: int) -> int:
    """Where to end a block: an index in [lo, hi] of ``samples``, in a pause near ``target``."""
    window = samples[lo:hi]
    best = None
    for start, end in _pauses(window):
        length = (end - start) / SPEECH_SAMPLE_RATE
        if length < _MIN_PAUSE:
            continue
        middle = lo + (start + end) // 2
        key = (min(length, _CLEAR_PAUSE), -abs(middle - target))
        if best is None or key > best[0]:
            best = (key, lo + start, lo + end)
    if best is None:  # continuous speech (or a too short window): the least bad moment
        return _quietest(samples, lo, hi)
    return _quietest(samples, best[1], best[2])


def wav_seconds(wav_path: Path) -> float:
    """The WAV's length from its header (0.0 when it cannot be read: iter_wav_blocks then
    says why)."""
    try:
        with wave.open(str(wav_path), "rb") as reader:
            return reader.getnframes() / (reader.getframerate() or 1)
    except (wave.Error, EOFError, OSError):
        return 0.0


def iter_wav_blocks(wav_path: Path, block_seconds: float) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (offset seconds from the file's start, float32 samples) blocks of a 16 kHz mono
    16-bit WAV; together they hold every sample once, in order."""
    try:
        reader = wave.open(str(wav_path), "rb")
    except (wave.Error, EOFError) as exc:
        raise MediaError(str(wav_path), f"is not a readable WAV file ({exc})",
                         "re-run the audio step (it is regenerated from the source video)") from exc
    with reader:
        if (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) != (
                SPEECH_SAMPLE_RATE, 1, 2):
            raise MediaError(str(wav_path), "is not 16 kHz mono 16-bit PCM",
                             "extract speech audio with pattern_pivot.media.audio first")
        block = int(max(block_seconds, _MIN_BLOCK) * SPEECH_SAMPLE_RATE)
        half = block // 2
        buffer = np.zeros(0, dtype=np.float32)
        offset = 0
        while True:
            raw = reader.readframes(2 * block - len(buffer))
            fresh = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
            buffer = np.concatenate([buffer, fresh]) if len(buffer) else fresh
            at_end = len(buffer) < 2 * block
            if at_end and len(buffer) <= block + half:  # the rest fits in one block
                if len(buffer):
                    yield offset / SPEECH_SAMPLE_RATE, buffer
                return
            # At the end, stop early enough that the tail is a real block, not a scrap.
            hi = min(block + half, len(buffer) - half) if at_end else block + half
            cut = choose_cut(buffer, half, hi, block)
            yield offset / SPEECH_SAMPLE_RATE, buffer[:cut]
            buffer = buffer[cut:].copy()
            offset += cut
