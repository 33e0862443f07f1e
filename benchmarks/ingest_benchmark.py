"""Ingest benchmark: bare faster-whisper (sequential and batched) vs the full ingest path, on the
same file of real speech, in one process, with word error rates against the reference text.

Targets (from the issue; printed as PASS/MISS, informational only, always exits 0):
  * our ingest (probe + audio + block-wise batched ASR) takes no longer than the bare batched
    call (BatchedInferencePipeline on the file), and its WER is no worse than the bare
    sequential call's (WhisperModel.transcribe)
  * peak memory of ingest does not grow with input length (2-min vs 20-min input, <= 1.10x)

The input is the 36 s of real speech in ../shared/media (five LibriVox utterances + JFK) looped
a whole number of times (so the reference is exact), as an AAC/H.264 upload.

Run: .venv/bin/python benchmarks/ingest_benchmark.py            # a few minutes: base, 2 min,
     # memory at 2 and 20 min on tiny.en, ingest only
  ... --minutes 2 20 --repeats 2 --memory-model base --memory-modes ingest batched bare
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pattern_pivot import ingest
from pattern_pivot.catalog import Catalog
from pattern_pivot.media.ffmpeg import tool
from pattern_pivot.media.probe import probe
from pattern_pivot.media.store import LocalMediaStore
from pattern_pivot.transcription.whisper import FasterWhisperTranscriber

REPO = Path(__file__).resolve().parents[1]
SPEECH = REPO.parent / "shared" / "media" / "speech"
BENCH_DIR = REPO / "var" / "bench"  # var/ is git-ignored
WARMUP = SPEECH / "jfk" / "jfk.wav"


def _ffmpeg(*args: str | Path) -> None:
    subprocess.run([tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    *map(str, args)], check=True, stdin=subprocess.DEVNULL)


def _unit() -> tuple[Path, str]:
    """The ~36 s of recordings concatenated once, and what is said in them."""
    from tests.conftest import librivox_references  # the tests' reading of the references
    wavs = sorted((SPEECH / "librivox").glob("*.wav")) + [WARMUP]
    unit = BENCH_DIR / "speech_unit.wav"
    if not unit.is_file():
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        inputs = [a for w in wavs for a in ("-i", w)]
        labels = "".join(f"[{i}:a]" for i in range(len(wavs)))
        _ffmpeg(*inputs, "-filter_complex", f"{labels}concat=n={len(wavs)}:v=0:a=1[a]",
                "-map", "[a]", "-ar", "16000", "-ac", "1", unit)
    refs = librivox_references()
    text = " ".join([*(refs[w] for w in wavs[:-1]),
                     (WARMUP.parent / "jfk-reference.txt").read_text().strip()])
    return unit, text


def make_input(minutes: float) -> tuple[Path, str]:
    """A video of real speech looped a whole number of times (closest to ``minutes``): AAC
    48 kHz stereo + a small H.264 track, like a channel upload, so the ingest path really
    probes a container and resamples/downmixes its audio; and its reference text."""
    unit, text = _unit()
    loops = max(1, round(minutes * 60 / probe(unit).duration))
    target = BENCH_DIR / f"speech_{loops}x.mp4"
    if not target.is_file():
        tmp = target.with_suffix(".part.mp4")
        _ffmpeg("-stream_loop", str(loops - 1), "-i", unit,
                "-f", "lavfi", "-i", "color=c=0x203040:s=320x240:r=10",
                "-map", "1:v", "-map", "0:a", "-shortest",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "2",
                "-movflags", "+faststart", tmp)
        tmp.replace(target)
    return target, " ".join([text] * loops)


def cpu_seconds() -> float:
    """CPU time of this process (all threads) plus its finished children (ffmpeg, ffprobe).
    Less sensitive than wall time to other jobs on a shared 2-core box."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_bare(model, path: Path) -> dict:
    """The bare sequential call; the generator is lazy, so time until every segment is out."""
    started, cpu = time.perf_counter(), cpu_seconds()
    segments, _ = model.transcribe(str(path), word_timestamps=True, vad_filter=True)
    segments = list(segments)
    return {"total": time.perf_counter() - started, "cpu": cpu_seconds() - cpu,
            "words": sum(len(s.words or ()) for s in segments),
            "text": " ".join(s.text for s in segments)}


def run_batched(model, path: Path, batch_size: int = 8) -> dict:
    """The bare batched call (faster-whisper's own VAD chunking, whole file at once)."""
    from faster_whisper import BatchedInferencePipeline

    started, cpu = time.perf_counter(), cpu_seconds()
    segments, _ = BatchedInferencePipeline(model).transcribe(
        str(path), word_timestamps=True, batch_size=batch_size)
    segments = list(segments)
    return {"total": time.perf_counter() - started, "cpu": cpu_seconds() - cpu,
            "words": sum(len(s.words or ()) for s in segments),
            "text": " ".join(s.text for s in segments)}


