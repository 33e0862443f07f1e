"""Where the shots cut: PySceneDetect's adaptive detector (``AdaptiveDetector``, 0.7, its
default settings), the same arithmetic in a few lines.

Importing ``scenedetect`` imports its video backends (PyAV, MoviePy), and MoviePy's import
runs ``ffmpeg -version`` and ``ffplay`` to find its tools: about 0.2-0.4 s of CPU and three
processes at the start of every render that frames a source, for a detector that is a
difference of HSV pictures. tests/test_reframe_cuts.py checks that this one decides as
PySceneDetect's does.

Each frame scores the mean absolute change of its hue, saturation and value from the
frame before (averaged over the three). A frame is a cut when its score is at least
``ratio`` times the average score of the ``window`` frames either side of it (fast motion
scores high on its neighbours too, a cut only on itself), is at least ``min_score``, and
comes ``min_gap`` frames or more after the last cut (or the first frame).
"""

from __future__ import annotations

import cv2
import numpy as np


class CutDetector:
    """Feed frames in order with ``push``; each call returns the frame numbers found to
    start a new shot, decided ``window`` frames late (the last ``window`` frames of a video
    are never cuts: nothing follows them to compare with)."""

    def __init__(self, min_gap: int, ratio: float = 3.0, window: int = 2,
                 min_score: float = 15.0):
        if window < 1:
            raise ValueError("window must be at least 1 frame")
        self.min_gap, self.ratio, self.window, self.min_score = min_gap, ratio, window, min_score
        self._last: np.ndarray | None = None  # the previous frame in HSV
        self._scores: list[tuple[int, float]] = []  # (frame number, score), the last few
        self._last_cut: int | None = None

    def _score(self, frame: np.ndarray) -> float:
        hsv = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)
        last, self._last = self._last, hsv
        if last is None:
            return 0.0
        pixels = float(hsv.shape[0] * hsv.shape[1])
        sums = np.sum(cv2.absdiff(hsv, last), axis=(0, 1), dtype=np.int64)
        hue, sat, value = (int(s) / pixels for s in sums)
        return (hue + sat + value) / 3.0

    def push(self, number: int, frame: np.ndarray) -> list[int]:
        score = self._score(frame)
        if self._last_cut is None:
            self._last_cut = number
        self._scores.append((number, score))
        size = 2 * self.window + 1
        if len(self._scores) < size:
            return []
        self._scores = self._scores[-size:]
        target, target_score = self._scores[self.window]
        around = sum(s for i, (_, s) in enumerate(self._scores) if i != self.window) / (
            2.0 * self.window)
        if abs(around) >= 1e-5:
            relative = min(target_score / around, 255.0)
        else:  # a still picture, then a change: any change big enough counts
            relative = 255.0 if target_score >= self.min_score else 0.0
        if (relative >= self.ratio and target_score >= self.min_score
                and target - self._last_cut >= self.min_gap):
            self._last_cut = target
            return [target]
        return []
