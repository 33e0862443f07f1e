"""How open a face's mouth is: mediapipe's face mesh on an upscaled crop around a face
YuNet found. Openness is the inner lips' gap (landmarks 13/14) over the mouth's width
(78/308), so it does not depend on the face's size in the picture.

mediapipe is optional here: when it cannot load, ``mouth_meter()`` returns None (logged
once, with the reason) and framing falls back to following the largest face.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import threading
import warnings
from functools import lru_cache

import cv2
import numpy as np

from pattern_pivot.reframe.plan import Box

log = logging.getLogger(__name__)

CROP_SIZE = 192  # the mesh's own input size: smaller crops are upscaled to it
CROP_SCALE = 1.6  # the crop around a face box: the whole head, the mesh's detector needs it
MIN_FACE_PX = 20  # smaller faces (analysis pixels) give no usable lips
_UPPER_LIP, _LOWER_LIP, _MOUTH_LEFT, _MOUTH_RIGHT = 13, 14, 78, 308
_local = threading.local()
_stderr_lock = threading.Lock()  # file descriptor 2 is the process's: one swap at a time


@contextlib.contextmanager
def _quiet_stderr():
    """Keep mediapipe's start-up chatter (glog and TFLite lines written by C++ straight to
    file descriptor 2) out of the user's terminal; it is logged at debug level instead."""
    with _stderr_lock, tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            chatter = sink.read().decode("utf-8", "replace").strip()
            if chatter:
                log.debug("mediapipe: %s", chatter)


@lru_cache(maxsize=1)
def _face_mesh_module():
    """mediapipe's face mesh solution, or None (logged) when it cannot load.

    Importing mediapipe 0.10 with protobuf >= 5 prints "AttributeError: 'MessageFactory'
    object has no attribute 'GetPrototype'" (its C++ bindings probe an API protobuf
    removed; nothing else depends on it): caught here and logged at debug level."""
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            from mediapipe.python.solutions import face_mesh
    except Exception as exc:  # an ImportError, or a broken native library
        log.warning("active speaker detection is off (mediapipe's face mesh cannot load: "
                    "%s: %s); framing follows the largest face. Install mediapipe==0.10.21 "
                    "(./scripts/setup.sh) to follow whoever is speaking", type(exc).__name__,
                    exc)
        return None
    if captured.getvalue().strip():
        log.debug("mediapipe import: %s", captured.getvalue().strip())
    return face_mesh


class MouthMeter:
    """Face meshes in tracking mode, one per face slot (the largest face, the second...):
    each follows its face's landmarks from one reading to the next instead of finding the
    face again (about 2 ms a reading instead of 3 on one core). Per thread: a mediapipe
    graph is not safe to share."""

    def __init__(self, module) -> None:
        self._module = module
        self._meshes: list = []
        self._quiet = True  # until the first face: its first landmarks print a warning too

    def _mesh(self, slot: int):
        while len(self._meshes) <= slot:
            with _quiet_stderr(), warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # its own protobuf calls
                mesh = self._module.FaceMesh(static_image_mode=False, max_num_faces=1,
                                             refine_landmarks=False,
                                             min_detection_confidence=0.3)
                # The first call starts the graph's interpreters (more chatter on fd 2).
                mesh.process(np.zeros((CROP_SIZE, CROP_SIZE, 3), np.uint8))
            self._meshes.append(mesh)
        return self._meshes[slot]

    def openness(self, frame: np.ndarray, face: Box, slot: int = 0) -> float | None:
        """Lip gap over mouth width of ``face`` (a box in ``frame``'s pixels; ``slot``: its
        place among the faces), or None when the face is too small or the mesh finds no
        face in the crop."""
        if min(face.w, face.h) < MIN_FACE_PX:
            return None
        height, width = frame.shape[:2]
        side = max(face.w, face.h) * CROP_SCALE
        x0, y0 = int(max(0, face.cx - side / 2)), int(max(0, face.cy - side / 2))
        x1, y1 = int(min(width, face.cx + side / 2)), int(min(height, face.cy + side / 2))
        if x1 - x0 < MIN_FACE_PX or y1 - y0 < MIN_FACE_PX:
            return None
        crop = cv2.resize(frame[y0:y1, x0:x1], (CROP_SIZE, CROP_SIZE),
                          interpolation=cv2.INTER_LINEAR)
        rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
        mesh = self._mesh(slot)
        if self._quiet:
            with _quiet_stderr():
                found = mesh.process(rgb).multi_face_landmarks
            self._quiet = not found
        else:
            found = mesh.process(rgb).multi_face_landmarks
        if not found:
            return None
        lm = found[0].landmark
        # Landmarks are normalised to the (square) crop: distances compare directly.
        gap = float(np.hypot(lm[_UPPER_LIP].x - lm[_LOWER_LIP].x,
                             lm[_UPPER_LIP].y - lm[_LOWER_LIP].y))
        mouth = float(np.hypot(lm[_MOUTH_LEFT].x - lm[_MOUTH_RIGHT].x,
                               lm[_MOUTH_LEFT].y - lm[_MOUTH_RIGHT].y))
        return gap / mouth if mouth > 0 else None


def mouth_meter() -> MouthMeter | None:
    """This thread's meter, or None when mediapipe cannot load (framing then follows the
    largest face)."""
    meter = getattr(_local, "meter", None)
    if meter is None:
        module = _face_mesh_module()
        if module is None:
            return None
        meter = _local.meter = MouthMeter(module)
    return meter