def run_ingest(transcriber: FasterWhisperTranscriber, path: Path) -> dict[str, float]:
    """register -> store_source -> store_audio -> store_transcript, in a fresh catalog and
    store (a new temp dir each run, on the same disk as the input, so nothing is cached)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    cpu = cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="ingest-", dir=BENCH_DIR) as work:
        store = LocalMediaStore(Path(work) / "media")
        t0 = time.perf_counter()
        entry = Catalog(Path(work) / "catalog.sqlite").register_file(path)
        t1 = time.perf_counter()
        source, info = ingest.store_source(entry, store)
        t2 = time.perf_counter()
        audio = ingest.store_audio(entry, store, source, info)
        t3 = time.perf_counter()
        out, transcript = ingest.store_transcript(entry, store, audio, transcriber)
        t4 = time.perf_counter()
        assert not (source.cached or audio.cached or out.cached), "a stage was served from cache"
    times.update(register=t1 - t0, source=t2 - t1, audio=t3 - t2, transcribe=t4 - t3,
                 total=t4 - t0, cpu=cpu_seconds() - cpu, words=transcript.word_count,
                 text=transcript.text)
    return times


def _status_mib(field: str) -> float:
    return int(re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text())[1]) / 1024


def child(mode: str, path: Path, model_name: str) -> None:
    """Fresh-process run for peak memory; prints JSON on stdout. Uses VmHWM (this process's
    own high-water RSS): ru_maxrss is useless here, as subprocess starts children with vfork
    and exec carries the parent's high-water into the child's ru_maxrss. The mark is reset
    after the model loads (clear_refs 5), so the run's own peak shows apart from the load's.
    ffmpeg/ffprobe are separate processes that stream, and are not counted."""
    transcriber = FasterWhisperTranscriber(model_name)
    model = transcriber._load()  # same WhisperModel settings as ingest (threads, int8)
    load_peak, loaded = _status_mib("VmHWM"), _status_mib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    started = time.perf_counter()
    if mode == "bare":
        run_bare(model, path)
    elif mode == "batched":
        run_batched(model, path, transcriber.batch_size)
    else:
        run_ingest(transcriber, path)
    run_peak = _status_mib("VmHWM")
    print(json.dumps({"seconds": time.perf_counter() - started, "loaded": loaded,
                      "load_peak": load_peak, "run_peak": run_peak,
                      "peak": max(load_peak, run_peak)}))


def peak(mode: str, path: Path, model_name: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", mode, str(path),
                           "--model", model_name], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


MODES = ("bare", "batched", "ingest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[2.0],
                        help="timed inputs (rounded to whole loops of the 36 s of speech)")
    parser.add_argument("--model", default="base")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per input (order "
                        "rotates); the median is reported; 0 = memory only")
    parser.add_argument("--memory-minutes", type=float, nargs="*", default=[2.0, 20.0])
    parser.add_argument("--memory-model", default="tiny.en", help="model for the peak-memory "
                        "runs (tiny.en keeps the 20 min run short; flatness is what is measured)")
    parser.add_argument("--memory-modes", nargs="*", default=["ingest"], choices=MODES)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], Path(args.child[1]), args.model)

    from tests.conftest import word_error_rate  # the tests' normalisation, so WERs compare

    print(f"load average at start: {os.getloadavg()}")
    inputs = {m: make_input(m) for m in args.minutes}
    durations = {m: probe(p).duration for m, (p, _) in inputs.items()}
    transcriber = FasterWhisperTranscriber(args.model)
    model = transcriber._load()  # one WhisperModel shared by all paths: same threads, same int8
    print(f"model={args.model} ({transcriber._model_dir.name}) compute=int8 "
          f"cpu_threads={transcriber.cpu_threads} cores={os.cpu_count()} "
          f"batch_size={transcriber.batch_size} repeats={args.repeats}")
    # The first transcribe pays one-off costs (lazy imports, VAD model load, allocator growth):
    # warm every path on the 11 s JFK clip so no timed run carries them.
    if args.repeats and inputs:
        warm = time.perf_counter()
        run_bare(model, WARMUP)
        run_batched(model, WARMUP, transcriber.batch_size)
        run_ingest(transcriber, WARMUP)
        print(f"warm-up (each path on {WARMUP.name}, not timed below): "
              f"{time.perf_counter() - warm:.1f}s\n")
        print("bare = WhisperModel.transcribe (sequential); batched = BatchedInferencePipeline on "
              "the file; ingest = probe + sha256 + ffmpeg audio + our block-wise batched ASR + "
              "JSON.\nx bare = time / bare sequential's; cpu = CPU-seconds ratio to bare "
              "(incl. ffmpeg); WER against the looped reference text\n")
        header = (f"{'input':>6} {'run':>4} | " + " | ".join(
            f"{m + ' s':>10} {'x bare':>6} {'cpu':>5} {'WER':>6}" for m in MODES)
            + f" | {'ingest/batched':>14} {'cpu':>5}")
        print(f"{header}\n{'-' * len(header)}")

    def run(mode: str, path: Path) -> dict:
        if mode == "bare":
            return run_bare(model, path)
        if mode == "batched":
            return run_batched(model, path, transcriber.batch_size)
        return run_ingest(transcriber, path)

    def row(m: float, label: str, res: dict) -> None:
        cells = []
        for mode in MODES:
            r = res[mode]
            cells.append(f"{r['total']:>10.1f} {r['total'] / res['bare']['total']:>6.3f} "
                         f"{r['cpu'] / res['bare']['cpu']:>5.2f} {r['wer']:>6.4f}")
        ing, bat = res["ingest"], res["batched"]
        print(f"{durations[m] / 60:>5.1f}m {label:>4} | " + " | ".join(cells)
              + f" | {ing['total'] / bat['total']:>14.3f} {ing['cpu'] / bat['cpu']:>5.2f}",
              flush=True)
        if "register" in ing:
            print(f"{'':>12}ingest stages: register {ing['register']:.2f}s, source "
                  f"{ing['source']:.2f}s, audio {ing['audio']:.2f}s, transcribe "
                  f"{ing['transcribe']:.1f}s", flush=True)

    medians = {}
    for m, (path, reference) in inputs.items():
        runs = []
        for r in range(args.repeats):
            # Rotate which path goes first: on a noisy shared box drift hits all alike.
            order = MODES[r % 3:] + MODES[:r % 3]
            res = {mode: run(mode, path) for mode in order}
            for out in res.values():
                out["wer"] = word_error_rate([reference], [out["text"]])
            runs.append(res)
            row(m, str(r + 1), res)
        if runs:
            medians[m] = {mode: {k: statistics.median(x[mode][k] for x in runs)
                                 for k in ("total", "cpu", "wer", "words")} for mode in MODES}
            if len(runs) > 1:
                row(m, "med", medians[m])
    if inputs and args.repeats:
        print(f"load average after timing: {os.getloadavg()}")

    peaks: dict[tuple[str, float], dict] = {}
    memory = {m: make_input(m)[0] for m in args.memory_minutes}
    if memory and args.memory_modes:
        print(f"\nPeak RSS (VmHWM) in MiB, model {args.memory_model}, each run in a fresh Python "
              "process (ffmpeg not counted). peak = whole process;\nload = peak while loading "
              "the model; loaded = RSS after it; run = peak during the run alone")
        print(f"{'mode':>7} {'input':>6} {'peak':>7} {'load':>7} {'loaded':>7} {'run':>7} "
              f"{'run-loaded':>10} {'seconds':>8}")
        for mode in args.memory_modes:
            for m, path in memory.items():
                p = peaks[mode, m] = peak(mode, path, args.memory_model)
                print(f"{mode:>7} {probe(path).duration / 60:>5.1f}m {p['peak']:>7.1f} "
                      f"{p['load_peak']:>7.1f} {p['loaded']:>7.1f} {p['run_peak']:>7.1f} "
                      f"{p['run_peak'] - p['loaded']:>10.1f} {p['seconds']:>8.1f}", flush=True)

    print("\n=== summary (informational; targets from the issue) ===")
    for m, res in medians.items():
        ing, bat, bare = res["ingest"], res["batched"], res["bare"]
        ratio = ing["total"] / bat["total"]
        print(f"{durations[m] / 60:.1f} min ({args.model}, {transcriber.cpu_threads} threads): "
              f"ingest {ing['total'] / bare['total']:.3f}x bare sequential, "
              f"{ratio:.3f}x bare batched (cpu {ing['cpu'] / bat['cpu']:.3f}) "
              f"[{mark(ratio <= 1.0)}] <= batched; "
              f"WER bare {bare['wer']:.4f} batched {bat['wer']:.4f} ingest {ing['wer']:.4f} "
              f"[{mark(ing['wer'] <= bare['wer'])}] ingest <= bare sequential")
    if len(memory) >= 2:
        lo, hi = min(memory), max(memory)
        for mode in args.memory_modes:
            a, b = peaks[mode, lo], peaks[mode, hi]
            flat = f"[{mark(b['peak'] / a['peak'] <= 1.10)}] flat (<= 1.10)" if mode == "ingest" \
                else "(reference)"
            print(f"peak {mode:>7}: {lo:g} min {a['peak']:.0f} MiB, {hi:g} min {b['peak']:.0f} "
                  f"MiB, ratio {b['peak'] / a['peak']:.2f}; during run {a['run_peak']:.0f} -> "
                  f"{b['run_peak']:.0f} MiB, ratio {b['run_peak'] / a['run_peak']:.2f}  {flat}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
