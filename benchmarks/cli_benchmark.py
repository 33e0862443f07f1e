"""CLI benchmark: wall time of `pattern-pivot --help`, `search` and `transcribe` (the 11 s JFK
clip, tiny.en) against a bare Python start-up, each in a fresh process, measured in the same
run. Prints numbers and ratios; asserts nothing.

Run: .venv/bin/python benchmarks/cli_benchmark.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
JFK = REPO.parent / "shared" / "media" / "speech" / "jfk" / "jfk.wav"
CLI = [sys.executable, "-m", "pattern_pivot.cli"]


def wall(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": data, "PYTHONPATH": str(REPO)}
        env.pop("PATTERN_PIVOT_MILVUS_URI", None)
        cases = {
            "bare python -c pass": [sys.executable, "-c", "pass"],
            "pattern-pivot --help": [*CLI, "--help"],
            "search (onnx, default)": [*CLI, "search", "how to feed a sourdough starter"],
            "search (torch backend)": [*CLI, "search", "how to feed a sourdough starter"],
            f"transcribe {JFK.name} (tiny.en)": [*CLI, "transcribe", str(JFK), "--model",
                                                  "tiny.en"],
        }
        wall(cases["search (onnx, default)"], env)  # creates the (empty) store once
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.repeats):  # interleaved: the machine's load drifts
            for label, cmd in cases.items():
                run_env = {**env, "PATTERN_PIVOT_EMBEDDING_BACKEND": "torch"} \
                    if "torch" in label else env
                times[label].append(wall(cmd, run_env))
                print(f"  {label}: {times[label][-1]:.2f} s", flush=True)
    base = statistics.median(times["bare python -c pass"])
    print(f"\ncpus={os.cpu_count()} load avg={os.getloadavg()[0]:.1f} "
          f"repeats={args.repeats} (median wall s)")
    print(f"{'command':<36}{'median s':>10}{'min s':>10}{'x bare':>10}")
    for label, ts in times.items():
        print(f"{label:<36}{statistics.median(ts):>10.2f}{min(ts):>10.2f}"
              f"{statistics.median(ts) / base:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
