"""Audio as float32 blocks piped through ffmpeg: decoded from any media file, encoded into
any file, so an hour of audio is never held decoded in memory."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from pattern_pivot.errors import MediaError
from pattern_pivot.media.ffmpeg import tool

BLOCK_SECONDS = 2.0
DECODE_FIX = ("the audio track could not be decoded: re-export the file with a standard "
              "audio codec (AAC, MP3, PCM)")


def _tail(log) -> str:
    log.seek(0)
    lines = log.read().decode("utf-8", "replace").strip().splitlines()
    return " | ".join(lines[-4:]) or "no error output"


def decode_blocks(source: Path, *, rate: int, channels: int = 1,
                  audio_filter: str | None = None, block_seconds: float = BLOCK_SECONDS,
                  input_options: Sequence[str] = ()) -> Iterator[np.ndarray]:
    """The first audio stream of ``source`` as interleaved float32 blocks at ``rate``."""
    cmd = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error",
           *input_options, "-i", str(Path(source).resolve()), "-map", "0:a:0",
           "-vn", "-sn", "-dn", *(["-af", audio_filter] if audio_filter else []),
           "-ac", str(channels), "-ar", str(rate), "-f", "f32le", "-"]
    size = max(1, int(rate * block_seconds)) * channels * 4
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: ffmpeg never blocks on it
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=log)
        try:
            while chunk := proc.stdout.read(size):
                yield np.frombuffer(chunk, dtype=np.float32)
            if proc.wait() != 0:
                raise MediaError(str(source), f"ffmpeg failed ({_tail(log)})", DECODE_FIX)
        finally:
            if proc.poll() is None:  # the reader stopped early
                proc.kill()
            proc.wait()
            proc.stdout.close()


class Encoder:
    """ffmpeg reading interleaved float32 from stdin and writing ``target``."""

    def __init__(self, target: Path, *, rate: int, channels: int = 1,
                 output_args: Sequence[str] = ("-c:a", "pcm_s16le", "-f", "wav"),
                 subject: str | Path = ""):
        self.target, self.subject = Path(target), str(subject or target)
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
             "-f", "f32le", "-ar", str(rate), "-ac", str(channels), "-i", "-",
             *output_args, str(self.target.resolve())],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)

    def write(self, samples: np.ndarray) -> None:
        try:
            self._proc.stdin.write(np.ascontiguousarray(samples, dtype=np.float32).tobytes())
        except BrokenPipeError:
            self._fail()

    def _fail(self) -> None:
        self._proc.kill()
        self._proc.wait()
        raise MediaError(self.subject, f"ffmpeg could not write {self.target} "
                         f"({_tail(self._log)})", "check the output path and free disk space")

    def close(self) -> None:
        try:
            self._proc.stdin.close()
        except BrokenPipeError:
            pass
        if self._proc.wait() != 0:
            self._fail()

    def __enter__(self) -> "Encoder":
        return self

    def __exit__(self, kind, *rest) -> None:
        try:
            if kind is None:
                self.close()
            elif self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()
        finally:
            self._log.close()
