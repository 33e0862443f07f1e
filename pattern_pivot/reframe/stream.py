"""Decode a video (or a span of one) at a low rate and size, one frame at a time.

ffmpeg does the decoding, rate and scaling and pipes raw BGR frames; each frame is handed
to the caller and dropped, so memory stays flat however long the video is. Loop filtering
and B-frames are skipped on decode: the pictures are only looked at, never shown.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from pattern_pivot.errors import MediaError
from pattern_pivot.media.ffmpeg import ffprobe_json, tool

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
    w, h = size
    args = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error",
            "-skip_loop_filter", "all", "-skip_frame", "bidir"]
    if start > 0:
        args += ["-ss", f"{start:.3f}"]
    if duration is not None:
        args += ["-t", f"{duration:.3f}"]
    args += ["-i", str(Path(path).resolve()), "-map", "0:v:0", "-an", "-sn",
             "-vf", f"fps={fps},scale={w}:{h}:flags=area", "-f", "rawvideo",
             "-pix_fmt", "bgr24", "-"]
    # stderr goes to a file: a pipe nobody reads would fill up and stall ffmpeg.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
    assert proc.stdout is not None
    frame_bytes = w * h * 3
    index = 0
    try:
        while True:
            data = proc.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            yield start + index / fps, np.frombuffer(data, np.uint8).reshape(h, w, 3)
            index += 1
    finally:
        proc.stdout.close()
        code = proc.wait()
        log.seek(0)
        err = log.read()[-4000:]
        log.close()
    if code != 0 and index == 0:
        tail = " | ".join(err.decode("utf-8", "replace").strip().splitlines()[-3:])
        raise MediaError(str(path), f"could not be decoded for framing ({tail})",
                         "re-export the video (H.264 MP4) and try again")
