"""The dubbed sound: the voice track over the original, whose level drops under every line
(ducking, or removed with ``duck_db=inf``), then the MP4 with that sound at -14 LUFS.

It all streams through ffmpeg: the original's gain is an envelope (1 kHz control rate,
written as a WAV) multiplied in with ``amultiply``, so an hour of video needs no more
memory than a minute. The original's own sound between the lines (music, room) stays whole.
"""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path
from typing import Sequence

import numpy as np

from pattern_pivot.dubbing.timing import DubLine
from pattern_pivot.errors import MediaError
from pattern_pivot.media.ffmpeg import run_ffmpeg, tool
from pattern_pivot.media.loudness import (
    TARGET_LUFS,
    Loudness,
    ebur128_filters,
    normalising_chain,
    parse_ebur128,
    run_ffmpeg_stderr,
)

MIX_RATE = 48_000
CONTROL_RATE = 1_000  # the ducking envelope's samples per second
DUCK_DB = 20.0  # the original under a dubbed line: audible, far below the new voice
_RAMP = 0.08  # seconds the original takes to fade down and back up around a line
_LEVEL_RATE = 16_000
# ISO 639-2 codes for the MP4's audio-track language tag.
_ISO639_2 = {"pt": "por", "es": "spa", "en": "eng", "fr": "fra", "de": "deu", "it": "ita",
             "ca": "cat", "gl": "glg", "ja": "jpn", "zh": "zho", "ru": "rus", "ar": "ara",
             "hi": "hin", "nl": "nld", "pl": "pol", "tr": "tur", "ko": "kor", "eo": "epo"}


def inside_lines(lines: Sequence[DubLine], length: int, rate: int) -> np.ndarray:
    """True over each cue and each spoken line (a spilled line keeps the original down)."""
    inside = np.zeros(length, dtype=bool)
    for line in lines:
        for start, end in ((line.cue_start, line.cue_end), (line.start, line.end)):
            inside[max(0, round(start * rate)):max(0, round(end * rate))] = True
    return inside


def duck_envelope(lines: Sequence[DubLine], length: int, rate: int = CONTROL_RATE,
                  duck_db: float = DUCK_DB) -> np.ndarray:
    """Gain for the original: 1 outside the lines, ``-duck_db`` (0 for ``inf``) under them,
    with ramps that finish before a line starts and begin after it ends."""
    low = 0.0 if duck_db == float("inf") else 10 ** (-duck_db / 20)
    ramp = max(1, round(_RAMP * rate))
    widened = _box(inside_lines(lines, length, rate).astype(np.float32), ramp) > 0
    smooth = _box(widened.astype(np.float32), ramp) / ramp
    return (1.0 - (1.0 - low) * np.clip(smooth, 0.0, 1.0)).astype(np.float32)


def _box(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving sum over ``width`` samples (cumulative sums: linear in length)."""
    sums = np.concatenate(([0.0], np.cumsum(values, dtype=np.float64)))
    index = np.arange(values.size)
    hi = np.minimum(index + width - width // 2, values.size)
    lo = np.maximum(index - width // 2, 0)
    return (sums[hi] - sums[lo]).astype(np.float32)


def write_envelope(envelope: np.ndarray, path: Path) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(CONTROL_RATE)
        writer.writeframes((np.clip(envelope, 0, 1) * 32767).astype("<i2").tobytes())


def speech_rms(source: Path, lines: Sequence[DubLine], duration: float) -> float:
    """RMS of the original's sound under the cues (its speech), decoded as a stream."""
    inside = inside_lines(lines, round(duration * CONTROL_RATE) + 1, CONTROL_RATE)
    cmd = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error",
           "-i", str(Path(source).resolve()), "-map", "0:a:0", "-ac", "1",
           "-ar", str(_LEVEL_RATE), "-f", "f32le", "pipe:1"]
    total, count, at = 0.0, 0, 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        while chunk := proc.stdout.read(_LEVEL_RATE * 10 * 4):
            samples = np.frombuffer(chunk[:len(chunk) // 4 * 4], dtype="<f4")
            control = np.minimum((at + np.arange(samples.size)) * CONTROL_RATE // _LEVEL_RATE,
                                 inside.size - 1)
            voiced = samples[inside[control]]
            voiced = voiced[np.abs(voiced) > 1e-3].astype(np.float64)
            total, count = total + float(np.sum(voiced ** 2)), count + voiced.size
            at += samples.size
    return float(np.sqrt(total / count)) if count else 0.0


def _graph(has_audio: bool, voice_gain: float, duration: float, tail: str) -> str:
    """Inputs: 0 the source, 1 the voice WAV, 2 the envelope WAV; output ``[a]``."""
    mono = f"aresample={MIX_RATE},aformat=sample_fmts=flt:channel_layouts=mono"
    voice = f"[1:a]{mono},volume={voice_gain:.4f},apad"
    end = f"atrim=0:{duration:.3f},{tail}[a]"
    if not has_audio:
        return f"{voice},{end}"
    return (f"[0:a:0]{mono}[o];[2:a]{mono}[e];[o][e]amultiply[d];{voice}[v];"
            f"[d][v]amix=inputs=2:duration=first:normalize=0,apad,{end}")


def mux(source: Path, voice_wav: Path, envelope_wav: Path, out: Path, duration: float,
        language: str, *, has_video: bool, has_audio: bool, voice_gain: float = 1.0,
        lufs: float = TARGET_LUFS) -> Loudness:
    """``out`` (MP4): the source's picture (copied; re-encoded if MP4 cannot hold its codec)
    and the mixed sound as its one audio track at ``lufs``, tagged with the language."""
    inputs = ["-i", str(Path(source).resolve()), "-i", str(Path(voice_wav).resolve()),
              "-i", str(Path(envelope_wav).resolve())]
    fix = "check that the source is a readable video or audio file (ffprobe it)"

    def measure(chain: str) -> Loudness:
        log = run_ffmpeg_stderr(
            [*inputs, "-filter_complex",
             ";".join([_graph(has_audio, voice_gain, duration, chain),
                       *ebur128_filters("[a]", "measured", peak=True)]),
             "-map", "[measured]", "-f", "null", "-"], subject=source, fix=fix)
        return parse_ebur128(log, source)

    chain, measured = normalising_chain(measure, lufs, rate=MIX_RATE)
    tag = _ISO639_2.get(language)
    audio = ["-filter_complex", _graph(has_audio, voice_gain, duration, chain),
             "-map", "[a]", "-c:a", "aac", "-b:a", "192k", "-ar", str(MIX_RATE),
             *(["-metadata:s:a:0", f"language={tag}"] if tag else []),
             "-t", f"{duration:.3f}", "-movflags", "+faststart", "-f", "mp4",
             str(Path(out).resolve())]
    if not has_video:
        run_ffmpeg([*inputs, *audio], subject=source, fix=fix)
        return measured
    try:
        run_ffmpeg([*inputs, "-map", "0:v:0", "-c:v", "copy", *audio], subject=source, fix=fix)
    except MediaError:  # a codec MP4 cannot carry (ProRes, ...): encode the picture
        run_ffmpeg([*inputs, "-map", "0:v:0", "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "20", "-pix_fmt", "yuv420p", *audio], subject=source, fix=fix)
    return measured
