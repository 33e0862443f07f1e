"""Domain units: ids, catalog, probing, audio, the media store, WAV blocks, bundled models."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from pattern_pivot import bundled_models
from pattern_pivot.catalog import local_video_id
from pattern_pivot.errors import CatalogError, MediaError, ModelError
from pattern_pivot.media.audio import extract_speech_audio
from pattern_pivot.media.probe import probe
from pattern_pivot.media.store import LocalMediaStore
from pattern_pivot.transcription.blocks import iter_speech_blocks
from tests.conftest import COCKATOO, JFK, TALKING_HEAD_NO_AUDIO, copy_as


def test_video_id_follows_content_not_name(catalog, tmp_path):
    a = catalog.register_file(copy_as(JFK, tmp_path / "a.wav"))
    b = catalog.register_file(copy_as(JFK, tmp_path / "other name.wav"))
    c = catalog.register_file(COCKATOO)
    assert a.video_id == b.video_id == local_video_id(a.sha256)
    assert c.video_id != a.video_id
    assert [e.video_id for e in catalog.entries()] == [a.video_id, c.video_id]
    assert catalog.get(a.video_id).source_uri.endswith("other name.wav")  # follows the file


def test_unknown_video_id_names_the_fix(catalog):
    with pytest.raises(CatalogError, match="pattern-pivot add"):
        catalog.get("file-0000000000000000")


def test_probe_reports_streams_of_real_media():
    video = probe(COCKATOO)
    assert (video.video.width, video.video.height, video.video.codec) == (1280, 720, "h264")
    assert video.audio is not None and video.duration == pytest.approx(14.0, abs=0.1)
    silent_video = probe(TALKING_HEAD_NO_AUDIO)
    assert silent_video.audio is None and silent_video.video.fps == 25.0
    speech = probe(JFK)
    assert speech.video is None and speech.audio.sample_rate == 16000


def test_probe_errors_name_the_file(tmp_path):
    missing = tmp_path / "missing.mp4"
    with pytest.raises(MediaError, match="missing.mp4: does not exist"):
        probe(missing)


def test_speech_audio_is_16k_mono(tmp_path):
    out = tmp_path / "audio.wav"
    extract_speech_audio(COCKATOO, out)
    with wave.open(str(out)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        assert wav.getnframes() / 16000 == pytest.approx(14.0, abs=0.2)


def test_store_write_is_atomic_and_fingerprinted(tmp_path):
    store = LocalMediaStore(tmp_path)
    with store.atomic_write("asset", "p1", "out.txt", "fp-1") as tmp:
        tmp.write_text("one")
    assert store.is_current("asset", "p1", "out.txt", "fp-1")
    assert not store.is_current("asset", "p1", "out.txt", "fp-2")
    with pytest.raises(RuntimeError):
        with store.atomic_write("asset", "p1", "out.txt", "fp-2") as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert store.path("asset", "p1", "out.txt").read_text() == "one"
    assert store.is_current("asset", "p1", "out.txt", "fp-1")
    # The failed write left no temporary file behind.
    assert sorted(p.name for p in (tmp_path / "asset" / "p1").iterdir()) == ["out.txt",
                                                                             "out.txt.inputs"]


@pytest.mark.parametrize("bad", ["..", "../x", "a/b", "", ".hidden"])
def test_store_refuses_paths_that_escape(tmp_path, bad):
    with pytest.raises(ValueError):
        LocalMediaStore(tmp_path).path("asset", bad, "name")


def _write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes((samples * 32767).astype("<i2").tobytes())


def test_wav_blocks_cover_every_sample_and_cut_in_quiet(tmp_path):
    rng = np.random.default_rng(0)
    loud = rng.uniform(-0.5, 0.5, 16000 * 25).astype(np.float32)
    loud[16000 * 8: 16000 * 8 + 4000] = 0  # a quiet quarter second near the first block's end
    path = tmp_path / "a.wav"
    _write_wav(path, loud)
    blocks = list(iter_speech_blocks(path, block_seconds=10))
    offsets = [b.offset for b in blocks]
    assert offsets[0] == 0 and 8.0 <= offsets[1] <= 8.25
    assert sum(len(b.samples) for b in blocks) == len(loud)
    for b1, b2 in zip(blocks, blocks[1:]):
        assert b1.offset + len(b1.samples) / 16000 == pytest.approx(b2.offset)


def test_wav_blocks_reject_other_formats(tmp_path):
    with pytest.raises(MediaError, match="16 kHz mono"):
        list(iter_speech_blocks(_stereo(tmp_path), 10))


def _stereo(tmp_path: Path) -> Path:
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes(b"\0\0\0\0" * 100)
    return path


def test_bundled_model_assembles_and_detects_tampering(tmp_path):
    path = bundled_models.model_dir("whisper-tiny.en", cache_dir=tmp_path)
    assert (path / "model.bin").stat().st_size > 10_000_000
    assert bundled_models.verify("whisper-tiny.en", cache_dir=tmp_path) == path
    with (path / "config.json").open("a") as handle:
        handle.write(" ")
    with pytest.raises(ModelError, match="pinned SHA-256"):
        bundled_models.verify("whisper-tiny.en", cache_dir=tmp_path)


def test_unknown_whisper_model_names_the_choices():
    with pytest.raises(ModelError, match="base, tiny.en"):
        bundled_models.whisper_model_dir("large-v9")


def test_copy_with_sha256_copies_the_bytes_and_hashes_them_in_one_read(tmp_path):
    from pattern_pivot.hashing import copy_with_sha256, file_sha256

    source = tmp_path / "in.bin"
    source.write_bytes(np.random.default_rng(0).bytes(3 * (1 << 20) + 17))  # several blocks
    target = tmp_path / "out.bin"
    assert copy_with_sha256(source, target) == file_sha256(source)
    assert target.read_bytes() == source.read_bytes()
