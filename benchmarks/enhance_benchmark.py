"""Speech denoise: speed as a fraction of real time (DeepFilterNet3 vs ffmpeg afftdn in the same
run), SNR against the clean original, and Whisper's WER on clean and noisy speech before and
after denoise.

    .venv/bin/python benchmarks/enhance_benchmark.py                 # base model, 5 dB SNR
    .venv/bin/python benchmarks/enhance_benchmark.py --models base tiny.en --snr 5 10
    .venv/bin/python benchmarks/enhance_benchmark.py --speed-minutes 5 --skip-wer

Inputs: the five LibriVox utterances and the JFK clip (../shared/media/speech, about 36 s of
real speech) mixed with seeded pink + brown noise and a 50 Hz hum. Prints numbers only;
never asserts on time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pattern_pivot.enhance.denoise import denoise_stream  # noqa: E402
from pattern_pivot.enhance.speech import write_denoised_speech  # noqa: E402
from pattern_pivot.transcription.whisper import FasterWhisperTranscriber  # noqa: E402
from tests.enhance_support import decode, mix_at_snr, snr_db, write_wav  # noqa: E402

SPEECH = REPO.parent / "shared" / "media" / "speech"


def _references() -> list[tuple[Path, str]]:
    import re

    pairs = []
    for line in (SPEECH / "librivox" / "transcription").read_text().splitlines():
        match = re.match(r"<s>(.*)</s>\s*\((.+)\)", line.strip())
        if match:
            pairs.append((SPEECH / "librivox" / f"{match.group(2)}.wav", match.group(1)))
    pairs.append((SPEECH / "jfk" / "jfk.wav", (SPEECH / "jfk" / "jfk-reference.txt")
                  .read_text()))
    return pairs


def _reading(work: Path) -> tuple[Path, str]:
    import numpy as np

    pairs = _references()
    samples = np.concatenate([np.concatenate([decode(p), np.zeros(8000)]) for p, _ in pairs])
    return write_wav(work / "clean.wav", samples), " ".join(text for _, text in pairs)


def _denoised(source: Path, target: Path, engine: str) -> tuple[Path, float, float]:
    started = time.perf_counter()
    result = write_denoised_speech(source, target, rate=16_000, denoiser=engine)
    return target, time.perf_counter() - started, result.audio_seconds


def speed(clean: Path, work: Path, minutes: float) -> None:
    """Both denoisers over the same longer noisy input, alternating, wall and CPU time."""
    import resource

    import numpy as np

    base = decode(clean)
    frames = int(minutes * 60 * 16_000)
    looped = np.resize(base, frames)
    noisy = write_wav(work / "long_noisy.wav", mix_at_snr(looped, 5.0, seed=11))
    print(f"\nspeed on {minutes:g} min of noisy speech (48 kHz internally):")
    for engine in ("deepfilter", "afftdn", "deepfilter", "afftdn"):
        cpu0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime + \
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        started = time.perf_counter()
        result = denoise_stream(noisy, lambda block: None, denoiser=engine)
        wall = time.perf_counter() - started
        cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime + \
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - cpu0
        print(f"  {result.engine:15s} wall {wall:6.1f} s = {wall / result.audio_seconds:.3f}x "
              f"real time, cpu {cpu / result.audio_seconds:.3f}x")


def quality(clean: Path, reference: str, work: Path, models: list[str],
            snrs: list[float]) -> None:
    from tests.conftest import word_error_rate

    clean_samples = decode(clean)
    cases = {"clean": clean}
    for snr in snrs:
        cases[f"noisy {snr:g} dB"] = write_wav(work / f"noisy{snr:g}.wav",
                                               mix_at_snr(clean_samples, snr))
    rows = []
    for name, path in cases.items():
        rows.append((name, "none", path, 0.0))
        for engine in ("deepfilter", "afftdn"):
            out, seconds, audio = _denoised(path, work / f"{name}-{engine}.wav".replace(" ", "_"),
                                            engine)
            rows.append((name, engine, out, seconds / audio))
    print("\nSNR against the clean original and WER (references normalised):")
    header = f"  {'input':14s} {'denoise':11s} {'SNR dB':>7s} {'x rt':>6s}"
    transcribers = {m: FasterWhisperTranscriber(m, beam_size=5) for m in models}
    print(header + "".join(f" {'WER ' + m:>13s}" for m in models))
    for name, engine, path, rtf in rows:
        snr = snr_db(clean_samples, decode(path))
        wers = [word_error_rate([reference], [t.transcribe(path).text])
                for t in transcribers.values()]
        print(f"  {name:14s} {engine:11s} {snr:7.1f} {rtf:6.3f}"
              + "".join(f" {w:13.3f}" for w in wers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["base"])
    parser.add_argument("--snr", nargs="+", type=float, default=[5.0])
    parser.add_argument("--speed-minutes", type=float, default=2.0)
    parser.add_argument("--skip-wer", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pp-enhance-bench-") as tmp:
        work = Path(tmp)
        clean, reference = _reading(work)
        speed(clean, work, args.speed_minutes)
        if not args.skip_wer:
            quality(clean, reference, work, args.models, args.snr)


if __name__ == "__main__":
    main()
