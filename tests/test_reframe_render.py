"""Framed renders judged by a different face detector (Haar, not the stage's YuNet), and
bad inputs: short, silent, tiny, portrait-to-landscape, rotated."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pattern_pivot.reframe import frame_video
from pattern_pivot.reframe.render import render_reframed
from pattern_pivot.reframe.stream import geometry
from pattern_pivot.remix.types import EditPlan, Shot, SourceSpan
from pattern_pivot.render import RenderOptions, render_plan
from pattern_pivot.render.sources import FileSources
from tests.conftest import COCKATOO, TALKING_HEAD_NO_AUDIO, ffmpeg
from tests.reframe_support import (
    face_then_bird_then_face,
    framed_share,
    inside_with_margin,
    judge_faces,
    sampled_frames,
    screencast,
)
from tests.render_support import streams

VERTICAL = (270, 480)


def _reframe(source: Path, out: Path, size=VERTICAL, framing: str = "auto"):
    plan = frame_video(source, size, framing)
    return plan, render_reframed(source, out, plan, preset="ultrafast")


def _video(path: Path) -> dict:
    return next(s for s in streams(path)["streams"] if s["codec_type"] == "video")


def test_talking_head_stays_in_frame_by_an_independent_judge(tmp_path):
    plan, out = _reframe(TALKING_HEAD_NO_AUDIO, tmp_path / "head.mp4")
    seen, share = framed_share(TALKING_HEAD_NO_AUDIO, out)
    assert seen >= 60  # the judge sees the face in most of the 53 s source
    assert share >= 0.95, plan.to_dict()
    # No audio in, none out: framing does not need a sound track.
    assert [s["codec_type"] for s in streams(out)["streams"]] == ["video"]


def test_screencast_keeps_the_face_and_the_screen(tmp_path):
    source = screencast(tmp_path / "screen.mp4")
    _, out = _reframe(source, tmp_path / "inset.mp4")
    seen, share = framed_share(source, out)
    assert seen >= 8 and share >= 0.95
    # The screen, whole, fills the bottom of the frame (the terminal's green prompt too).
    frame = sampled_frames(out, 1.0)[2]
    screen = sampled_frames(source, 1.0, width=VERTICAL[0])[2]
    bottom = frame[-screen.shape[0]:].astype(int)
    assert np.abs(bottom - screen.astype(int)).mean() < 12
    # A centre crop, the old behaviour, loses the webcam entirely.
    _, centred = _reframe(source, tmp_path / "centre.mp4", framing="center")
    assert framed_share(source, centred)[1] < 0.1


def test_no_face_is_fitted_whole_over_a_blurred_copy(tmp_path):
    plan, out = _reframe(COCKATOO, tmp_path / "bird.mp4")
    assert {s.layout for s in plan.shots} == {"fit"}
    frame = sampled_frames(out, 1.0)[3].astype(int)
    whole = sampled_frames(COCKATOO, 1.0, width=VERTICAL[0])[3].astype(int)
    top = (VERTICAL[1] - whole.shape[0]) // 2
    band = frame[top:top + whole.shape[0]]
    assert np.abs(band - whole).mean() < 12  # the whole 16:9 picture, edge to edge
    assert frame[:top - 4].std() > 3  # above it a (blurred) picture, not black bars
    assert any(s["codec_type"] == "audio" for s in streams(out)["streams"])  # sound kept


def test_cut_from_a_face_to_no_face_and_back_stays_framed(tmp_path):
    source = face_then_bird_then_face(tmp_path / "cuts.mp4")
    plan, out = _reframe(source, tmp_path / "cuts-out.mp4")
    assert [s.layout for s in plan.shots] == ["crop", "fit", "crop"]
    seen, share = framed_share(source, out, fps=4.0, spans=[(0.0, 4.0), (8.0, 12.0)])
    assert seen >= 20 and share >= 0.95
    # Just after the second cut the face (now at the right) is already in frame.
    frame = sampled_frames(out, 4.0)[int(plan.shots[2].start * 4) + 1]
    assert judge_faces(frame)


@pytest.mark.parametrize("case", ["short", "tiny", "portrait", "rotated"])
def test_bad_inputs_give_sensible_outputs(tmp_path, case):
    clip = tmp_path / f"{case}.mp4"
    size = VERTICAL
    if case == "short":
        ffmpeg("-i", str(TALKING_HEAD_NO_AUDIO), "-t", "5", "-c:v", "libx264", "-preset",
               "ultrafast", str(clip))
    elif case == "tiny":
        ffmpeg("-i", str(TALKING_HEAD_NO_AUDIO), "-t", "6", "-vf", "scale=160:120",
               "-c:v", "libx264", "-preset", "ultrafast", str(clip))
    elif case == "portrait":  # a 3:4 portrait asked for 16:9
        ffmpeg("-i", str(TALKING_HEAD_NO_AUDIO), "-t", "6", "-vf", "crop=224:300:88:0",
               "-c:v", "libx264", "-preset", "ultrafast", str(clip))
        size = (480, 270)
    else:  # stored sideways, with rotation metadata that turns it upright for display
        sideways = tmp_path / "sideways.mp4"
        ffmpeg("-i", str(TALKING_HEAD_NO_AUDIO), "-t", "6", "-vf", "transpose=1",
               "-c:v", "libx264", "-preset", "ultrafast", str(sideways))
        ffmpeg("-i", str(sideways), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(clip))
        assert (geometry(clip).width, geometry(clip).height) == (400, 300)
    plan, out = _reframe(clip, tmp_path / f"{case}-out.mp4", size)
    video = _video(out)
    assert (video["width"], video["height"]) == size
    assert float(streams(out)["format"]["duration"]) == pytest.approx(
        geometry(clip).duration, abs=0.2)
    if case != "tiny":  # 160x120 holds a face too small for the judge
        seen, share = framed_share(clip, out)
        assert seen >= 6 and share >= 0.95, plan.to_dict()


def test_remix_supercut_renders_through_framing(tmp_path):
    source = screencast(tmp_path / "screen.mp4")
    plan = EditPlan(request_id="remix-frame", mode="supercut", aspect="9:16",
                    target_seconds=3.0, shots=(Shot(
                        kind="source", duration=3.0, source_audio=True,
                        span=SourceSpan(video_id="s", start=2.0, end=5.0)),))
    result = render_plan(plan, tmp_path / "sc.mp4", FileSources({"s": source}),
                         options=RenderOptions(frame_size=VERTICAL, captions=False))
    # The webcam shows throughout the span: the judge finds it in every output frame.
    assert all(any(inside_with_margin(f, frame.shape) for f in judge_faces(frame))
               for frame in sampled_frames(result.path, 2.0))
    centred = render_plan(plan.model_copy(update={"framing": "center"}),
                          tmp_path / "centre.mp4", FileSources({"s": source}),
                          options=RenderOptions(frame_size=VERTICAL, captions=False))
    assert not any(judge_faces(frame) for frame in sampled_frames(centred.path, 2.0))


@pytest.mark.slow
def test_cli_reframe_json(tmp_path):
    cli = str(Path(sys.executable).with_name("pattern-pivot"))
    clip = tmp_path / "short.mp4"
    ffmpeg("-i", str(COCKATOO), "-t", "5", "-c:v", "libx264", "-preset", "ultrafast",
           "-c:a", "aac", str(clip))
    done = subprocess.run([cli, "reframe", str(clip), "-o", str(tmp_path / "o.mp4"),
                           "--format", "1:1", "--json"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    shots = json.loads(done.stdout)["shots"]
    assert shots and set(shots[0]) == {"start", "end", "layout", "reason", "faces"}
    assert (_video(tmp_path / "o.mp4")["width"], _video(tmp_path / "o.mp4")["height"]) == (
        1080, 1080)
    bad = subprocess.run([cli, "reframe", str(clip), "-o", str(tmp_path / "x.mp4"),
                          "--format", "4:5"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "4:5" in bad.stderr and "9:16" in bad.stderr
