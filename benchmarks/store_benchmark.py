"""Media store benchmark: put and get throughput of the S3 store (moto's S3 server over HTTP
on 127.0.0.1, in its own process) against the local store, and the Python memory peak of
each, for files larger than one upload part.

Put: the stage's temporary file is filled (a copy of the input) and published
(``atomic_write``). Get: ``path()`` on an empty mirror (the S3 store downloads the object),
then the file is read through; "get (mirrored)" is a second ``path()`` that finds the copy
current. Informational only: always exits 0, never asserts on time.

Run: .venv/bin/python benchmarks/store_benchmark.py [--sizes-mb 16 128] [--repeats 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pattern_pivot.media.s3_store import MiB  # noqa: E402
from pattern_pivot.media.store import LocalMediaStore  # noqa: E402
from tests.s3_support import S3Server, moto_s3_process  # noqa: E402

BENCH_DIR = REPO / "var" / "bench"  # var/ is git-ignored


def _input(size_mb: int) -> Path:
    path = BENCH_DIR / f"store-{size_mb}mb.bin"
    if not path.is_file() or path.stat().st_size != size_mb * MiB:
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            for _ in range(size_mb):
                out.write(os.urandom(MiB))
    return path


def _read_through(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def _timed(action) -> tuple[float, int]:
    tracemalloc.start()
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def measure(make_store, source: Path, work: Path, run: int) -> dict[str, tuple[float, int]]:
    writer = make_store(work / f"w{run}")
    partition = f"file-{run}"

    def put() -> None:
        with writer.atomic_write("source_video", partition, "source.bin", "fp") as tmp:
            shutil.copyfile(source, tmp)

    reader = make_store(work / f"r{run}")  # another machine: an empty mirror
    want = _read_through(source)

    def get() -> None:
        assert _read_through(reader.path("source_video", partition, "source.bin")) == want

    def get_again() -> None:
        reader.path("source_video", partition, "source.bin")

    return {"put": _timed(put), "get": _timed(get), "get (mirrored)": _timed(get_again)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[16, 128])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--part-mb", type=int, default=8)
    args = parser.parse_args()
    print(f"media store benchmark: {os.cpu_count()} CPUs, part size {args.part_mb} MiB, "
          f"median of {args.repeats}")
    with moto_s3_process() as url, tempfile.TemporaryDirectory(dir=BENCH_DIR.parent
                                                                if BENCH_DIR.parent.is_dir()
                                                                else None) as tmp:
        server = S3Server(url)
        for size_mb in args.sizes_mb:
            source = _input(size_mb)
            bucket = server.bucket()
            stores = {
                # One shared directory for both "machines" (a volume both mount).
                "local": lambda root: LocalMediaStore(root.parent / "shared"),
                "s3 (moto)": lambda root: server.store(bucket, root,
                                                       part_size=args.part_mb * MiB),
            }
            results: dict[str, dict[str, list[tuple[float, int]]]] = {}
            for run in range(args.repeats):
                for name, make in stores.items():  # interleaved: the machine is noisy
                    work = Path(tmp) / f"{name[:5]}-{size_mb}"
                    for op, value in measure(make, source, work, run).items():
                        results.setdefault(name, {}).setdefault(op, []).append(value)
                    shutil.rmtree(work, ignore_errors=True)
            print(f"\n{size_mb} MiB file")
            print(f"  {'store':<10} {'operation':<15} {'MB/s':>8} {'seconds':>8} "
                  f"{'py peak MB':>10}")
            for name, ops in results.items():
                for op, values in ops.items():
                    if name == "local" and op == "get (mirrored)":
                        continue  # the local store has no mirror
                    seconds = statistics.median(v[0] for v in values)
                    peak = max(v[1] for v in values)
                    rate = size_mb * MiB / 1e6 / seconds
                    print(f"  {name:<10} {op:<15} {rate:>8.0f} {seconds:>8.3f} "
                          f"{peak / 1e6:>10.1f}")
            for op in ("put", "get"):
                local = statistics.median(v[0] for v in results["local"][op])
                remote = statistics.median(v[0] for v in results["s3 (moto)"][op])
                print(f"  s3/local time for {op}: {remote / local:.1f}x")


if __name__ == "__main__":
    main()
