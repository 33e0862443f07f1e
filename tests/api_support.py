"""A real API server for tests: ``pattern-pivot api`` in a subprocess on a free 127.0.0.1 port,
on its own data folder, with an API key; stopped (and its workers with it) afterwards."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import JFK, REPO, TALKING_HEAD_NO_AUDIO, ffmpeg

API_KEY = "test-key-" + "k" * 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def talk_clip(out: Path) -> Path:
    """11 s: JFK's speech over the real talking head, small and quick to process."""
    ffmpeg("-i", str(TALKING_HEAD_NO_AUDIO), "-i", str(JFK), "-map", "0:v", "-map", "1:a",
           "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-c:a", "aac",
           "-b:a", "64k", "-movflags", "+faststart", str(out))
    return out


class ApiServer:
    def __init__(self, data_dir: Path, max_upload_mb: int = 2, extra_env: dict | None = None):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(data_dir),
               "PATTERN_PIVOT_ASR_MODEL": "tiny.en",
               "PATTERN_PIVOT_API_KEY_SHA256": hashlib.sha256(API_KEY.encode()).hexdigest(),
               "PATTERN_PIVOT_API_MAX_UPLOAD_MB": str(max_upload_mb), **(extra_env or {})}
        env.pop("DAGSTER_HOME", None)
        self.log = open(data_dir.parent / "api-server.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pattern_pivot.cli", "api", "--port", str(self.port)],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.client = httpx.Client(base_url=self.url, headers={"X-API-Key": API_KEY},
                                   timeout=60)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the API server exited: {self.log_text()}")
            try:
                if self.client.get("/api/jobs").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the API server did not start: {self.log_text()}")

    def log_text(self) -> str:
        self.log.flush()
        return (self.data_dir.parent / "api-server.log").read_text(errors="replace")[-4000:]

    def wait_done(self, processing_id: str, timeout: float = 800) -> tuple[dict, list[float]]:
        """Poll the status until the job ends; the final status and every percentage seen."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.client.get(f"/api/status/{processing_id}").json()
            seen.append(status["progress_percentage"])
            if status["status"] in ("completed", "failed", "canceled"):
                return status, seen
            time.sleep(1.0)
        raise AssertionError(f"job {processing_id} did not end: {status}")

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # uvicorn stops the job workers it started
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
