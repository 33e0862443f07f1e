"""The framing's cut detector decides as PySceneDetect's AdaptiveDetector does (it is that
detector's arithmetic, without importing scenedetect: its import starts MoviePy, which
runs ffmpeg and ffplay to find its tools)."""

from __future__ import annotations

import numpy as np
import pytest

from pattern_pivot.media.frames import stream_frames
from pattern_pivot.reframe.analysis import MIN_SHOT_SECONDS, SHOT_FPS
from pattern_pivot.reframe.cuts import CutDetector
from pattern_pivot.reframe.stream import analysis_size, geometry
from tests.conftest import COCKATOO, TALKING_HEAD_NO_AUDIO
from tests.reframe_support import face_then_bird_then_face

MIN_GAP = max(2, int(MIN_SHOT_SECONDS * SHOT_FPS))


def reference_cuts(frames: list[np.ndarray], **settings) -> list[int]:
    from scenedetect import FrameTimecode
    from scenedetect.detectors import AdaptiveDetector

    detector = AdaptiveDetector(min_scene_len=MIN_GAP, **settings)
    found = []
    for n, frame in enumerate(frames):
        found += detector.process_frame(FrameTimecode(n, SHOT_FPS), frame)
    found += detector.post_process(FrameTimecode(len(frames), SHOT_FPS))
    return [c.frame_num for c in found]


def our_cuts(frames: list[np.ndarray], **settings) -> list[int]:
    detector = CutDetector(MIN_GAP, **settings)
    return [cut for n, frame in enumerate(frames) for cut in detector.push(n, frame)]


def analysis_frames(path, seconds: float | None = None) -> list[np.ndarray]:
    size = analysis_size(geometry(path))
    return [f.copy() for f in stream_frames(path, size, SHOT_FPS, duration=seconds)]


@pytest.fixture(scope="module")
def cut_video(tmp_path_factory):
    return face_then_bird_then_face(tmp_path_factory.mktemp("cuts") / "cuts.mp4")


def test_cuts_match_pyscenedetect_on_real_and_cut_together_video(cut_video):
    edited = analysis_frames(cut_video)
    expected = reference_cuts(edited)
    assert len(expected) == 2  # the two cuts of the three shots: a real test of agreement
    assert our_cuts(edited) == expected
    # One take each: a moving, rescaling talking head and a flapping cockatoo, no cuts --
    # and the same answer where a lower threshold makes the motion count.
    for path in (TALKING_HEAD_NO_AUDIO, COCKATOO):
        frames = analysis_frames(path, 20.0)
        assert our_cuts(frames) == reference_cuts(frames)
        low = {"adaptive_threshold": 1.3, "min_content_val": 3.0}
        ours = our_cuts(frames, ratio=1.3, min_score=3.0)
        assert ours == reference_cuts(frames, **low)
        if path == COCKATOO:
            assert ours  # at that threshold the bird's motion does cut: the check has teeth


def test_a_cut_out_of_stillness_counts_and_cuts_keep_their_distance():
    grey = np.full((90, 160, 3), 60, np.uint8)
    red = grey.copy()
    red[..., 2] = 230
    frames = [grey] * 6 + [red] * 3 + [grey] * 6 + [red] * 6
    # Each change comes out of a still stretch (no motion around it to compare with): a
    # cut when it is big enough and far enough from the last one.
    assert our_cuts(frames) == reference_cuts(frames) == [6, 15]  # 9: 3 frames after 6
    for gap, expected in ((3, [6, 9, 15]), (4, [6, 15])):
        detector = CutDetector(min_gap=gap)
        assert [c for n, f in enumerate(frames) for c in detector.push(n, f)] == expected
