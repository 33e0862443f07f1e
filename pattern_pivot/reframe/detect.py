"""Faces in a frame: YuNet (the `yuface` package, weights compiled into its library).

YuNet finds faces down to ~16 px, so a webcam inset in a screen recording is still seen
at analysis size. Its OpenMP pool is pinned to one thread: on a shared 2-core machine more
threads made it several times slower, not faster.
"""

from __future__ import annotations

import ctypes
import glob
import os
from functools import lru_cache

import numpy as np

from pattern_pivot.reframe.plan import Box

MIN_CONFIDENCE = 0.6


@lru_cache(maxsize=1)
def _yuface():
    import yuface

    libs = glob.glob(os.path.join(os.path.dirname(yuface.__file__), "..", "yuface.libs",
                                  "libgomp*.so*"))
    gomp = ctypes.CDLL(libs[0]) if libs else None
    return yuface, gomp


def detect_faces(frame: np.ndarray, min_confidence: float = MIN_CONFIDENCE) -> list[Box]:
    """Faces in a BGR frame, in that frame's pixels, largest first."""
    yuface, gomp = _yuface()
    if gomp is not None:
        gomp.omp_set_num_threads(1)  # per calling thread: cheap, so set every time
    confs, boxes, _ = yuface.detect(np.ascontiguousarray(frame), conf=min_confidence)
    height, width = frame.shape[:2]
    faces = []
    for conf, (x, y, w, h) in zip(np.asarray(confs).tolist(), np.asarray(boxes).tolist()):
        if conf < min_confidence * 100 or w <= 0 or h <= 0:
            continue
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(width, x + w), min(height, y + h)
        if x1 > x0 and y1 > y0:
            faces.append(Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0)))
    return sorted(faces, key=lambda b: b.w * b.h, reverse=True)
