"""Assets called directly with dg.build_asset_context, one partition at a time."""

from pathlib import Path

import dagster as dg
import pytest

from assets.ingest import source_video, video_audio, video_transcript
from pattern_pivot.media.preview import MAX_PREVIEW_BYTES
from resources import CatalogResource, MediaStoreResource, YouTubeResource
from tests.conftest import COCKATOO, JFK


@pytest.fixture
def resources(settings):
    return {"catalog": CatalogResource(path=str(settings.catalog_path),
                                       watch_dir=str(settings.watch_dir)),
            "media_store": MediaStoreResource(root=str(settings.media_root))}


def test_source_video_reports_probe_and_poster(resources, catalog):
    key = catalog.register_file(COCKATOO).video_id
    result = source_video(dg.build_asset_context(partition_key=key), **resources,
                          youtube=YouTubeResource())
    meta = result.metadata
    assert meta["resolution"] == "1280x720" and meta["fps"] == 20.0
    assert meta["video_codec"] == "h264" and meta["has_audio"] is True
    assert meta["status"] == "materialized"
    # A small animated preview and the poster: short markdown pointing at the preview server
    # (the UI shows it in place), and the same pictures embedded (a click away).
    folder = f"source_video/{key}"
    assert meta["preview"].value == (f"![preview](http://127.0.0.1:3001/{folder}/preview.webp) "
                                     f"![poster](http://127.0.0.1:3001/{folder}/poster.jpg)")
    assert meta["preview_embedded"].value.startswith("![preview](data:image/webp;base64,")
    assert "![poster](data:image/jpeg;base64," in meta["preview_embedded"].value
    preview = Path(meta["preview_path"].value).read_bytes()
    assert preview[:4] == b"RIFF" and preview[8:12] == b"WEBP" and b"ANIM" in preview[:64]
    assert preview.count(b"ANMF") >= 10 and len(preview) <= MAX_PREVIEW_BYTES
    again = source_video(dg.build_asset_context(partition_key=key), **resources,
                         youtube=YouTubeResource())
    assert again.metadata["status"] == "cached"


def test_audio_before_source_is_a_clear_failure(resources, catalog):
    key = catalog.register_file(JFK).video_id
    with pytest.raises(dg.Failure, match="materialise source_video"):
        video_audio(dg.build_asset_context(partition_key=key), **resources)


def test_transcript_asset_on_real_speech(resources, catalog, tiny_transcriber):
    key = catalog.register_file(JFK).video_id
    source_video(dg.build_asset_context(partition_key=key), **resources,
                 youtube=YouTubeResource())
    video_audio(dg.build_asset_context(partition_key=key), **resources)
    result = video_transcript(dg.build_asset_context(partition_key=key), **resources,
                              transcriber=tiny_transcriber)
    assert result.metadata["word_count"] >= 20
    assert result.metadata["model"] == "faster-whisper:tiny.en"
    assert result.metadata["transcript_source"] == "local_asr"  # a file has no captions
    assert result.check_results[0].passed
