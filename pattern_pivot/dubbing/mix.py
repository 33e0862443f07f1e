"""The dubbed sound: the voice track over the original, whose level drops under every line
(ducking, or removed with ``replace``), then the MP4 with that sound at -14 LUFS.

Mixing happens in memory at 48 kHz mono (about 11.5 MB a minute); the original's own sound
between the lines (music, room) is kept at full level.
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
from pattern_pivot.media.loudness import TARGET_LUFS, Loudness, measure_file, normalising_chain

MIX_RATE = 48_000
DUCK_DB = 20.0  # the original under a dubbed line: audible, far below the new voice
_RAMP = 0.08  # seconds the original takes to fade down and back up around a line
# ISO 639-2 codes for the MP4's audio-track language tag.
_ISO639_2 = {"pt": "por", "es": "spa", "en": "eng", "fr": "fra", "de": "deu", "it": "ita",
             "ca": "cat", "gl": "glg", "ja": "jpn", "zh": "zho", "ru": "rus", "ar": "ara",
             "hi": "hin", "nl": "nld", "pl": "pol", "tr": "tur", "ko": "kor", "eo": "epo"}


def _pipe(args: Sequence[str], data: bytes | None, subject: str) -> bytes:
    proc = subprocess.run([tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error",
                           *args], input=data, capture_output=True, check=False)
    if proc.returncode != 0:
        raise MediaError(subject, f"ffmpeg failed ({proc.stderr.decode(errors='replace')[-300:]})",
                         "check that the file has a decodable audio stream")
    return proc.stdout


def decode_mono(path: Path, rate: int = MIX_RATE) -> np.ndarray:
    """The first audio stream of ``path`` as float32 mono."""
    raw = _pipe(["-i", str(Path(path).resolve()), "-map", "0:a:0", "-ac", "1", "-ar", str(rate),
                 "-f", "f32le", "pipe:1"], None, str(path))
    return np.frombuffer(raw, dtype="<f4").copy()


def resample(samples: np.ndarray, rate: int, to: int = MIX_RATE) -> np.ndarray:
    if rate == to or not samples.size:
        return samples.astype(np.float32)
    raw = _pipe(["-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0", "-ar", str(to),
                 "-f", "f32le", "pipe:1"], samples.astype("<f4").tobytes(), "the dubbed voice")
    return np.frombuffer(raw, dtype="<f4").copy()


def duck_envelope(lines: Sequence[DubLine], length: int, rate: int = MIX_RATE,
                  duck_db: float = DUCK_DB) -> np.ndarray:
    """Gain for the original: 1 outside the lines, ``-duck_db`` (0 for ``inf``) over each
    cue and each spoken line (a spilled line keeps the original down too), with ramps."""
    low = 0.0 if duck_db == float("inf") else 10 ** (-duck_db / 20)
    inside = np.zeros(length, dtype=bool)
    for line in lines:
        for start, end in ((line.cue_start, line.cue_end), (line.start, line.end)):
            inside[max(0, round(start * rate)):max(0, round(end * rate))] = True
    ramp = max(1, round(_RAMP * rate))
    # Fade out before a line and back in after it: the mask widened, then smoothed.
    widened = _box(inside.astype(np.float32), ramp) > 0
    smooth = _box(widened.astype(np.float32), ramp) / ramp
    return (1.0 - (1.0 - low) * np.clip(smooth, 0.0, 1.0)).astype(np.float32)


def _box(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving sum over ``width`` samples (cumulative sums: linear in length)."""
    sums = np.concatenate(([0.0], np.cumsum(values, dtype=np.float64)))
    half = width // 2
    hi = np.minimum(np.arange(values.size) + width - half, values.size)
    lo = np.maximum(np.arange(values.size) - half, 0)
    return (sums[hi] - sums[lo]).astype(np.float32)


def _rms(samples: np.ndarray) -> float:
    loud = samples[np.abs(samples) > 1e-3]
    return float(np.sqrt(np.mean(loud ** 2))) if loud.size else 0.0


def mix(original: np.ndarray, voice: np.ndarray, lines: Sequence[DubLine],
        duck_db: float = DUCK_DB) -> np.ndarray:
    """Voice at the original speech's level, over the ducked original (both MIX_RATE)."""
    length = max(original.size, voice.size)
    original = np.pad(original, (0, length - original.size))
    voice = np.pad(voice, (0, length - voice.size))
    envelope = duck_envelope(lines, length, duck_db=duck_db)
    speech = _rms(original[envelope < 0.999])
    level = float(np.clip(speech / _rms(voice), 0.1, 10.0)) if speech and _rms(voice) else 1.0
    out = original * envelope + voice * level
    peak = float(np.max(np.abs(out), initial=0.0))
    return out / peak * 0.98 if peak > 0.98 else out


def write_wav(samples: np.ndarray, path: Path, rate: int) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def mux(source: Path, sound_wav: Path, out: Path, duration: float, language: str,
        has_video: bool, lufs: float = TARGET_LUFS) -> Loudness:
    """``out`` (MP4): the source's picture (copied; re-encoded if MP4 cannot hold its codec)
    and ``sound_wav`` as its one audio track at ``lufs``, tagged with the language."""
    chain, measured = normalising_chain(lambda c: measure_file(sound_wav, c), lufs,
                                        rate=MIX_RATE)
    tag = _ISO639_2.get(language)
    common = ["-map", "1:a:0", "-af", chain, "-c:a", "aac", "-b:a", "192k", "-ar",
              str(MIX_RATE), "-t", f"{duration:.3f}",
              *(["-metadata:s:a:0", f"language={tag}"] if tag else []),
              "-movflags", "+faststart", "-f", "mp4", str(Path(out).resolve())]
    inputs = ["-i", str(Path(source).resolve()), "-i", str(Path(sound_wav).resolve())]
    fix = "check that the source video is readable (ffprobe it)"
    if not has_video:
        run_ffmpeg([*inputs, *common], subject=source, fix=fix)
        return measured
    try:
        run_ffmpeg([*inputs, "-map", "0:v:0", "-c:v", "copy", *common], subject=source, fix=fix)
    except MediaError:  # a codec MP4 cannot carry (ProRes, ...): encode the picture
        run_ffmpeg([*inputs, "-map", "0:v:0", "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "20", "-pix_fmt", "yuv420p", *common], subject=source, fix=fix)
    return measured
