"""CLI benchmark: wall time of `pattern-pivot --help`, `search` and `transcribe` (the 11 s JFK
clip, tiny.en) against a bare Python start-up, each in a fresh process, measured in the same
run. `search` runs on an empty store and on one of --chunks chunks (random unit vectors,
80-word texts: the size of real rows), one-off and through a long-lived Milvus Lite server
(`python -m pattern_pivot.retrieval.lite_server`). Prints numbers and ratios; asserts nothing.

Run: .venv/bin/python benchmarks/cli_benchmark.py [--repeats 3] [--chunks 10000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
JFK = REPO.parent / "shared" / "media" / "speech" / "jfk" / "jfk.wav"
CLI = [sys.executable, "-m", "pattern_pivot.cli"]


def wall(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def fill_store(db: str, n: int) -> None:
    """``n`` chunks in videos of 100, as the indexing stage writes them."""
    import numpy as np

    from pattern_pivot.retrieval.chunking import Chunk
    from pattern_pivot.retrieval.milvus_store import MilvusChunkStore

    store = MilvusChunkStore(db, model_name="all-MiniLM-L6-v2", dim=384)
    rng = np.random.default_rng(7)
    words = "the starter needs flour and water every day before you bake".split()
    with store.session():
        for v in range(0, n, 100):
            count = min(100, n - v)
            vecs = rng.standard_normal((count, 384)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            chunks = [Chunk(f"file-bench{v:07d}", i, 30.0 * i, 30.0 * i + 30,
                            " ".join(rng.choice(words, 80)), None, None) for i in range(count)]
            store.replace_video(chunks[0].video_id, chunks, vecs)


@contextmanager
def lite_server(db: str, env: dict):
    """A long-lived server for ``db``: `search` finds it by the note it writes."""
    from pattern_pivot.retrieval.lite_server import running_server

    proc = subprocess.Popen([sys.executable, "-m", "pattern_pivot.retrieval.lite_server",
                             "--db", db], env=env, cwd=REPO, stderr=subprocess.DEVNULL)
    try:
        while running_server(db) is None:
            if proc.poll() is not None:
                raise SystemExit("the Milvus Lite server exited")
            time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chunks", type=int, default=10000, help="chunks in the filled store")
    ap.add_argument("--quick", action="store_true", help="skip the torch and transcribe cases")
    args = ap.parse_args()
    query = "how to feed a sourdough starter"
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": data, "PYTHONPATH": str(REPO)}
        env.pop("PATTERN_PIVOT_MILVUS_URI", None)
        filled = str(Path(data) / "filled" / "milvus.db")
        t0 = time.perf_counter()
        fill_store(filled, args.chunks)
        print(f"filled a store with {args.chunks} chunks in {time.perf_counter() - t0:.0f} s",
              flush=True)
        served = f"search ({args.chunks} chunks, lite server)"
        cases = {
            "bare python -c pass": [sys.executable, "-c", "pass"],
            "pattern-pivot --help": [*CLI, "--help"],
            "search (onnx, empty store)": [*CLI, "search", query],
            f"search ({args.chunks} chunks, one-off)": [*CLI, "search", query],
            served: [*CLI, "search", query],
            "search (torch backend)": [*CLI, "search", query],
            f"transcribe {JFK.name} (tiny.en)": [*CLI, "transcribe", str(JFK), "--model",
                                                  "tiny.en"],
        }
        if args.quick:
            cases = {k: v for k, v in cases.items() if "torch" not in k and "transcribe" not in k}
        wall(cases["search (onnx, empty store)"], env)  # creates the (empty) store once
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.repeats):  # interleaved: the machine's load drifts
            for label, cmd in cases.items():
                run_env = {**env, "PATTERN_PIVOT_EMBEDDING_BACKEND": "torch"} \
                    if "torch" in label else env
                if "chunks" in label:
                    run_env = {**run_env, "PATTERN_PIVOT_MILVUS_URI": filled}
                with lite_server(filled, env) if label == served else nullcontext():
                    if label == served:  # the server loads the collection once: not timed
                        wall(cmd, run_env)
                    times[label].append(wall(cmd, run_env))
                print(f"  {label}: {times[label][-1]:.2f} s", flush=True)
    base = statistics.median(times["bare python -c pass"])
    print(f"\ncpus={os.cpu_count()} load avg={os.getloadavg()[0]:.1f} "
          f"repeats={args.repeats} (median wall s)")
    print(f"{'command':<40}{'median s':>10}{'min s':>10}{'x bare':>10}")
    for label, ts in times.items():
        print(f"{label:<40}{statistics.median(ts):>10.2f}{min(ts):>10.2f}"
              f"{statistics.median(ts) / base:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
