"""Sources for the framing tests, built from real faces with ffmpeg, and an independent
judge: OpenCV's Haar cascade (not the YuNet detector the framing stage uses)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np

from tests.conftest import COCKATOO, TALKING_HEAD_NO_AUDIO, ffmpeg

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
HAAR = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def judge_faces(frame_bgr: np.ndarray) -> list[tuple[int, int, int, int]]:
    gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    found = HAAR.detectMultiScale(gray, 1.1, 5, minSize=(20, 20))
    return [tuple(int(v) for v in f) for f in found]


def sampled_frames(video: Path, fps: float = 2.0, width: int = 0) -> list[np.ndarray]:
    """Decoded BGR frames at ``fps``, as players show them (rotation applied); PNG files
    so their size comes from the decoder, not from the stream's stored size."""
    scale = f",scale={width}:-2" if width else ""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-vf", f"fps={fps}{scale}",
                        str(Path(tmp) / "%05d.png")], check=True)
        return [cv2.imread(str(p)) for p in sorted(Path(tmp).glob("*.png"))]


def inside_with_margin(face: tuple[int, int, int, int], shape: tuple[int, ...],
                       margin: float = 0.02) -> bool:
    x, y, w, h = face
    height, width = shape[:2]
    mx, my = margin * width, margin * height
    return x >= mx and y >= my and x + w <= width - mx and y + h <= height - my


def framed_share(source: Path, output: Path, fps: float = 2.0,
                 spans: list[tuple[float, float]] | None = None) -> tuple[int, float]:
    """(frames where the source shows a face, share of them whose output frame shows a
    face inside the picture with a margin). ``spans``: only frames inside these times
    (where the test knows a person is; Haar also "sees" faces in a cockatoo)."""
    src, out = sampled_frames(source, fps), sampled_frames(output, fps)
    with_face = [i for i, f in enumerate(src[:len(out)])
                 if (spans is None or any(a <= i / fps < b for a, b in spans))
                 and judge_faces(f)]
    kept = [i for i in with_face if any(inside_with_margin(f, out[i].shape)
                                        for f in judge_faces(out[i]))]
    return len(with_face), len(kept) / max(1, len(with_face))


