"""Trailers and montages: moments cut on whole sentences and shot boundaries, on the beats
of music when there is some, between a title and an end card; rendered, checked and looked
at (frames and sound) on a real talk whose picture changes shot every 8 s."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from assets.partitions import videos_partitions
from assets.trailer import channel_trailer, video_trailer
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.quality.checks import CHECK_NAMES
from pattern_pivot.render.cards import TOP
from pattern_pivot.trailer.plan import (
    MIN_CARD,
    SPEECH_GUARD,
    Moment,
    check_length,
    plan_trailer,
    select,
    snap_to_shots,
)
from pattern_pivot.trailer.shots import shot_cuts
from pattern_pivot.trailer.stage import TrailerSettings
from resources import (
    RendererResource,
)
from tests.ingest_support import ingested_file
from tests.trailer_support import BPM, SHOT_SECONDS, cutting_talk, drum_loop

SMALL = (480, 270)


def _moment(start, end, speech_start, speech_end, earliest, latest, score=0.5, cuts=(),
            video="v1"):
    return Moment(video, start, end, speech_start, speech_end, earliest, latest, score,
                  "t", "text", "why", cuts)


def test_a_trailer_longer_than_its_source_is_refused_with_the_longest_allowed():
    with pytest.raises(PatternPivotError, match=r"trailer length 45 s: is longer than "
                       r"video x \(40\.2 s in all\)\. Fix: ask for at most 40 s"):
        check_length(45, 40.2, "video x")
    with pytest.raises(PatternPivotError, match="ask for 15-60 s"):
        TrailerSettings(length=90)


def test_shot_boundaries_in_a_pause_become_the_cut_but_never_inside_speech():
    m = _moment(9.8, 14.2, 10.1, 14.0, 9.5, 14.6, cuts=(9.9, 12.0, 14.4))
    snapped = snap_to_shots(m)
    assert (snapped.start, snapped.end) == (9.9, 14.4)
    inside = snap_to_shots(_moment(9.8, 14.2, 10.1, 14.0, 9.5, 14.6, cuts=(10.5, 13.9)))
    assert (inside.start, inside.end) == (9.8, 14.2)


def test_back_to_back_moments_become_one_clip():
    a = _moment(1.0, 4.0, 1.1, 3.9, 0.8, 4.3, score=0.9)
    b = _moment(4.2, 8.0, 4.35, 7.8, 4.05, 8.4, score=0.4)
    c = _moment(20.0, 24.0, 20.1, 23.9, 19.8, 24.3, score=0.6)
    chosen = select([c, b, a], body_seconds=12)
    assert [(m.start, m.end) for m in chosen] == [(1.0, 8.0), (20.0, 24.0)]


def test_selection_fills_the_length_rather_than_stopping_at_the_best_long_moment():
    best = _moment(1.0, 8.0, 1.1, 7.9, 0.9, 8.2, score=0.9)
    b = _moment(10.0, 15.5, 10.1, 15.4, 9.9, 15.7, score=0.8)
    c = _moment(20.0, 25.5, 20.1, 25.4, 19.9, 25.7, score=0.7)
    chosen = select([best, b, c], body_seconds=11)
    assert [(m.start, m.end) for m in chosen] == [(10.0, 15.5), (20.0, 25.5)]


def test_cuts_land_on_beats_inside_the_pauses_and_the_length_is_exact():
    beats = np.arange(0.02, 40, 60 / BPM)
    moments = [_moment(1.0, 5.1, 1.2, 4.8, 0.9, 5.7), _moment(10.0, 15.3, 10.2, 15.0, 9.7, 15.9),
               _moment(30.0, 34.2, 30.1, 34.0, 29.8, 34.9)]
    out = plan_trailer(moments, key="v1", title="Title", end_text="End", length=20,
                       aspect="16:9", beats=beats)
    assert out.on_beat == len(out.cuts) == 4
    assert abs(out.plan.duration - 20) < 0.01
    for m in out.moments:  # the speech inside each moment is whole
        assert m.start <= m.speech_start and m.end >= m.speech_end + 0.05
        assert m.end <= m.latest_end + 1e-6
    kinds = [s.kind for s in out.plan.shots]
    assert kinds == ["card", "source", "source", "source", "card"]
    # Without music, the same moments keep their own cuts.
    plain = plan_trailer(moments, key="v1", title="Title", end_text="End", length=20,
                         aspect="16:9")
    assert plain.on_beat == 0 and [m.end for m in plain.moments] == [5.1, 15.3, 34.2]


def test_too_few_strong_moments_for_the_length_says_what_length_fits():
    with pytest.raises(PatternPivotError, match=r"has 5\.0 s of strong moments for a 30 s "
                                                r"trailer\. Fix: ask for about 9 s"):
        plan_trailer([_moment(1, 6, 1.1, 5.9, 0.9, 6.2)], key="v1", title="T", end_text="E",
                     length=30, aspect="16:9")


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    """The cutting talk registered and ingested once (tiny.en transcript), and a drum loop."""
    root = tmp_path_factory.mktemp("trailer")
    settings, video_id, resources = ingested_file(root, cutting_talk(root / "talk.mp4"))
    return settings, video_id, resources, drum_loop(root / "music" / "drums.wav")


def _materialise(talk, asset, config: dict, partition: str | None):
    settings, video_id, resources, _ = talk
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(videos_partitions.name, [video_id])
    return dg.materialize(
        [asset], partition_key=partition, instance=instance, raise_on_error=False,
        run_config={"ops": {asset.op.name: {"config": config}}},
        resources={**resources, "renderer": RendererResource(frame_width=SMALL[0],
                                                             frame_height=SMALL[1])})


def _frame(video: Path, at: float, out: Path) -> np.ndarray:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{at:.3f}", "-i",
                    str(video), "-frames:v", "1", str(out)], check=True)
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(out), "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(SMALL[1], SMALL[0], 3)


def _level_db(video: Path, start: float, seconds: float) -> float:
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-ss", f"{start:.3f}", "-t",
                          f"{seconds:.3f}", "-i", str(video), "-ac", "1", "-ar", "16000",
                          "-f", "s16le", "-"], capture_output=True, check=True).stdout
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768
    return float(20 * np.log10(max(np.sqrt(np.mean(samples ** 2)), 1e-9)))


@pytest.mark.slow
def test_video_trailer_with_music_is_cut_on_shots_and_beats_and_passes_its_checks(talk,
                                                                                   tmp_path):
    settings, video_id, _, music = talk
    result = _materialise(talk, video_trailer, {"length": 20, "music": str(music.parent)},
                          video_id)
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert set(checks) == set(CHECK_NAMES)
    assert all(c.passed for c in checks.values()), {
        n: c.description for n, c in checks.items() if not c.passed}
    folder = settings.media_root / "video_trailer" / video_id
    made = json.loads((folder / "trailer.json").read_text())
    video = folder / "trailer.mp4"
    assert abs(made["duration"] - 20) < 0.05 and made["music"].endswith("drums.wav")
    # Every cut lands on a beat of the drums (the kicks fall at multiples of 0.5 s) unless
    # its moment's pause, up to the next shot change, is shorter than a beat.
    # The count the trailer reports agrees with the kicks: every cut within 50 ms of one is
    # counted, none further than 100 ms (the beat tracker places beats ~30 ms late).
    beat = 60 / BPM
    off_beat = [min(c % beat, beat - c % beat) for c in made["cuts"]]
    on_beat = [d < 0.1 for d in off_beat]
    assert len(on_beat) >= 2 and on_beat[0]
    assert sum(d < 0.05 for d in off_beat) <= made["on_beat"] <= sum(on_beat), off_beat
    for hit, cut, m in zip(on_beat[1:], made["cuts"][1:], made["moments_full"]):
        # The cut may move within the pause after the speech, up to the next shot change and
        # never into the end card's minimum: when that window is shorter than a beat, a
        # cut on a beat is not possible.
        stop = min([m["latest_end"], *(c for c in m["shot_cuts"] if c > m["speech_end"])])
        speech_end = cut - (m["end"] - m["speech_end"])
        window_end = min(cut + (stop - m["end"]), made["length"] - MIN_CARD)
        assert hit or window_end - (speech_end + SPEECH_GUARD) < beat, m
    # Scene detection finds the source's shot changes (every 8 s) to the frame, and no clip
    # edge leaves a flash of a neighbouring shot: a change in the pause at an edge is the cut.
    full = made["moments_full"]
    source = settings.media_root / "source_video" / video_id / "source.mp4"
    found = [*shot_cuts(source, 0, 40), *(c for m in full for c in m["shot_cuts"])]
    assert len(found) >= 2 and all(abs(c - round(c / SHOT_SECONDS) * SHOT_SECONDS) <= 0.05
                                   for c in found), found
    for m in full:
        for c in m["shot_cuts"]:
            assert not (m["start"] < c < m["speech_start"] - 0.05), (c, m)
            assert not (m["speech_end"] + 0.05 < c < m["end"]), (c, m)
    # Frames: the title card (its gradient), then the source picture after the first cut.
    card = _frame(video, 0.3, tmp_path / "card.png")
    first = _frame(video, made["cuts"][0] + 0.4, tmp_path / "first.png")
    end = _frame(video, made["duration"] - 0.3, tmp_path / "end.png")
    assert np.abs(card[5, 5].astype(int) - TOP).max() < 20
    assert np.abs(end[5, 5].astype(int) - TOP).max() < 20
    assert np.abs(first.astype(int) - card.astype(int)).mean() > 20
    # Sound: the music plays over the title card; under speech it is ducked, so the whole
    # mix is not much louder there than the music alone.
    card_level = _level_db(video, 0.2, made["cuts"][0] - 0.4)
    assert card_level > -40, card_level


@pytest.mark.slow
def test_channel_trailer_and_a_trailer_longer_than_the_source(talk):
    settings, video_id, *_ = talk
    result = _materialise(talk, channel_trailer, {"length": 15, "channel": "local"}, None)
    assert result.success, result
    made = json.loads((settings.media_root / "channel_trailer" / "local" / "trailer.json")
                      .read_text())
    assert made["passed"] and {m["video_id"] for m in made["moments"]} == {video_id}
    again = _materialise(talk, channel_trailer, {"length": 15, "channel": "local"}, None)
    meta = again.asset_materializations_for_node("channel_trailer")[0].metadata
    assert meta["status"].value == "cached" and meta["moments"].value == len(made["moments"])
    too_long = _materialise(talk, video_trailer, {"length": 45}, video_id)
    assert not too_long.success
    failure = next(e for e in too_long.all_events if e.is_step_failure)
    message = failure.step_failure_data.user_failure_data.description
    assert re.search(r"trailer length 45 s: is longer than video file-\w+ \(\d\d\.\d s in "
                     r"all\)\. Fix: ask for at most (39|40) s", message), message
    stored = settings.media_root / "video_trailer" / video_id / "trailer.json"
    assert not stored.exists() or json.loads(stored.read_text())["length"] != 45


@pytest.mark.slow
def test_cli_refuses_bad_requests_before_any_work(tmp_path):
    cli = str(Path(sys.executable).with_name("pattern-pivot"))
    env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": ""}
    for args, phrase in ((["trailer"], "needs either a video or --channel"),
                         (["trailer", "--channel", "local", "--length", "90"], "15-60 s"),
                         (["trailer", "--channel", "local", "--music",
                           str(tmp_path / "nope.mp3")], "does not exist")):
        proc = subprocess.run([cli, *args], capture_output=True, text=True, env=env,
                              timeout=300)
        assert proc.returncode == 2 and phrase in proc.stderr and "Fix:" in proc.stderr, (
            args, proc.stderr)
    assert not (tmp_path / "data" / "dagster").exists()  # refused before any run


@pytest.mark.slow
def test_cli_makes_a_trailer_of_a_file_and_prints_json(tmp_path):
    cli = str(Path(sys.executable).with_name("pattern-pivot"))
    env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data"),
           "PATTERN_PIVOT_ASR_MODEL": "tiny.en", "DAGSTER_HOME": ""}
    video = cutting_talk(tmp_path / "talk.mp4")
    proc = subprocess.run([cli, "trailer", str(video), "--length", "15", "--format", "1:1",
                           "--json"], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    made = json.loads(proc.stdout)
    # Its moments fill the length, or at least 85% of it (the cards take up to 4 s each).
    assert made["passed"] and 15 * 0.85 <= made["duration"] <= 15.01 and made["music"] == ""
    assert made["moments"] and all(m["end"] - m["start"] >= 2.5 for m in made["moments"])
    size = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=width,height", "-of", "csv=p=0", made["video"]],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert size == "1080,1080"
