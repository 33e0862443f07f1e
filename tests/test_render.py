"""The render engine on real media: geometry, captions, loudness, supercut sound and
captions, a full-size 1080x1920 render, and clear errors for bad plans."""

import numpy as np
import pytest

from pattern_pivot.errors import CatalogError, MediaError
from pattern_pivot.media.loudness import measure_file
from pattern_pivot.quality import run_checks
from pattern_pivot.remix.types import EditPlan, Shot, SourceSpan
from pattern_pivot.render import RenderOptions, render_plan
from pattern_pivot.render.sources import FileSources
from pattern_pivot.render.stage import expectations
from pattern_pivot.render.timeline import narration_cues
from pattern_pivot.transcription.whisper import FasterWhisperTranscriber
from pattern_pivot.tts import TTSConfig, make_engine, narrate
from tests.render_support import (
    COCKATOO,
    SMALL,
    frame_at,
    narrated_plan,
    streams,
    stripes_source,
    supercut_plan,
    talk_source,
)

SMALL_OPTIONS = RenderOptions(frame_size=SMALL)


@pytest.fixture(scope="module")
def narrated(tmp_path_factory):
    """The narrated plan's narration, spoken once for the module (Piper + Whisper timings)."""
    folder = tmp_path_factory.mktemp("narration")
    config = TTSConfig()
    plan = narrated_plan()
    return narrate(make_engine(config), narration_cues(plan), folder / "n.wav", config,
                   FasterWhisperTranscriber("tiny.en", beam_size=1))


def test_scale_then_crop_keeps_the_centre_at_full_height(tmp_path):
    source = stripes_source(tmp_path / "stripes.mp4")
    plan = supercut_plan("remix-geo", "s", 1.0, 2.0).model_copy(update={"framing": "center"})
    out = render_plan(plan, tmp_path / "geo.mp4", FileSources({"s": source}),
                      options=RenderOptions(frame_size=SMALL, captions=False)).path
    frame = frame_at(out, 1.0).astype(int)
    h, w, _ = frame.shape
    assert (w, h) == SMALL
    body = frame[int(h * 0.2):, :]  # below the white band
    r, g, b = body[..., 0].mean(), body[..., 1].mean(), body[..., 2].mean()
    # Only the green middle third survives a centre crop of a cover-scaled 16:9 picture:
    # a stretch or a letterbox would bring red and blue (or black) in at the sides.
    assert g > 200 and r < 40 and b < 40
    assert frame[:, :3].mean(axis=(0, 1))[1] > 150  # green at the very left edge
    # The white band (top tenth of the source) stays the top tenth: height was not cropped.
    assert frame[int(h * 0.03)].mean() > 200 and frame[int(h * 0.14)].mean() < 200


