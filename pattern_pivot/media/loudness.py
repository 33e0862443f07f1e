"""Measure loudness (EBU R128) with ffmpeg's ebur128 meter, and turn it into a gain.

One meter for every stage (enhance, render, dubbing, the quality check), so a file made for
-14 LUFS reads -14 in the check. ebur128 rather than loudnorm's analysis: loudnorm resamples
everything to 192 kHz (about 3x the cost) and reads 0.2-0.3 LU quieter on speech than
BS.1770 (a numpy BS.1770 meter agrees with ebur128 to 0.03 LU).

Measuring is a cheap audio-only pass; applying the measured gain (plus a true-peak limiter)
in the final encode is the "measured" two-pass normalisation, so short clips land on target
where one-pass dynamic loudnorm drifts.
"""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from pattern_pivot.errors import MediaError
from pattern_pivot.media.ffmpeg import run_ffmpeg, tool

TARGET_LUFS = -14.0
TRUE_PEAK_DB = -1.5
LIMITER_HEADROOM = 0.1  # dB: a measured true peak this far under the ceiling never limits


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS; -inf for silence
    true_peak: float  # dBTP
    lra: float

    @property
    def silent(self) -> bool:
        return not math.isfinite(self.integrated) or self.integrated < -70


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return -math.inf


def run_ffmpeg_stderr(args: Sequence[str | Path], *, subject: str | Path, fix: str) -> str:
    """Run ffmpeg at info level and return its log (filters print measurements there)."""
    cmd = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info", "-y",
           *[str(a) for a in args]]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)
    log = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        tail = " | ".join(log.strip().splitlines()[-4:])
        raise MediaError(str(subject), f"ffmpeg failed ({tail})", fix)
    return log


# Frames log at verbose level, the summary at info. True peak (4x oversampling) costs extra:
# asked for where a peak is reported or limited.
# Digital silence after sound decays the meter's K-weighting filters into denormal numbers,
# which made ffmpeg's ebur128 ~20x slower (1 s of CPU for a 48 s mix ending in silence).
# White noise 180 dB under full scale keeps them normal: 110 dB under the meter's -70 LUFS
# gate, it changes no reading.
_NOISE_FLOOR = ("anoisesrc=r=48000:a=1e-9:c=white:seed=1,"
                "aformat=sample_fmts=fltp:channel_layouts=stereo")


def ebur128_filters(stream: str, out: str, peak: bool = False) -> list[str]:
    """Filter statements that measure ``stream`` (e.g. ``[mix]``) into the stream labelled
    ``out``: ebur128's summary at info level (per-frame lines at verbose), true peak only
    with ``peak``."""
    return [f"{_NOISE_FLOOR}[{out}_floor]",
            f"{stream}[{out}_floor]amix=inputs=2:normalize=0:duration=first,"
            f"ebur128={'peak=true:' if peak else ''}framelog=verbose[{out}]"]


_FIELD = {name: re.compile(rf"{name}:\s*(-?[\d.]+|-inf) (?:LUFS|LU|dBFS)")
          for name in ("I", "LRA", "Peak")}


def parse_ebur128(log: str, subject: str | Path) -> Loudness:
    """The summary of an ``ebur128`` filter (``true_peak`` only with ``peak=true``, else
    NaN). Its floor, -70 LUFS, is silence (-inf). The last summary
    counts: a filter graph configured again when its input's format is known prints an
    empty one first."""
    if "Summary:" not in log:
        raise MediaError(str(subject), "loudness could not be measured (no ebur128 summary)",
                         "check that the file has a decodable audio stream")
    summary = log.rsplit("Summary:", 1)[1]
    found = {name: pattern.search(summary) for name, pattern in _FIELD.items()}
    if found["I"] is None:
        raise MediaError(str(subject), "loudness could not be measured (no integrated "
                         "loudness in the ebur128 summary)",
                         "check that the file has a decodable audio stream")
    integrated = _number(found["I"].group(1))
    return Loudness(integrated if integrated > -70 else -math.inf,
                    _number(found["Peak"].group(1)) if found["Peak"] else math.nan,
                    _number(found["LRA"].group(1)) if found["LRA"] else math.nan)


def measure_file(path: Path, chain: str = "anull", input_options: Sequence[str] = (), *,
                 true_peak: bool = True) -> Loudness:
    """Loudness of the first audio stream of ``path`` after filter ``chain``
    (``input_options`` describe a headerless input, e.g. raw float samples); the true peak
    is NaN unless asked for."""
    graph = ";".join([f"[0:a:0]{chain}[chained]",
                      *ebur128_filters("[chained]", "measured", peak=true_peak)])
    log = run_ffmpeg_stderr([*input_options, "-i", Path(path).resolve(), "-filter_complex",
                             graph, "-map", "[measured]", "-f", "null", "-"],
                            subject=path, fix="check that the file has a decodable audio stream")
    return parse_ebur128(log, path)


def gain_filter(gain_db: float, true_peak: float = TRUE_PEAK_DB, rate: int = 48000) -> str:
    """Gain, then a true-peak ceiling (limiter with auto-level off), then the output rate."""
    limit = 10 ** (true_peak / 20)
    return (f"volume={gain_db:.2f}dB,alimiter=limit={limit:.4f}:level=false:attack=2:"
            f"release=60,aresample={rate}")


def normalising_chain(measure: Callable[[str], Loudness], target: float = TARGET_LUFS,
                      true_peak: float = TRUE_PEAK_DB, rate: int = 48000
                      ) -> tuple[str, Loudness]:
    """A filter chain that brings the audio ``measure`` hears to ``target`` LUFS.

    The first pass measures the input; the limiter then takes some loudness off the peaks
    the gain pushes over the ceiling, so a second pass measures the limited result and
    corrects the gain by what was lost (repeated while it is off by more than 0.2 LU).
    The passes decode audio only (cheap).
    """
    first = measure("anull")
    if first.silent:
        return gain_filter(0.0, true_peak, rate), first
    gain = max(-30.0, min(30.0, target - first.integrated))
    if first.true_peak + gain <= true_peak - LIMITER_HEADROOM:
        # The limiter never acts (NaN, an unmeasured peak, compares False): the gain alone
        # lands on the target, so there is nothing for a second pass to correct.
        return gain_filter(gain, true_peak, rate), first
    for _ in range(3):  # converges in one or two corrections
        after = measure(gain_filter(gain, true_peak, rate))
        if after.silent or abs(after.integrated - target) <= 0.2:
            break
        gain = max(-30.0, min(36.0, gain + (target - after.integrated)))
    return gain_filter(gain, true_peak, rate), first


def normalise_wav(source: Path, target: Path, lufs: float, sample_rate: int) -> Loudness:
    """Write ``source`` to ``target`` (16-bit mono WAV) normalised to ``lufs``."""
    chain, measured = normalising_chain(lambda c: measure_file(source, c), lufs,
                                        rate=sample_rate)
    run_ffmpeg(["-i", Path(source).resolve(), "-af", chain, "-ac", "1", "-c:a", "pcm_s16le",
                "-f", "wav", Path(target).resolve()],
               subject=source, fix="check that the narration audio is a valid WAV")
    return measured
