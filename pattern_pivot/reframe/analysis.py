"""One streaming pass over a video: where the shots cut, and where the faces are.

Frames arrive at ``SHOT_FPS`` and at most 480 px wide. The cut detector (``cuts``:
PySceneDetect's adaptive one) sees every one of them; the face detector every
``FACE_EVERY``-th. While more than one face is in the picture, every ``MOUTH_EVERY``-th
frame also reads how open each face's mouth is (at the faces of the latest detection), for
a speaking score per face. Only the detections and
scores are kept (a few numbers per sample), so an hour of 4K costs the memory of a minute
of it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from pattern_pivot.reframe.cuts import CutDetector
from pattern_pivot.reframe.detect import detect_faces
from pattern_pivot.reframe.mouth import mouth_meter
from pattern_pivot.reframe.plan import Box
from pattern_pivot.reframe.speaking import MouthTracks
from pattern_pivot.reframe.stream import Geometry, analysis_size, frames, geometry

log = logging.getLogger(__name__)

SHOT_FPS = 6.0
FACE_EVERY = 3  # faces at 2 samples a second: the costly step
# Mouths at 3 readings a second (while two or more faces show): enough for a speaking
# mouth's opening and closing, at half the cost of every frame (~3 ms a face a reading).
MOUTH_EVERY = 2
MIN_SHOT_SECONDS = 1.0


@dataclass(frozen=True)
class Sample:
    t: float
    faces: tuple[Box, ...]  # source pixels, largest first
    flat: float  # share of the picture in its one dominant colour: high for screens, slides
    # Per face (the largest few, in order), how much its mouth moved around ``t``; empty
    # when fewer than two faces were seen or mouths could not be read.
    speaking: tuple[float, ...] = ()


@dataclass(frozen=True)
class Analysis:
    path: str
    geometry: Geometry
    start: float
    end: float
    cuts: tuple[float, ...]  # source times where a new shot begins (start excluded)
    samples: tuple[Sample, ...]
    seconds: float  # how long the analysis took


def _flatness(frame: np.ndarray) -> float:
    """Share of the picture in its most common colour (16 levels a channel): a terminal,
    an editor or a slide is mostly one background colour (~0.9); camera pictures spread
    over many (~0.1-0.2: light, shade and noise)."""
    small = cv2.resize(frame, (160, 90), interpolation=cv2.INTER_AREA) >> 4
    keys = (small[..., 0].astype(np.int32) << 8) | (small[..., 1].astype(np.int32) << 4) \
        | small[..., 2]
    return float(np.bincount(keys.ravel(), minlength=4096).max() / keys.size)


def _with_speaking(sample: Sample, tracks: MouthTracks) -> Sample:
    """``sample`` with its faces' speaking scores (unchanged when none were read)."""
    scores = tracks.scores(sample.t)
    if len(scores) < 2 or not any(scores):
        return sample
    return replace(sample, speaking=scores)


def analyse(path: Path, start: float = 0.0, end: float | None = None,
            geo: Geometry | None = None, faces: bool = True) -> Analysis:
    """Cuts and face samples of ``start``-``end``; ``faces=False`` finds only the cuts (the
    face detector is the costly step: trailers need only where the shots change)."""
    started = time.perf_counter()
    geo = geo or geometry(path)
    end = geo.duration if end is None or end <= 0 else min(end, geo.duration or end)
    size = analysis_size(geo)
    scale_x, scale_y = geo.width / size[0], geo.height / size[1]
    # The adaptive detector compares each frame's change with its neighbours': fast motion
    # sampled at a few frames a second is not mistaken for a cut (the content detector's
    # fixed threshold cut a moving cockatoo five times in 14 s).
    detector = CutDetector(min_gap=max(2, int(MIN_SHOT_SECONDS * SHOT_FPS)))
    cut_frames: list[int] = []
    samples: list[Sample] = []
    duration = max(0.0, end - start) if end else None
    index = 0
    next_log = started + 30
    tracks = MouthTracks()
    meter, metered = None, False  # the face mesh loads when two faces first show up
    for t, frame in frames(path, size, SHOT_FPS, start, duration):
        cut_frames += detector.push(index, frame)
        if faces and index % FACE_EVERY == 0:
            if samples:  # the last sample's window of mouth readings is complete
                samples[-1] = _with_speaking(samples[-1], tracks)
            found = detect_faces(frame)
            tracks.update(found)
            scaled = tuple(Box(b.x * scale_x, b.y * scale_y, b.w * scale_x, b.h * scale_y)
                           for b in found)
            samples.append(Sample(round(t, 3), scaled, round(_flatness(frame), 3)))
        boxes = tracks.boxes()
        if len(boxes) > 1 and index % MOUTH_EVERY == 0:
            if not metered:
                meter, metered = mouth_meter(), True
            if meter is not None:
                tracks.record(t, [meter.openness(frame, b, i) for i, b in enumerate(boxes)])
        index += 1
        if time.perf_counter() > next_log:
            log.info("framing analysis of %s: %.0f s of video done", path, t - start)
            next_log += 30
    if samples:
        samples[-1] = _with_speaking(samples[-1], tracks)
    last = start + index / SHOT_FPS
    # A cut lies between the sample before it and its first sample: split the difference.
    times = {round(start + c / SHOT_FPS - 0.5 / SHOT_FPS, 3) for c in cut_frames}
    cuts = sorted(t for t in times if start + 0.5 < t < last - 0.5)
    return Analysis(str(path), geo, start, end or last, tuple(cuts), tuple(samples),
                    round(time.perf_counter() - started, 3))

