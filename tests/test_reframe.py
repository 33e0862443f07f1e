"""The framing stage's decisions on real media: layouts with reasons, crop paths that
restart at cuts, smooth paths, and plans that are plain data."""

import json

import pytest

from pattern_pivot.reframe import frame_video
from pattern_pivot.reframe.analysis import Sample
from pattern_pivot.reframe.filters import piecewise
from pattern_pivot.reframe.framing import Rules, _shot
from pattern_pivot.reframe.path import follow, keyframes
from pattern_pivot.reframe.plan import Box, CropPlan, crop_window
from pattern_pivot.reframe.track import subjects
from tests.conftest import COCKATOO, TALKING_HEAD_NO_AUDIO
from tests.reframe_support import face_then_bird_then_face, screencast, title_card

VERTICAL = (270, 480)


def test_talking_head_gets_a_crop_that_holds_the_face_and_round_trips_as_json():
    plan = frame_video(TALKING_HEAD_NO_AUDIO, VERTICAL)
    assert [s.layout for s in plan.shots] == ["crop"]  # one continuous take: no false cuts
    shot = plan.shots[0]
    assert shot.faces == 1 and "face" in shot.reason
    # The window is the largest 9:16 window of the 400x300 source: never zoomed further.
    assert (plan.window_width, plan.window_height) == pytest.approx((168.75, 300.0))
    assert all(0 <= k.x <= 400 - plan.window_width for k in shot.path)
    assert CropPlan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_no_face_gets_fit_with_a_reason():
    plan = frame_video(COCKATOO, VERTICAL)
    assert {s.layout for s in plan.shots} == {"fit"}
    assert all("no face" in s.reason for s in plan.shots)
    assert len(plan.shots) == 1  # a bird moving fast is not a cut


def test_small_face_over_a_screen_gets_the_inset(tmp_path):
    plan = frame_video(screencast(tmp_path / "screen.mp4"), VERTICAL)
    [shot] = plan.shots
    assert shot.layout == "inset" and "screen" in shot.reason
    face = shot.face
    # The inset panel holds the webcam in the bottom-left corner (x 20-220, y 550-700).
    assert face is not None and face.x < 120 and face.x + face.w > 60 and face.y + face.h > 600


def test_each_cut_restarts_the_path(tmp_path):
    plan = frame_video(face_then_bird_then_face(tmp_path / "cuts.mp4"), VERTICAL)
    assert [s.layout for s in plan.shots] == ["crop", "fit", "crop"]
    assert [s.start for s in plan.shots[1:]] == pytest.approx([4.0, 8.0], abs=0.25)
    first, last = plan.shots[0].path, plan.shots[2].path
    # The head sits at x 0-960 then 320-1280 (its face near 480, then 800): the third
    # shot's crop starts on the face where it is now, not drifting over from the first.
    assert abs(first[0].x + plan.window_width / 2 - 480) < 120
    assert abs(last[0].x + plan.window_width / 2 - 800) < 120
    assert last[0].t == pytest.approx(plan.shots[2].start)


def test_the_path_holds_still_inside_the_dead_zone_and_pans_at_bounded_speed():
    times = [i * 0.5 for i in range(20)]
    # A subject that jitters by 3 px holds one fixed window.
    jitter = [100 + (3 if i % 2 else -3) for i in range(20)]
    still = follow(times, [v - 40 for v in jitter], [v + 40 for v in jitter], 200, 1000,
                   12, 100)
    assert len(set(still)) == 1
    # A subject jumping 400 px is followed at most 100 px/s (it fits the window after).
    jump = [100] * 10 + [500] * 10
    moved = follow(times, [v - 40 for v in jump], [v + 40 for v in jump], 200, 1000, 12, 100)
    steps = [b - a for a, b in zip(moved, moved[1:])]
    assert max(steps) > 0 and all(abs(s) <= 400 for s in steps)
    assert all(lo >= m and hi <= m + 200 for lo, hi, m in
               zip([v - 40 for v in jump], [v + 40 for v in jump], moved))
    keys = keyframes(times, moved)
    assert len(keys) < len(times)  # straight stretches collapse to their ends


