"""The active speaker: with two people who do not fit one window, the frame follows whoever's
mouth moves (mediapipe's face mesh), switches once per turn with hysteresis, and stacks both
people (two_up) when they trade turns faster than a crop can follow. Built from the real
talking head; judged by the plan's window and by OpenCV's Haar (not the stage's YuNet) on
the rendered frames."""

import logging
import sys

import pytest

from pattern_pivot.reframe import analyse, plan_framing
from pattern_pivot.reframe.analysis import Sample
from pattern_pivot.reframe.check import faces_in_frame, window_at
from pattern_pivot.reframe.plan import Box
from pattern_pivot.reframe.render import render_reframed
from pattern_pivot.reframe.track import subjects, turns
from tests.reframe_support import (
    inside_with_margin,
    judge_faces,
    sampled_frames,
    shown_person,
    two_people,
)

VERTICAL = (270, 480)
SPLIT = 530  # the column between the two people of the composition
SWITCH = 4.0  # one turn each: the left person speaks first, the right from 4 s


@pytest.fixture(scope="module")
def one_turn_each(tmp_path_factory):
    source = two_people(tmp_path_factory.mktemp("speaker") / "turns.mp4", [SWITCH, 4.0])
    analysis = analyse(source)
    return source, analysis, plan_framing(analysis, VERTICAL)


def _who(plan, analysis, t: float) -> int | None:
    """Which person (0 left, 1 right) the crop window holds whole at ``t``."""
    shot = plan.shots[0]
    x, _ = window_at(shot, t)
    sample = min(analysis.samples, key=lambda s: abs(s.t - t))
    held = [f for f in sample.faces if x <= f.x and f.x + f.w <= x + plan.window_width]
    return None if len(held) != 1 else int(held[0].cx > SPLIT)


def test_the_crop_follows_the_speaker_and_switches_once(one_turn_each):
    _, analysis, plan = one_turn_each
    [shot] = plan.shots
    assert shot.layout == "crop" and shot.faces == 2 and "speaker" in shot.reason
    times = [i / 4 for i in range(32)]
    who = [_who(plan, analysis, t) for t in times]
    # Before the turn changes the left (smaller) person is framed: following the largest
    # face would have framed the right one throughout.
    assert all(w == 0 for t, w in zip(times, who) if t < SWITCH), who
    # Within the hold (1.5 s) of the new turn, and from then on, the right person.
    assert all(w == 1 for t, w in zip(times, who) if t >= SWITCH + 1.5), who
    changes = sum(1 for a, b in zip(who, who[1:]) if a != b)
    assert changes == 1, who  # one turn change, one switch: no ping-pong
    # The switch is a cut: the window jumps within one frame, it does not pan the room.
    jumps = [(a, b) for a, b in zip(shot.path, shot.path[1:]) if abs(b.x - a.x) > 100]
    assert len(jumps) == 1 and jumps[0][1].t - jumps[0][0].t < 0.04


def test_the_rendered_frame_shows_the_speaker_by_an_independent_judge(one_turn_each,
                                                                        tmp_path):
    source, _, plan = one_turn_each
    out = render_reframed(source, tmp_path / "turns-out.mp4", plan, preset="ultrafast")
    src, frames = sampled_frames(source, 2.0), sampled_frames(out, 2.0)
    assert len(frames) == 16
    for frame in frames:  # a face, whole with a margin, in every output frame
        assert any(inside_with_margin(f, frame.shape) for f in judge_faces(frame))
    for span, speaker in [((0.0, SWITCH), 0), ((SWITCH + 1.5, 8.0), 1)]:
        shown = [shown_person(src[i], frames[i], SPLIT) for i in range(16)
                 if span[0] <= i / 2 < span[1]]
        decided = [s for s in shown if s is not None]
        assert len(decided) >= len(shown) // 2 and set(decided) == {speaker}, (span, shown)