def test_narrated_render_captions_loudness_and_checks(tmp_path, narrated):
    plan = narrated_plan()
    sources = FileSources({"v1": COCKATOO})
    result = render_plan(plan, tmp_path / "n.mp4", sources, narrated, SMALL_OPTIONS)
    bare = render_plan(plan, tmp_path / "bare.mp4", sources, narrated,
                       RenderOptions(frame_size=SMALL, captions=False))
    info = streams(result.path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert (video["codec_name"], audio["codec_name"]) == ("h264", "aac")
    assert (video["width"], video["height"]) == SMALL and video["pix_fmt"] == "yuv420p"
    assert float(info["format"]["duration"]) == pytest.approx(result.duration, abs=0.1)
    assert result.duration >= plan.duration
    assert measure_file(result.path).integrated == pytest.approx(-14.0, abs=1.0)
    # Captions where the plan speaks: the caption band differs from the caption-free render
    # while a word is spoken, and nowhere else in the frame.
    word = next(w for w in result.words if w.text.startswith("flock"))
    at = (word.start + word.end) / 2
    with_c, without = frame_at(result.path, at).astype(int), frame_at(bare.path, at).astype(int)
    h = with_c.shape[0]
    band = slice(int(h * 0.55), int(h * 0.85))
    changed = np.abs(with_c - without).max(axis=2) > 60
    assert changed[band].mean() > 0.03
    assert changed[: int(h * 0.4)].mean() < 0.002
    # The highlighted (current) word is drawn in the highlight colour (yellow).
    diff = with_c[band]
    yellow = (diff[..., 0] > 200) & (diff[..., 1] > 170) & (diff[..., 2] < 80)
    assert yellow.sum() > 20
    outcomes = run_checks(result.path, expectations(plan, SMALL_OPTIONS, result.words))
    assert all(o.passed for o in outcomes), [o for o in outcomes if not o.passed]


def test_supercut_keeps_the_speakers_voice_with_their_words_as_captions(tmp_path,
                                                                         tiny_transcriber):
    from pattern_pivot.media.audio import extract_speech_audio
    from pattern_pivot.render.sources import SourceMedia

    talk = talk_source(tmp_path / "talk.mp4")
    extract_speech_audio(talk, tmp_path / "talk.wav")
    transcript = tiny_transcriber.transcriber().transcribe(tmp_path / "talk.wav")
    sources = FileSources({"jfk": talk}, {"jfk": transcript})
    source: SourceMedia = sources("jfk")
    plan = EditPlan(request_id="remix-sc", mode="supercut", aspect="9:16", target_seconds=6,
                    shots=(Shot(kind="source", duration=2.0, source_audio=True,
                                span=SourceSpan(video_id="jfk", start=0.0, end=2.0)),
                           Shot(kind="source", duration=4.0, source_audio=True,
                                span=SourceSpan(video_id="jfk", start=6.0, end=10.0))))
    result = render_plan(plan, tmp_path / "sc.mp4", sources, None, SMALL_OPTIONS)
    # Words from the second span are moved from 6-10 s in the source to 2-6 s out.
    second = [w for w in source.words if 6.0 <= w.start < 9.9]
    moved = [w for w in result.words if w.start >= 2.0]
    assert [w.text for w in moved] == [w.text for w in second]
    assert moved[0].start == pytest.approx(second[0].start - 4.0, abs=0.01)
    assert measure_file(result.path).integrated == pytest.approx(-14.0, abs=1.0)
    outcomes = {o.name: o for o in run_checks(result.path,
                                              expectations(plan, SMALL_OPTIONS, result.words))}
    assert outcomes["captions_cover_speech"].passed, outcomes["captions_cover_speech"]
    assert all(o.passed for o in outcomes.values()), outcomes


def test_full_size_vertical_render_with_music_ducked(tmp_path, narrated):
    from tests.conftest import ffmpeg

    music = tmp_path / "music.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=220:d=3", "-ac", "2", str(music))
    plan = narrated_plan()
    options = RenderOptions(background_audio=music)
    result = render_plan(plan, tmp_path / "full.mp4", FileSources({"v1": COCKATOO}), narrated,
                         options)
    info = streams(result.path)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (1080, 1920)
    assert any("sidechaincompress" in part for part in result.command)
    with open(result.path, "rb") as handle:  # +faststart: the index comes before the media
        head = handle.read(1 << 16)
    assert 0 <= head.find(b"moov") < max(head.find(b"mdat"), 1 << 16)
    outcomes = run_checks(result.path, expectations(plan, options, result.words))
    assert all(o.passed for o in outcomes), [o for o in outcomes if not o.passed]


def test_bad_plans_fail_clearly_and_leave_nothing(tmp_path):
    sources = FileSources({"v1": COCKATOO})
    out = tmp_path / "out.mp4"
    beyond = supercut_plan("remix-bad", "v1", 60.0, 2.0)
    with pytest.raises(MediaError, match="span is outside the video"):
        render_plan(beyond, out, sources, options=SMALL_OPTIONS)
    with pytest.raises(CatalogError, match="--source missing="):
        render_plan(supercut_plan("remix-bad", "missing", 0.0, 2.0), out, sources,
                    options=SMALL_OPTIONS)
    still = EditPlan(request_id="remix-bad", mode="faceless", aspect="1:1", target_seconds=2,
                     shots=(Shot(kind="still", duration=2, image=str(tmp_path / "nope.jpg")),))
    with pytest.raises(MediaError, match="does not exist"):
        render_plan(still, out, sources, options=SMALL_OPTIONS)
    assert list(tmp_path.iterdir()) == []


def test_cli_say_and_render(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    cli = str(Path(sys.executable).with_name("pattern-pivot"))
    env = {**os.environ, "PATTERN_PIVOT_DATA_DIR": str(tmp_path / "data")}
    said = subprocess.run([cli, "say", "Hello there. Goodbye.", "-o", str(tmp_path / "s.wav")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert said.returncode == 0, said.stderr
    assert "piper:en_US-joe-medium" in said.stdout and (tmp_path / "s.wav").stat().st_size > 1000
    plan = tmp_path / "plan.json"
    plan.write_text(narrated_plan().model_dump_json())
    out = tmp_path / "out" / "video.mp4"
    done = subprocess.run([cli, "render", str(plan), "-o", str(out), "--source",
                           f"v1={COCKATOO}", "--width", "180", "--height", "320"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok     ") == 8 and "FAILED" not in done.stdout
    assert out.is_file() and (tmp_path / "out" / "video.captions.json").is_file()
    plan.write_text("{}")
    bad = subprocess.run([cli, "render", str(plan), "-o", str(out)], capture_output=True,
                         text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "is not a readable edit plan" in bad.stderr