def screencast(path: Path, seconds: float = 6.0) -> Path:
    """1280x720 dark terminal with text and a 200 px real webcam (the talking head) in
    the bottom-left corner: a screen recording with a small face inset."""
    text = (f"drawtext=fontfile={FONT}:text='alberto@canopus\\:~/src$ make test -j4':"
            "fontcolor=0x9fe870:fontsize=30:x=40:y=40,"
            f"drawtext=fontfile={FONT}:text='ok  pattern_pivot/reframe  3.21s':"
            "fontcolor=white:fontsize=30:x=40:y=90")
    ffmpeg("-f", "lavfi", "-i", f"color=c=0x1e1e1e:s=1280x720:r=25:d={seconds}",
           "-i", str(TALKING_HEAD_NO_AUDIO), "-filter_complex",
           f"[0]{text}[bg];[1]trim=duration={seconds},setpts=PTS-STARTPTS,scale=200:-2,"
           "setsar=1[cam];[bg][cam]overlay=20:H-h-20:shortest=1",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def face_then_bird_then_face(path: Path, seconds: float = 4.0) -> Path:
    """Three shots cut together: the talking head at the left of a 1280x720 frame, the
    cockatoo (no face), the talking head at the right."""
    head = ("trim=start={s}:duration={d},setpts=PTS-STARTPTS,scale=960:720,setsar=1,"
            "pad=1280:720:{x}:0:color=0x404040,fps=25")
    ffmpeg("-i", str(TALKING_HEAD_NO_AUDIO), "-i", str(COCKATOO), "-filter_complex",
           f"[0]split=2[h1][h2];[h1]{head.format(s=0, d=seconds, x=0)}[a];"
           f"[1]trim=start=9:duration={seconds},setpts=PTS-STARTPTS,scale=1280:720,setsar=1,"
           f"fps=25[b];[h2]{head.format(s=30, d=seconds, x=320)}[c];"
           "[a][b][c]concat=n=3:v=1:a=0",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def title_card(path: Path, seconds: float = 4.0, portrait: int = 420) -> Path:
    """A 1280x720 title card: a real portrait on the left, a wide title on a plain
    background (the demo's cards, which a centre or face crop cut in half)."""
    from tests.render_support import GRACE

    ffmpeg("-f", "lavfi", "-i", f"color=c=0x5a3a1a:s=1280x720:r=25:d={seconds}",
           "-loop", "1", "-t", str(seconds), "-i", str(GRACE), "-filter_complex",
           f"[1]scale=-2:{portrait},setsar=1[p];[0][p]overlay=80:(H-h)/2:shortest=1,"
           f"drawtext=fontfile={FONT}:text='Sourdough Bread from Scratch':fontcolor=white:"
           "fontsize=44:x=480:y=330",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


# The talking head's most animated stretch (its mouth opens and closes from 11 s to 18 s;
# before and after it mostly holds still): the "speaking" face of the compositions below.
TALK_FROM = 11.0


def _turns(turns: list[float], live: int, start: float) -> str:
    """The talking head speaking in the turns ``live`` of ``turns`` (seconds each) and
    frozen on its last picture in the others: one panel of a two-person composition."""
    parts, t = [], start
    for i, seconds in enumerate(turns):
        if i % 2 == live:
            parts.append(f"trim=start={t:.2f}:duration={seconds},setpts=PTS-STARTPTS")
            t += seconds
        else:  # a still: the panel's current picture held
            parts.append(f"trim=start={t:.2f}:duration=0.04,setpts=PTS-STARTPTS,"
                         f"tpad=stop_mode=clone:stop_duration={seconds - 0.04:.2f}")
    return "|".join(parts)


def two_people(path: Path, turns: list[float]) -> Path:
    """1280x720, two people side by side taking turns to speak (``turns``: each turn's
    seconds, the left person first). Both are the real talking head (the right one
    mirrored); whoever is not speaking holds still. The left person is the smaller, so
    following the largest face would stay on the right. No audio."""
    graphs = []
    for side, size in enumerate(["480:360", "720:540"]):
        parts = _turns(turns, side, TALK_FROM).split("|")
        labels = [f"p{side}{i}" for i in range(len(parts))]
        graphs += [f"[0:v]split={len(parts)}" + "".join(f"[{a}]" for a in labels),
                   *(f"[{a}]{part},fps=25[{a}f]" for a, part in zip(labels, parts)),
                   "".join(f"[{a}f]" for a in labels) + f"concat=n={len(parts)}:v=1:a=0,"
                   f"scale={size},setsar=1{',hflip' if side else ''}[v{side}]"]
    seconds = sum(turns)
    # The room behind them: one still picture of the cockatoo (no face, not one flat
    # colour, which would read as a slide).
    ffmpeg("-i", str(TALKING_HEAD_NO_AUDIO), "-i", str(COCKATOO),
           "-filter_complex", ";".join([
               *graphs, f"[1:v]trim=start=9:duration=0.04,setpts=PTS-STARTPTS,"
               "scale=1280:720,setsar=1,fps=25,"
               f"tpad=stop_mode=clone:stop_duration={seconds}[room]",
               "[room][v0]overlay=40:240[bg]", "[bg][v1]overlay=540:120[v]"]), "-map", "[v]",
           "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", str(path))
    return path


def _patch(img: np.ndarray, face: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = face
    p = cv2.resize(cv2.cvtColor(img[y:y + h, x:x + w], cv2.COLOR_BGR2GRAY),
                   (48, 48)).astype(float)
    return (p - p.mean()) / (p.std() + 1e-6)


def shown_person(source: np.ndarray, output: np.ndarray, split: int,
                 clear: float = 0.6) -> int | None:
    """Which person of a two-people source (0: left of column ``split``, 1: right) the
    output frame shows, by the judge's face in each: the source face whose picture matches
    the output's best (normalised correlation); None when neither clearly does."""
    def largest(img):
        return max(judge_faces(img), key=lambda f: f[2], default=None)

    sides = [source[:, :split], source[:, split:]]
    people, shown = [largest(s) for s in sides], largest(output)
    if shown is None or None in people:
        return None
    seen = _patch(output, shown)
    match = [float((seen * _patch(side, face)).mean()) for side, face in zip(sides, people)]
    best = max(range(2), key=match.__getitem__)
    return best if match[best] >= clear and match[1 - best] < clear else None
