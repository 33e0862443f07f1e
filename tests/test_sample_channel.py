"""The sample channel generator: one tiny real video (Piper narration, Ken Burns cards)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from pattern_pivot.media.ffmpeg import ffprobe_json, run_ffmpeg
from pattern_pivot.media.probe import probe
from pattern_pivot.sample_channel import SCRIPTS, SampleVideo, make_sample_channel
from pattern_pivot.sample_channel.compose import shot_frames

WIDTH, HEIGHT, MAX_SECONDS = 320, 180, 8.0


@pytest.fixture(scope="module")
def channel(tmp_path_factory) -> tuple[Path, SampleVideo]:
    out_dir = tmp_path_factory.mktemp("channel")
    told = []  # each video as it is finished (the CLI's progress bar)
    videos = make_sample_channel(out_dir, 1, width=WIDTH, height=HEIGHT, max_seconds=MAX_SECONDS,
                                 on_video=told.append)
    assert len(videos) == 1 and told == videos
    return out_dir, videos[0]


def _frame(video: Path, seconds: float, out: Path) -> Image.Image:
    run_ffmpeg(["-ss", f"{seconds:.2f}", "-i", video.resolve(), "-frames:v", "1", out.resolve()],
               subject=video, fix="the test video is unreadable")
    return Image.open(out).convert("RGB")


def test_video_is_h264_at_the_requested_size_with_narration(channel):
    out_dir, video = channel
    assert video.path == out_dir / "01-sourdough-bread.mp4"
    info = probe(video.path)
    assert info.video is not None and info.video.codec == "h264"
    assert (info.video.width, info.video.height) == (WIDTH, HEIGHT)
    assert info.video.fps == 25
    assert info.audio is not None and info.audio.codec == "aac"
    assert abs(info.duration - video.duration) < 1.0
    assert 2.0 < video.duration <= MAX_SECONDS
    durations = {s["codec_type"]: float(s["duration"])
                 for s in ffprobe_json(video.path)["streams"]}
    assert abs(durations["video"] - durations["audio"]) < 0.2


def test_frames_show_coloured_cards_that_move(channel, tmp_path):
    _, video = channel
    times = [video.duration * share for share in (0.25, 0.5, 0.75)]
    frames = [_frame(video.path, t, tmp_path / f"frame-{i}.png") for i, t in enumerate(times)]
    for frame in frames:
        stat = ImageStat.Stat(frame.convert("L"))
        assert stat.mean[0] > 20, "frame is (nearly) black"
        assert stat.stddev[0] > 15, "frame is a flat colour, not a card"
    moved = ImageStat.Stat(ImageChops.difference(frames[0], frames[-1]).convert("L")).mean[0]
    assert moved > 1.0, "no Ken Burns motion between frames"


def test_reference_transcript_is_the_truncated_script(channel):
    _, video = channel
    text_path = video.path.with_suffix(".txt")
    assert text_path.read_text(encoding="utf-8") == video.script
    spoken, full = " ".join(video.script.split()), " ".join(SCRIPTS[0].text.split())
    assert full.startswith(spoken) and len(spoken) < len(full)
    assert spoken.endswith((".", "!", "?"))


def test_second_call_reuses_finished_videos(channel):
    out_dir, video = channel
    before = video.path.stat().st_mtime_ns
    told = []
    again = make_sample_channel(out_dir, 1, width=WIDTH, height=HEIGHT, max_seconds=MAX_SECONDS,
                                on_video=told.append)
    assert video.path.stat().st_mtime_ns == before and told == again
    assert again[0].script == video.script
    assert abs(again[0].duration - video.duration) < 0.2
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "01-sourdough-bread.mp4", "01-sourdough-bread.txt"]  # no temp dirs left behind


def test_count_beyond_the_scripts_is_refused(tmp_path):
    with pytest.raises(ValueError, match=f"count={len(SCRIPTS) + 1}"):
        make_sample_channel(tmp_path, len(SCRIPTS) + 1)
    with pytest.raises(ValueError, match="even"):
        make_sample_channel(tmp_path, 1, width=321)


def test_scripts_are_distinct_and_sized_for_one_to_two_minutes():
    assert len(SCRIPTS) == 5
    assert len({s.slug for s in SCRIPTS}) == len({s.topic for s in SCRIPTS}) == 5
    for script in SCRIPTS:
        assert 3 <= len(script.sections) <= 5
        assert 170 <= len(script.text.split()) <= 240, script.slug


def test_shot_frames_add_up_to_the_narration():
    seconds = [3.33, 4.21, 2.9]
    assert sum(shot_frames(seconds, 25)) == round(sum(seconds) * 25)


def test_the_same_script_narrates_to_the_same_audio(tmp_path):
    # What transcripts, chunks and remix choices of the demo channel rest on.
    from pattern_pivot.sample_channel.narration import load_voice, narrate

    voice = load_voice()
    takes = [narrate(voice, SCRIPTS[1], tmp_path / f"take-{n}.wav", max_seconds=6.0)
             for n in (1, 2)]
    assert takes[0].duration == takes[1].duration > 2.0
    assert takes[0].wav_path.read_bytes() == takes[1].wav_path.read_bytes()
