"""A video's picture geometry, and its frames (or a span's) at a low rate and size for
analysis (pattern_pivot.media.frames streams them). Loop filtering and B-frames are skipped on
decode: the pictures are only looked at, never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from pattern_pivot.errors import MediaError
from pattern_pivot.media.ffmpeg import ffprobe_json
from pattern_pivot.media.frames import stream_frames

MAX_WIDTH = 480  # analysis frames: small faces (a webcam inset) still detectable


@dataclass(frozen=True)
class Geometry:
    """The picture as players show it: rotation metadata applied."""

    width: int
    height: int
    duration: float
    rotation: int = 0


def _rotation(stream: dict) -> int:
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            return int(round(float(side["rotation"]))) % 360
    rotate = (stream.get("tags") or {}).get("rotate")
    return int(rotate) % 360 if rotate and str(rotate).lstrip("-").isdigit() else 0


def geometry(path: Path) -> Geometry:
    data = ffprobe_json(Path(path))
    video = [s for s in data.get("streams", []) if s.get("codec_type") == "video"
             and not s.get("disposition", {}).get("attached_pic")]
    if not video:
        raise MediaError(str(path), "has no video stream to frame",
                         "give a video file (mp4, mov, mkv, webm, ...)")
    stream = video[0]
    width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    if width <= 0 or height <= 0:
        raise MediaError(str(path), "reports no picture size", "re-export the video")
    rotation = _rotation(stream)
    if rotation in (90, 270):
        width, height = height, width
    try:
        duration = float((data.get("format") or {}).get("duration") or stream.get("duration")
                         or 0.0)
    except ValueError:
        duration = 0.0
    return Geometry(width, height, duration, rotation)


def analysis_size(geo: Geometry, max_width: int = MAX_WIDTH) -> tuple[int, int]:
    """At most ``max_width`` wide (and as tall, for portrait), even sides, never upscaled."""
    scale = min(1.0, max_width / geo.width if geo.width >= geo.height else max_width / geo.height)
    w = max(2, int(geo.width * scale) // 2 * 2)
    h = max(2, int(geo.height * scale) // 2 * 2)
    return w, h


def frames(path: Path, size: tuple[int, int], fps: float, start: float = 0.0,
           duration: float | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(time on the source's timeline, BGR frame) at ``fps`` from ``start``."""
    for index, frame in enumerate(stream_frames(path, size, fps, start=start, duration=duration,
                                                skip_bidir=True, purpose="framing")):
        yield start + index / fps, frame
