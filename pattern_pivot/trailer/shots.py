"""Where the source's shots change, to the frame: PySceneDetect (the framing analysis, no
faces) finds the cuts at 6 samples a second; each is then refined on every frame around
it, so a trailer cut placed on one shows no frame of the shot before."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from pattern_pivot.media.ffmpeg import tool
from pattern_pivot.reframe.analysis import analyse

REFINE_FPS = 25.0
REFINE_HALF = 0.3  # seconds either side of the coarse cut (it is within 1/6 s)
_W, _H = 96, 54


def refine_cut(path: Path, approx: float) -> float:
    """The time of the first frame of the new shot: the biggest change between
    consecutive frames near ``approx``; ``approx`` itself when the video cannot be read."""
    start = max(0.0, approx - REFINE_HALF)
    proc = subprocess.run(
        [tool("ffmpeg"), "-nostdin", "-v", "error", "-ss", f"{start:.3f}", "-t",
         f"{2 * REFINE_HALF:.3f}", "-i", str(Path(path).resolve()), "-map", "0:v:0",
         "-vf", f"fps={REFINE_FPS},scale={_W}:{_H}", "-f", "rawvideo", "-pix_fmt", "gray",
         "-"], stdin=subprocess.DEVNULL, capture_output=True, check=False)
    frames = np.frombuffer(proc.stdout, dtype=np.uint8)
    count = len(frames) // (_W * _H)
    if proc.returncode != 0 or count < 2:
        return approx
    frames = frames[:count * _W * _H].reshape(count, -1).astype(np.int16)
    change = np.abs(np.diff(frames, axis=0)).mean(axis=1)
    return round(start + (int(np.argmax(change)) + 1) / REFINE_FPS, 3)


def shot_cuts(path: Path, start: float, end: float) -> tuple[float, ...]:
    """Source times in ``start``-``end`` where a new shot begins."""
    coarse = analyse(Path(path), max(0.0, start - 0.5), end + 0.5, faces=False).cuts
    return tuple(c for c in (refine_cut(path, c) for c in coarse) if start <= c <= end)
