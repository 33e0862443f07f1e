"""Run ffmpeg and ffprobe with argument lists (never shell strings), streaming.

Every input path is passed absolute, so a file named ``-x.mp4`` can never be read as an
option, and the tools never wait on stdin.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

from pattern_pivot.errors import MediaError, ToolMissingError


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissingError(name, "is not installed or not on PATH",
                               "install it (apt-get install ffmpeg) or run ./scripts/setup.sh")
    return path


def _stderr_tail(stderr: bytes, lines: int = 6) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "no error output"


def run_ffmpeg(args: Sequence[str | Path], *, subject: str | Path, fix: str,
               progress: Callable[[float], None] | None = None) -> None:
    """Run ``ffmpeg <args>``; a failure becomes a MediaError naming ``subject``.
    ``progress(seconds)``: called with how much output is written as ffmpeg reports it
    (``-progress``, about twice a second)."""
    cmd = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
           *(["-progress", "pipe:1", "-nostats"] if progress else []),
           *[str(a) for a in args]]
    if progress is None:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
        returncode, stderr = proc.returncode, proc.stderr
    else:
        # stderr to a file: a pipe nobody reads could fill and stall ffmpeg.
        with tempfile.TemporaryFile() as errors:
            with subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=errors) as proc:
                for line in proc.stdout:
                    key, _, value = line.decode("ascii", "replace").strip().partition("=")
                    # out_time_us (and, despite its name, out_time_ms) are microseconds
                    if key == "out_time_us" and value.isdigit():
                        progress(int(value) / 1e6)
            returncode = proc.returncode
            errors.seek(0)
            stderr = errors.read()
    if returncode != 0:
        raise MediaError(str(subject), f"ffmpeg failed ({_stderr_tail(stderr)})", fix)


PACKET_WINDOW = 8.0  # seconds of packets (read, not decoded) a probe lists


def ffprobe_json(path: Path) -> dict:
    """ffprobe's format and streams for ``path`` as a dict (a fresh one per call), and under
    ``packets`` the stream, decode time and flags of each packet in its first
    ``PACKET_WINDOW`` seconds (how its streams interleave and where its first keyframes
    are, for the render's reading plan: one probe rather than two)."""
    resolved = Path(path).resolve()
    try:
        stat = resolved.stat()
        version = (stat.st_mtime_ns, stat.st_size)
    except OSError:  # ffprobe says what is wrong with it
        version = (0, -1)
    try:
        return json.loads(_ffprobe(str(resolved), *version))
    except _ProbeFailed as failed:
        raise MediaError(
            str(path), f"cannot be read as media ({_stderr_tail(failed.stderr, 2)})",
            "the file is truncated or corrupt: re-export or re-download it, then add it again"
        ) from None


class _ProbeFailed(Exception):
    def __init__(self, stderr: bytes):
        super().__init__()
        self.stderr = stderr


def forget_probes() -> None:
    """Forget every cached ``ffprobe_json`` answer (``render.clear_caches``)."""
    _ffprobe.cache_clear()


@lru_cache(maxsize=128)
def _ffprobe(resolved: str, mtime_ns: int, size: int) -> bytes:
    """Cached per file version (keyed by the resolved path alone: a render probes each
    source for its streams and again for its picture geometry, under other spellings of
    its path)."""
    cmd = [tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format",
           "-show_streams", "-read_intervals", f"%+{PACKET_WINDOW:g}", "-show_entries",
           "packet=stream_index,dts_time,flags", resolved]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    if proc.returncode != 0:
        raise _ProbeFailed(proc.stderr)
    return proc.stdout or b"{}"
