"""Stream a video's frames as raw pixels, one at a time, at a low rate and size.

ffmpeg does the decoding, rate and scaling and pipes raw frames; each frame is handed to the
caller and dropped, so memory stays flat however long the video is. Reframing and thumbnail
scoring both read their frames here.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from pattern_pivot.errors import MediaError
from pattern_pivot.media.ffmpeg import tool

PIXEL_FORMATS = ("bgr24", "rgb24")  # 3 bytes a pixel: what OpenCV and PIL take


def stream_frames(path: Path, size: tuple[int, int], fps: float, *, start: float = 0.0,
                  duration: float | None = None, pixel_format: str = "bgr24",
                  scale_flags: str = "area", skip_bidir: bool = False,
                  purpose: str = "analysis") -> Iterator[np.ndarray]:
    """Frame ``i`` (height x width x 3, uint8) is the source from
    ``start + i / fps`` to ``start + (i + 1) / fps``. ``skip_bidir`` skips B-frames and loop
    filtering on decode (faster; fine for pictures only looked at, never shown). An
    undecodable file is a MediaError naming ``purpose`` and ffmpeg's reason."""
    w, h = size
    if pixel_format not in PIXEL_FORMATS:
        raise ValueError(f"pixel_format {pixel_format!r}: use one of {PIXEL_FORMATS}")
    args = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error"]
    if skip_bidir:
        args += ["-skip_loop_filter", "all", "-skip_frame", "bidir"]
    if start > 0:
        args += ["-ss", f"{start:.3f}"]
    if duration is not None:
        args += ["-t", f"{duration:.3f}"]
    args += ["-i", str(Path(path).resolve()), "-map", "0:v:0", "-an", "-sn",
             "-vf", f"fps={fps},scale={w}:{h}:flags={scale_flags}", "-f", "rawvideo",
             "-pix_fmt", pixel_format, "-"]
    # stderr goes to a file: a pipe nobody reads would fill up and stall ffmpeg.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
    assert proc.stdout is not None
    frame_bytes = w * h * 3
    count = 0
    try:
        while True:
            data = proc.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            yield np.frombuffer(data, np.uint8).reshape(h, w, 3)
            count += 1
    finally:
        proc.stdout.close()
        code = proc.wait()
        log.seek(0)
        err = log.read()[-4000:]
        log.close()
    if code != 0 and count == 0:
        tail = " | ".join(err.decode("utf-8", "replace").strip().splitlines()[-3:])
        raise MediaError(str(path), f"could not be decoded for {purpose} ({tail})",
                         "re-export the video (H.264 MP4) and try again")
