"""Every quality check passes on a good file and fails on a file crafted to break it."""

import pytest

from pattern_pivot.media.loudness import measure_file
from pattern_pivot.quality import CHECK_NAMES, Expectations, run_checks
from pattern_pivot.quality.analysis import analyse
from pattern_pivot.quality.caption_pixels import MIN_GLYPH_AREA
from pattern_pivot.render.captions import CaptionStyle, ass_document, caption_band
from pattern_pivot.transcription.types import Word
from tests.conftest import ffmpeg

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

W, H = 270, 480
SECONDS = 6.0
# Speech-like sound: a tone switched on and off, normalised to -14 LUFS.
TONE = ("sine=f=330:d=6,volume=enable='between(mod(t,2),1.5,2)':volume=0,"
        "loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000")
WORDS = tuple(Word(start=s + i * 0.5, end=s + i * 0.5 + 0.45, text=f"w{i}")
              for s in (0.0, 2.0, 4.0) for i in range(3))


def _encode(path, video: str, audio: str | None = TONE, extra=(), words=WORDS):
    """``video`` and ``audio`` (lavfi sources) encoded, with ``words`` burned in as captions."""
    args = ["-f", "lavfi", "-i", video]
    if words:
        extra = (*extra, *_burn(path, words))
    if audio:
        args += ["-f", "lavfi", "-i", audio]
    ffmpeg(*args, *extra, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-movflags", "+faststart", str(path))
    return path


def _burn(path, words=WORDS) -> tuple[str, str]:
    """``-vf`` arguments that burn ``words`` in as the renderer's captions."""
    ass = path.with_suffix(".ass")
    ass.write_text(ass_document(list(words), W, H), encoding="utf-8")
    return ("-vf", f"ass=filename={ass}")


def _expect(**changes) -> Expectations:
    return Expectations(**{"width": W, "height": H, "target_seconds": SECONDS,
                           "captions": WORDS, "caption_band": caption_band(W, H), **changes})


def _failed(path, expected=None) -> set[str]:
    return {o.name for o in run_checks(path, expected or _expect()) if not o.passed}


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return _encode(tmp_path_factory.mktemp("q") / "good.mp4",
                   f"testsrc2=s={W}x{H}:r=30:d={SECONDS}")


def test_a_good_file_passes_every_check(good):
    outcomes = run_checks(good, _expect())
    assert [o.name for o in outcomes] == list(CHECK_NAMES)
    assert all(o.passed for o in outcomes), [o for o in outcomes if not o.passed]
    analysis = analyse(good)
    assert analysis.facts.faststart and analysis.loudness.integrated == pytest.approx(-14, abs=1)
    # The check reads the meter every stage normalises with (loudnorm's analysis read
    # 0.2-0.3 LU quieter, so a render made for -14 LUFS showed -14.3 here).
    made = measure_file(good)
    assert (analysis.loudness.integrated, analysis.loudness.true_peak) == (
        made.integrated, made.true_peak)


def test_black_stretch(tmp_path):
    video = (f"testsrc2=s={W}x{H}:r=30:d=1.5[a];color=c=black:s={W}x{H}:r=30:d=3[b];"
             f"testsrc2=s={W}x{H}:r=30:d=1.5[c];[a][b][c]concat=n=3")
    # Black is also a still picture, so it is frozen too (no captions: they would move it).
    assert _failed(_encode(tmp_path / "black.mp4", video, words=())) == {
        "no_black_stretch", "no_frozen_stretch", "captions_cover_speech"}


def test_frozen_stretch(tmp_path):
    video = f"testsrc2=s={W}x{H}:r=30:d=2,tpad=stop_mode=clone:stop_duration=4"
    # Without captions: changing captions over a still picture keep it from being frozen.
    assert _failed(_encode(tmp_path / "frozen.mp4", video, words=())) == {
        "no_frozen_stretch", "captions_cover_speech"}


def test_wrong_size(tmp_path):
    bad = _encode(tmp_path / "wide.mp4", f"testsrc2=s={H}x{W}:r=30:d={SECONDS}")
    assert _failed(bad) == {"resolution_and_aspect"}


def test_truncated_file(tmp_path, good):
    data = good.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    # The index (moov, at the front with faststart) still promises 6 s: only decoding the
    # whole file finds the missing half.
    assert "decodes_fully" in _failed(cut)
    # A file whose tail is corrupted (index intact) also fails to decode cleanly.
    broken = tmp_path / "broken.mp4"
    middle = len(data) // 2
    broken.write_bytes(data[:middle] + bytes(len(data) - middle))
    assert "decodes_fully" in _failed(broken)


def test_silent_audio(tmp_path):
    bad = _encode(tmp_path / "silent.mp4", f"testsrc2=s={W}x{H}:r=30:d={SECONDS}",
                  f"anullsrc=r=48000:cl=stereo:d={SECONDS}")
    assert "loudness_in_range" in _failed(bad)


def test_audio_shorter_than_video(tmp_path):
    bad = _encode(tmp_path / "short_audio.mp4", f"testsrc2=s={W}x{H}:r=30:d={SECONDS}",
                  "sine=f=330:d=3,loudnorm=I=-14,aresample=48000")
    assert "audio_video_durations_match" in _failed(bad)


def test_no_audio_at_all(tmp_path):
    bad = _encode(tmp_path / "mute.mp4", f"testsrc2=s={W}x{H}:r=30:d={SECONDS}", None)
    assert {"audio_video_durations_match", "loudness_in_range"} <= _failed(bad)


def _caption_check(path, **changes):
    return next(o for o in run_checks(path, _expect(**changes))
                if o.name == "captions_cover_speech")


def test_captions_are_measured_in_the_picture_not_taken_from_the_plan(tmp_path, good):
    passed = _caption_check(good)
    assert passed.passed and passed.metadata["coverage"] >= 0.9
    assert passed.metadata["planned_words_shown"] >= 0.9
    # The same picture and sound without burned-in captions fails, although the plan's
    # words still cover the speech: coverage is what the frames show. White screen text
    # with a black border sitting in the caption band (a source's own subtitles) is no
    # caption: every caption highlights its current word.
    band = caption_band(W, H)
    screen_text = (f"drawtext=fontfile={FONT}:text='ask not what your':fontcolor=white:"
                   f"borderw=2:bordercolor=black:fontsize={band.font_px}:x=(w-tw)/2:"
                   f"y={(band.top + band.bottom) / 2 * H:.0f}-th/2")
    bare = _encode(tmp_path / "bare.mp4", f"testsrc2=s={W}x{H}:r=30:d={SECONDS}",
                   extra=("-vf", screen_text), words=())
    assert max(f.glyph_area for f in analyse(bare, band).caption_samples) > MIN_GLYPH_AREA
    assert _failed(bare) == {"captions_cover_speech"}
    missing = _caption_check(bare)
    assert missing.metadata["coverage"] == 0.0 and missing.metadata["min_coverage"] == 0.7
    assert "0% of the" in missing.description and "at least 70%" in missing.description
    # Captions burned over the first burst of sound only do not cover the rest either.
    first = _encode(tmp_path / "first.mp4", f"testsrc2=s={W}x{H}:r=30:d={SECONDS}",
                    words=WORDS[:3])
    partial = _caption_check(first)
    assert not partial.passed and 0.2 < partial.metadata["coverage"] < 0.5
    # Captions drawn somewhere else than the renderer's caption band are not captions.
    higher = caption_band(W, H, CaptionStyle(bottom_ratio=0.6))
    assert not _caption_check(good, caption_band=higher).passed
    # Without a band to look in, the check cannot pass.
    assert not _caption_check(good, caption_band=None).passed


def test_wrong_duration(good):
    assert _failed(good, _expect(target_seconds=20)) == {"duration_within_target"}
    assert _failed(good, _expect(target_seconds=3)) == {"duration_within_target"}


def test_too_quiet(tmp_path):
    bad = _encode(tmp_path / "quiet.mp4", f"testsrc2=s={W}x{H}:r=30:d={SECONDS}",
                  TONE.replace("I=-14", "I=-24"))
    assert _failed(bad) == {"loudness_in_range"}


def test_the_caption_coverage_threshold_is_configurable_on_the_renderer():
    from pattern_pivot.remix.types import EditPlan, Shot
    from pattern_pivot.render.stage import expectations
    from resources import RendererResource

    plan = EditPlan(request_id="remix-x", mode="faceless", aspect="1:1", target_seconds=4,
                    shots=[Shot(kind="card", duration=4, text="hello")])
    options = RendererResource(min_caption_coverage=0.2).options()
    assert expectations(plan, options, []).min_caption_coverage == 0.2
    assert expectations(plan, RendererResource().options(), []).min_caption_coverage == 0.7


def test_dead_air_inside_fails_but_a_quiet_tail_does_not(tmp_path, good):
    gap = ("sine=f=330:d=6,volume=enable='between(t,2.2,3.7)':volume=0,"
           "loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000")
    failed = _failed(_encode(tmp_path / "gap.mp4", f"testsrc2=s={W}x{H}:r=30:d={SECONDS}",
                             gap))
    assert "no_dead_air" in failed
    [dead_air] = [o for o in run_checks(tmp_path / "gap.mp4", _expect())
                  if o.name == "no_dead_air"]
    assert dead_air.metadata["longest_silence_s"] == pytest.approx(1.5, abs=0.15)
    assert dead_air.metadata["max_silence_s"] == 1.0
    tail = ("sine=f=330:d=6,volume=enable='gte(t,4.6)':volume=0,"
            "loudnorm=I=-14:TP=-1.5:LRA=11,aresample=48000")
    assert "no_dead_air" not in _failed(
        _encode(tmp_path / "tail.mp4", f"testsrc2=s={W}x{H}:r=30:d={SECONDS}", tail))


def test_a_flash_of_a_shot_fails(good):
    assert "no_short_shot" in _failed(good, _expect(shot_seconds=(2.5, 0.6, 2.9)))
    [outcome] = [o for o in run_checks(good, _expect(shot_seconds=(2.5, 0.6, 2.9)))
                 if o.name == "no_short_shot"]
    assert outcome.metadata["short_shots"] == [2] and outcome.metadata["min_shot_s"] == 1.0
    assert "no_short_shot" not in _failed(good, _expect(shot_seconds=(2.5, 3.5)))