@pytest.fixture(scope="module")
def quick_turns(tmp_path_factory):
    source = two_people(tmp_path_factory.mktemp("quick") / "quick.mp4", [2.0] * 4)
    analysis = analyse(source)
    return source, analysis, plan_framing(analysis, VERTICAL)


def test_quick_turns_get_two_up_with_both_people_in_view(quick_turns, tmp_path):
    source, analysis, plan = quick_turns
    [shot] = plan.shots
    assert shot.layout == "two_up" and "turns" in shot.reason, shot.reason
    top, bottom = shot.panels
    left, right = sorted(max(analysis.samples, key=lambda s: len(s.faces)).faces,
                         key=lambda f: f.cx)
    for panel, face in [(top, left), (bottom, right)]:  # each person whole in a panel
        assert panel.x <= face.x and face.x + face.w <= panel.x + panel.w
        assert panel.y <= face.y and face.y + face.h <= panel.y + panel.h
    assert faces_in_frame(analysis, plan) == 1.0
    out = render_reframed(source, tmp_path / "quick-out.mp4", plan, preset="ultrafast")
    frames = sampled_frames(out, 2.0)
    half = VERTICAL[1] // 2
    for frame in frames:  # the judge finds a face whole in each half, all along
        for part in (frame[:half], frame[half:]):
            assert any(inside_with_margin(f, part.shape) for f in judge_faces(part))
    # The same people, one turn each, fit a crop that follows them: no two-up there.
    assert plan_framing(analysis, (480, 270)).shots[0].layout != "two_up"


def test_without_mediapipe_the_largest_face_is_followed_and_the_reason_logged(
        one_turn_each, monkeypatch, caplog):
    from pattern_pivot.reframe import mouth

    source, _, _ = one_turn_each
    monkeypatch.setitem(sys.modules, "mediapipe.python.solutions", None)  # import fails
    monkeypatch.setattr(mouth, "_local", type(mouth._local)())
    mouth._face_mesh_module.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            analysis = analyse(source)
    finally:
        mouth._face_mesh_module.cache_clear()
    assert any("mediapipe" in r.message and "largest face" in r.message
               for r in caplog.records)
    assert not any(s.speaking for s in analysis.samples)
    plan = plan_framing(analysis, VERTICAL)
    assert {_who(plan, analysis, i / 2) for i in range(16)} == {1}  # the larger, right


def _samples(scores: list[tuple[float, float]]) -> list[Sample]:
    left, right = Box(10, 10, 40, 40), Box(300, 10, 60, 60)
    return [Sample(i / 2, (right, left), 0.1, s) for i, s in enumerate(scores)]


def test_alternating_mouths_never_ping_pong_and_a_held_turn_cuts_where_it_began():
    # Both mouths move, the lead changing every sample: nobody holds it 1.5 s, no switch.
    chatter = _samples([(0.10, 0.20), (0.20, 0.05)] * 6)
    chosen = subjects(chatter, (100, 400), 0.2)
    assert len({b.x for b in chosen}) == 1
    # The left person speaks from sample 4 (2.0 s) on: after the hold the frame is theirs,
    # back to where the turn began.
    quiet, talk = (0.0, 0.0), (0.0, 0.15)
    chosen = subjects(_samples([(0.15, 0.0)] * 4 + [talk] * 6), (100, 400), 0.2)
    assert [b.x for b in chosen] == [300] * 4 + [10] * 6
    # No mouth readings yet in the first sample: the first speaker has the frame from the
    # start, not the larger face for a moment.
    chosen = subjects(_samples([()] + [talk] * 5), (100, 400), 0.2)
    assert {b.x for b in chosen} == {10}
    # A pause keeps the speaker: silence does not hand the frame to the larger face.
    chosen = subjects(_samples([talk] * 4 + [quiet] * 6), (100, 400), 0.2)
    assert {b.x for b in chosen} == {10}
    # One sample's lead is a blip, not a turn.
    assert len(turns(_samples([talk] * 3 + [(0.2, 0.0)] + [talk] * 3))) == 1
