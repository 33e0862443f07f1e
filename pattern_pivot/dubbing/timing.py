"""Fit each spoken line into its cue's time slot on the original timeline.

A line starts on its cue's start (never before: the original speaker starts there too). One
longer than its cue is sped up with ffmpeg's ``atempo`` (pitch kept), at most
``MAX_TEMPO``; what is still too long spills into the silence after the cue, and past the
next cue's start the next line waits for it. Every speed-up, spill and delay is reported.
"""

from __future__ import annotations

import logging
import subprocess
import wave
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from pattern_pivot.dubbing.voices import Speaker
from pattern_pivot.errors import MediaError
from pattern_pivot.media.ffmpeg import tool
from pattern_pivot.subtitles.cues import Cue

log = logging.getLogger(__name__)

# Faster than this and espeak's already clipped syllables stop being understood.
MAX_TEMPO = 1.5
_SILENCE = 300 / 32768  # below this a synthesiser's sample is its leading/trailing silence


@dataclass(frozen=True)
class DubLine:
    cue_start: float
    cue_end: float
    start: float  # where the spoken line starts (later than cue_start when delayed)
    end: float
    tempo: float  # 1.0, or the atempo factor it was sped up by
    text: str

    @property
    def spill(self) -> float:
        """Seconds the line runs past its cue's end (into the following gap)."""
        return max(0.0, self.end - self.cue_end)

    @property
    def delay(self) -> float:
        return max(0.0, self.start - self.cue_start)


@dataclass(frozen=True)
class DubTiming:
    lines: tuple[DubLine, ...]
    duration: float
    rate: int
    cut_at_end: float  # seconds of the last line beyond the end of the video (dropped)
    voice_rms: float = 0.0  # of the voice's sound (0: nothing spoken), to level it

    def summary(self) -> dict:
        lines = self.lines
        return {
            "lines": len(lines),
            "sped_up": sum(1 for x in lines if x.tempo > 1.0),
            "max_tempo": max((x.tempo for x in lines), default=1.0),
            "spilled": sum(1 for x in lines if x.spill > 0.01),
            "max_spill": round(max((x.spill for x in lines), default=0.0), 3),
            "late": sum(1 for x in lines if x.delay > 0.01),
            "max_delay": round(max((x.delay for x in lines), default=0.0), 3),
            "cut_at_end": round(self.cut_at_end, 3),
        }

    def to_dict(self) -> dict:
        return {**self.summary(), "duration": self.duration,
                "line_timings": [asdict(x) | {"spill": round(x.spill, 3),
                                              "delay": round(x.delay, 3)} for x in self.lines]}


def trim(samples: np.ndarray) -> np.ndarray:
    """Without the synthesiser's leading and trailing silence, so a line starts on time."""
    loud = np.flatnonzero(np.abs(samples) > _SILENCE)
    return samples[loud[0]:loud[-1] + 1] if loud.size else samples[:0]


def atempo(samples: np.ndarray, rate: int, tempo: float) -> np.ndarray:
    """``samples`` (float32 mono) played ``tempo`` times faster at the same pitch."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    proc = subprocess.run(
        [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "s16le",
         "-ar", str(rate), "-ac", "1", "-i", "pipe:0", "-af", f"atempo={tempo:.4f}",
         "-f", "s16le", "-ar", str(rate), "-ac", "1", "pipe:1"],
        input=pcm, capture_output=True, check=False)
    if proc.returncode != 0:
        raise MediaError("a dubbed line", f"could not be sped up (ffmpeg atempo: "
                         f"{proc.stderr.decode(errors='replace')[-200:]})",
                         "check that ffmpeg is installed with its audio filters")
    return np.frombuffer(proc.stdout, dtype="<i2").astype(np.float32) / 32768


def _to_float(samples: np.ndarray) -> np.ndarray:
    if samples.dtype.kind == "i":
        return samples.astype(np.float32) / 32768
    return samples.astype(np.float32)


class _VoiceWriter:
    """The voice track as 16-bit mono WAV, written line by line with silence between, so
    no more than one line is ever in memory; keeps the RMS of what it wrote."""

    def __init__(self, path: Path, duration: float):
        self.path, self.duration = Path(path), duration
        self.writer, self.rate, self.written = None, 22050, 0
        self.square_sum, self.count = 0.0, 0

    def add(self, start: float, clip: np.ndarray, rate: int) -> float:
        """Write ``clip`` from ``start`` (s); returns seconds of it past the track's end."""
        if self.writer is None:
            self.rate = rate
            self.writer = self._open()
        total = round(self.duration * self.rate)
        at = max(round(start * self.rate), self.written)  # times are kept to the millisecond
        kept = clip[:max(0, total - at)]
        self._silence(at - self.written)
        self.writer.writeframes((np.clip(kept, -1, 1) * 32767).astype("<i2").tobytes())
        self.written = at + kept.size
        loud = kept[np.abs(kept) > 1e-3].astype(np.float64)
        self.square_sum, self.count = self.square_sum + float(np.sum(loud ** 2)), \
            self.count + loud.size
        return (clip.size - kept.size) / self.rate

    def close(self) -> float:
        """Finish the file (silence to the end); returns the voice's RMS (0: none)."""
        if self.writer is None:
            self.writer = self._open()
        self._silence(round(self.duration * self.rate) - self.written)
        self.writer.close()
        return float(np.sqrt(self.square_sum / self.count)) if self.count else 0.0

    def _open(self):
        writer = wave.open(str(self.path), "wb")
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(self.rate)
        return writer

    def _silence(self, frames: int) -> None:
        block = 1 << 20
        while frames > 0:
            self.writer.writeframes(b"\0\0" * min(block, frames))
            self.written += min(block, frames)
            frames -= block


def fit_lines(cues: Sequence[Cue], duration: float, speak: Speaker, voice_wav: Path,
              max_tempo: float = MAX_TEMPO) -> DubTiming:
    """Speak each cue into ``voice_wav`` (``duration`` seconds, 16-bit mono) and say where
    every line landed."""
    lines: list[DubLine] = []
    free_from, cut = 0.0, 0.0  # where the previous line ended; speech past the end
    track = _VoiceWriter(voice_wav, duration)
    for n, cue in enumerate(cues):
        if n and n % 50 == 0:
            log.info("dubbing: %d of %d lines spoken", n, len(cues))
        text = " ".join(" ".join(cue.lines).split())
        if not text:
            continue
        samples, rate = speak(text)
        clip = trim(_to_float(samples))
        if not clip.size:
            continue
        start = max(cue.start, free_from)
        window = cue.end - start
        length = clip.size / rate
        tempo = 1.0
        if length > window:
            # 3% spare: atempo's output runs a few milliseconds long.
            tempo = round(min(max_tempo, length / window * 1.03) if window > 0 else max_tempo,
                          3)
            clip = trim(atempo(clip, rate, tempo))
            length = clip.size / rate
        lines.append(DubLine(cue.start, cue.end, round(start, 3), round(start + length, 3),
                             tempo, text))
        cut = max(cut, track.add(start, clip, rate))
        free_from = start + length
    voice_rms = track.close()
    timing = DubTiming(tuple(lines), duration, track.rate, cut, round(voice_rms, 6))
    summary = timing.summary()
    if summary["max_delay"] > 0.5 or summary["cut_at_end"] > 0:
        log.warning("dubbed lines overflow their slots: up to %.2f s late, %.2f s cut at the "
                    "end (the translation is longer than the original speech)",
                    summary["max_delay"], summary["cut_at_end"])
    return timing