def test_the_frame_moves_to_another_face_only_after_the_hold():
    left, right = Box(10, 10, 40, 40), Box(300, 10, 60, 60)
    samples = [Sample(0.0, (left,), 0.1)] + [Sample(t / 2, (right, left), 0.1)
                                             for t in range(1, 8)]
    chosen = subjects(samples, (100, 400), 0.2, hold=1.5)
    # The right face is larger from 0.5 s on; the frame holds the left face until 2.0 s.
    assert chosen[:4] == [left] * 4 and chosen[4:] == [right] * 4


def test_a_face_too_big_for_the_window_is_fitted_not_cut():
    big = Box(100, 20, 180, 200)
    shot = _shot([Sample(t / 2, (big,), 0.1) for t in range(6)], 0.0, 3.0, (400, 300),
                 (270, 480), crop_window((400, 300), (270, 480)), Rules())
    assert shot.layout == "fit" and "wider than" in shot.reason


def test_piecewise_expression_interpolates_and_holds_the_ends():
    expr = piecewise([(1.0, 10.0), (3.0, 30.0)], offset=0.5)
    for t, want in [(0.0, 10.0), (1.5, 20.0), (2.5, 30.0), (9.0, 30.0)]:
        value = eval(expr.replace("t+", f"{t}+"), {"lt": lambda a, b: float(a < b),
                                                   "gte": lambda a, b: float(a >= b)})
        assert value == pytest.approx(want)


def test_request_framing_is_validated_and_reaches_the_plan_without_changing_old_ids():
    import hashlib

    from pattern_pivot.remix.plans import supercut_plan
    from pattern_pivot.remix.request import RemixRequestError, parse_request
    from pattern_pivot.remix.types import SourceSpan

    auto = parse_request({"topic": "Sourdough", "mode": "supercut"})
    fit = parse_request({"topic": "Sourdough", "mode": "supercut", "framing": "FIT"})
    assert (auto.framing, fit.framing) == ("auto", "fit") and auto.request_id != fit.request_id
    # The id of a default request is the one it had before requests had a framing.
    old = json.dumps({"topic": "sourdough", "mode": "supercut", "aspect": "9:16",
                      "length": 45.0, "variants": 1, "story": ""}, sort_keys=True)
    assert auto.request_id == "remix-" + hashlib.sha256(old.encode()).hexdigest()[:16]
    with pytest.raises(RemixRequestError, match="'framing'.*'zoom'.*auto, center, fit"):
        parse_request({"topic": "Sourdough", "framing": "zoom"})
    span = SourceSpan(video_id="v", start=0.0, end=5.0)
    assert supercut_plan(fit, 1, [span], lambda _: None).framing == "fit"


def test_faces_in_frame_scores_the_plan_against_the_detections(tmp_path):
    from pattern_pivot.reframe import analyse, plan_framing
    from pattern_pivot.reframe.check import faces_in_frame
    from pattern_pivot.reframe.framing import fixed_plan

    analysis = analyse(screencast(tmp_path / "screen.mp4"))
    source = (analysis.geometry.width, analysis.geometry.height)
    assert faces_in_frame(analysis, plan_framing(analysis, VERTICAL)) >= 0.95
    centre = fixed_plan("center", source, VERTICAL, analysis.start, analysis.end)
    assert faces_in_frame(analysis, centre) == 0.0  # the webcam is outside the middle


def test_a_title_card_with_a_portrait_is_fitted_whole(tmp_path):
    # Both layouts that keep the whole card are fine; a crop (face or centre) cuts the title.
    [shot] = frame_video(title_card(tmp_path / "card.mp4"), VERTICAL).shots
    assert shot.faces == 1 and shot.layout in ("fit", "inset")
    [bigger] = frame_video(title_card(tmp_path / "big.mp4", portrait=600), VERTICAL).shots
    assert bigger.layout == "fit" and "title card" in bigger.reason
