"""Framing for a still image (faceless remixes): the same layouts, one static shot."""

from __future__ import annotations

from pathlib import Path

import cv2

from pattern_pivot.errors import MediaError
from pattern_pivot.reframe.analysis import Sample, _flatness
from pattern_pivot.reframe.detect import detect_faces
from pattern_pivot.reframe.framing import Rules, _shot, fixed_plan
from pattern_pivot.reframe.plan import Box, CropPlan, crop_window
from pattern_pivot.reframe.stream import MAX_WIDTH


def plan_still(image: Path, target: tuple[int, int], framing: str = "auto",
               rules: Rules = Rules(), seconds: float = 1.0) -> CropPlan:
    picture = cv2.imread(str(image), cv2.IMREAD_COLOR)
    if picture is None:
        raise MediaError(str(image), "cannot be read as an image",
                         "use a PNG or JPEG still, or re-export it")
    h, w = picture.shape[:2]
    if framing != "auto":
        return fixed_plan(framing, (w, h), target, 0.0, seconds)
    scale = min(1.0, MAX_WIDTH / max(w, h))
    small = cv2.resize(picture, (max(2, int(w * scale)), max(2, int(h * scale))),
                       interpolation=cv2.INTER_AREA)
    faces = tuple(Box(b.x / scale, b.y / scale, b.w / scale, b.h / scale)
                  for b in detect_faces(small))
    sample = Sample(0.0, faces, _flatness(small))
    window = crop_window((w, h), target)
    shot = _shot([sample], 0.0, seconds, (w, h), target, window, rules)
    return CropPlan(w, h, *target, *window, (shot,))
