"""Bad input fails only its own partition, with a message naming the file, the problem and
the fix; every other partition and all stored data stay intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_pivot.errors import UnsupportedMediaError
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


def test_truncated_mp4(pipeline, good_key, tmp_path):
    bad = tmp_path / "in" / "truncated.mp4"
    bad.write_bytes(COCKATOO.read_bytes()[:150_000])
    _assert_fails_alone(pipeline, good_key, bad, "truncated or corrupt")


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
