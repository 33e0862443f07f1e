"""yt-dlp downloads from a local HTTP server (its generic extractor on a direct MP4 and on an
HTML5 page with a caption track), the caption parsers, and source_video / video_transcript
for a yt- partition."""

import json
from pathlib import Path

import dagster as dg
import pytest

from assets.ingest import source_video, video_audio, video_transcript
from assets.partitions import videos_partitions
from assets.understand import transcript_chunks
from pattern_pivot.catalog import Catalog
from pattern_pivot.definitions import build_definitions
from pattern_pivot.media.probe import probe
from pattern_pivot.retrieval.index import search_catalog
from pattern_pivot.retrieval.milvus_store import SearchFilters
from pattern_pivot.youtube.captions import read_captions, spread_words
from pattern_pivot.youtube.download import DownloadLimits, download
from pattern_pivot.youtube.errors import YouTubeDownloadError
from resources import TranscriberResource, YouTubeResource
from tests.conftest import COCKATOO, ffmpeg
from tests.youtube_support import FakeYouTube, FakeYouTubeServer

VTT = """WEBVTT
Kind: captions
Language: en

00:00:00.000 --> 00:00:01.200
a white cockatoo

00:00:01.200 --> 00:00:02.000
<c.colorE5E5E5>dances</c> today
"""

# YouTube automatic captions in json3: one word per seg, each offset inside its event.
JSON3 = {"wireMagic": "pb3", "pens": [{}], "events": [
    {"tStartMs": 0, "dDurationMs": 2000, "id": 1, "wpWinPosId": 1, "wsWinStyleId": 1},
    {"tStartMs": 100, "dDurationMs": 1900, "wWinId": 1, "segs": [
        {"utf8": "a", "acAsrConf": 0}, {"utf8": " white", "tOffsetMs": 300, "acAsrConf": 0},
        {"utf8": " cockatoo", "tOffsetMs": 800, "acAsrConf": 0}]},
    {"tStartMs": 1500, "dDurationMs": 500, "wWinId": 1, "aAppend": 1, "segs": [{"utf8": "\n"}]},
]}


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """Two seconds of the real cockatoo video, small."""
    out = tmp_path_factory.mktemp("clip") / "clip.mp4"
    ffmpeg("-t", "2", "-i", str(COCKATOO), "-vf", "scale=320:-2", "-c:v", "libx264",
           "-preset", "ultrafast", "-c:a", "aac", "-b:a", "64k", str(out))
    return out


@pytest.fixture
def server(clip):
    fake = FakeYouTube()
    fake.add_file("/media/abcdefghijk.mp4", clip, "video/mp4")
    fake.add_file("/media/abcdefghijk.en.vtt", VTT.encode(), "text/vtt")
    page = ('<html><head><title>Cockatoo</title></head><body><video controls>'
            '<source src="/media/abcdefghijk.mp4" type="video/mp4">'
            '<track kind="captions" src="/media/abcdefghijk.en.vtt" srclang="en" '
            'label="English"></video></body></html>')
    fake.add_file("/watch/abcdefghijk", page.encode(), "text/html")
    with FakeYouTubeServer(fake) as srv:
        yield srv


def test_downloads_a_direct_mp4(server, tmp_path, clip):
    got = download(server.url + "media/abcdefghijk.mp4", tmp_path)
    assert got.path.read_bytes() == clip.read_bytes() and got.captions is None
    assert probe(got.path).video.width == 320


def test_downloads_a_page_with_its_caption_track(server, tmp_path):
    got = download(server.url + "watch/abcdefghijk", tmp_path)
    assert got.path.suffix == ".mp4" and got.captions and got.captions.suffix == ".vtt"
    assert got.caption_language == "en" and got.caption_kind == "manual"


def test_a_webm_source_is_remuxed_to_mp4(tmp_path):
    webm = tmp_path / "clip.webm"
    ffmpeg("-t", "1", "-i", str(COCKATOO), "-vf", "scale=160:-2", "-c:v", "libvpx-vp9",
           "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", str(webm))
    fake = FakeYouTube()
    fake.add_file("/media/webm0000001.webm", webm, "video/webm")
    with FakeYouTubeServer(fake) as srv:
        got = download(srv.url + "media/webm0000001.webm", tmp_path / "out")
    info = probe(got.path)
    assert got.path.suffix == ".mp4" and "mp4" in info.container
    assert info.video.codec == "vp9"  # remuxed, not re-encoded


def test_size_limit_and_missing_video_are_clear_errors(server, tmp_path):
    with pytest.raises(YouTubeDownloadError, match="breaks the download limits"):
        download(server.url + "media/abcdefghijk.mp4", tmp_path / "a",
                 DownloadLimits(max_filesize_mb=0.01))
    with pytest.raises(YouTubeDownloadError, match="could not be downloaded.*404"):
        download(server.url + "media/gone.mp4", tmp_path / "b")


def test_format_selector_caps_height_and_prefers_mp4():
    selector = DownloadLimits().format_selector()
    assert selector.startswith("bv*[height<=?1080][ext=mp4]+ba[ext=m4a]")
    assert "b[height<=?1080]" in selector


def test_json3_auto_captions_keep_per_word_timings(tmp_path):
    path = tmp_path / "captions.json3"
    path.write_text(json.dumps(JSON3))
    transcript = read_captions(path, "en", "auto")
    assert [w.text for w in transcript.words] == ["a", "white", "cockatoo"]
    assert [w.start for w in transcript.words] == [0.1, 0.4, 0.9]
    assert transcript.words[-1].end == 2.0 and transcript.model == "youtube-captions:auto"


def test_vtt_cues_spread_their_words_and_drop_rolling_repeats(tmp_path):
    rolling = VTT + "\n00:00:02.000 --> 00:00:03.000\ndances today\nand sings\n"
    path = tmp_path / "captions.vtt"
    path.write_text(rolling)
    transcript = read_captions(path)
    assert transcript.text == "a white cockatoo dances today and sings"
    words = transcript.words
    assert words[0].start == 0.0 and words[2].end == pytest.approx(1.2)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(words, words[1:]))
    assert spread_words("", 0, 1) == ()


def test_broken_caption_file_is_a_clear_error(tmp_path):
    path = tmp_path / "captions.json3"
    path.write_text("{not json")
    with pytest.raises(Exception, match="captions.json3: is not a readable caption file"):
        read_captions(path)


def _ingest_defs(settings, server, **youtube):
    return build_definitions(
        settings,
        # A model path that does not exist: the test fails if ASR is ever attempted.
        transcriber=TranscriberResource(model=str(settings.data_dir / "no-such-model")),
        youtube=YouTubeResource(download_url_template=server.url + "watch/{id}", **youtube))


@pytest.mark.slow
def test_youtube_partition_downloads_and_transcribes_from_captions(server, settings):
    defs = _ingest_defs(settings, server)
    catalog = Catalog(settings.catalog_path)
    entry = catalog.register_youtube("abcdefghijk", "UCx", "Cockatoo", 1.7e9, 2.0)
    assert entry.video_id == "yt-abcdefghijk" and entry.source_kind == "youtube"
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(videos_partitions.name, [entry.video_id])
    result = dg.materialize([source_video, video_audio, video_transcript, transcript_chunks],
                            partition_key=entry.video_id, instance=instance,
                            resources=defs.resources)
    assert result.success
    source_meta = result.asset_materializations_for_node("source_video")[0].metadata
    assert source_meta["captions"].value == "captions.vtt"
    assert source_meta["resolution"].value == "320x180"
    meta = result.asset_materializations_for_node("video_transcript")[0].metadata
    assert meta["transcript_source"].value == "youtube_captions"
    assert meta["word_count"].value == 5  # "a white cockatoo dances today"
    stored = catalog.get(entry.video_id)
    assert len(stored.sha256) == 64 and stored.size_bytes > 0
    # Its chunks are searchable by its YouTube channel id.
    chunks_meta = result.asset_materializations_for_node("transcript_chunks")[0].metadata
    assert chunks_meta["channel"].value == "UCx"
    embedder = defs.resources["embedder"].embedder()
    vectors = defs.resources["vector_store"].store(embedder.name, embedder.dimension)
    hits = search_catalog("cockatoo", embedder, vectors, 3, SearchFilters(channel="UCx"))
    assert [h.video_id for h in hits] == [entry.video_id]
    assert search_catalog("cockatoo", embedder, vectors, 3, SearchFilters(channel="local")) == []
    # Re-running is cached: nothing is downloaded again.
    served = len(server.fake.requests)
    again = dg.materialize([source_video], partition_key=entry.video_id, instance=instance,
                           resources=defs.resources)
    assert again.asset_materializations_for_node("source_video")[0].metadata[
        "status"].value == "cached"
    assert len(server.fake.requests) == served


@pytest.mark.slow
def test_too_long_video_fails_only_its_partition_clearly(server, settings):
    defs = _ingest_defs(settings, server, max_duration_s=1.0)
    entry = Catalog(settings.catalog_path).register_youtube("abcdefghijk", "UCx", "Cockatoo")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(videos_partitions.name, [entry.video_id])
    result = dg.materialize([source_video], partition_key=entry.video_id, instance=instance,
                            resources=defs.resources, raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert "over the 1 s limit" in failure.description
    assert "PATTERN_PIVOT_YOUTUBE_MAX_DURATION_S" in failure.description
    assert not (settings.media_root / "source_video" / entry.video_id / "source.mp4").exists()


@pytest.mark.slow
def test_a_download_cut_short_fails_its_partition_and_stores_nothing(clip, settings, tmp_path):
    """A file with its index first, cut off: it probes as whole, so only reading its packets
    shows that the data is missing."""
    whole = tmp_path / "whole.mp4"
    ffmpeg("-i", str(clip), "-c", "copy", "-movflags", "+faststart", str(whole))
    data = whole.read_bytes()
    fake = FakeYouTube()
    fake.add_file("/media/cutcutcutcu.mp4", data[: len(data) * 6 // 10], "video/mp4")
    page = ('<html><head><title>Cut</title></head><body><video controls>'
            '<source src="/media/cutcutcutcu.mp4" type="video/mp4"></video></body></html>')
    fake.add_file("/watch/cutcutcutcu", page.encode(), "text/html")
    with FakeYouTubeServer(fake) as srv:
        defs = _ingest_defs(settings, srv)
        entry = Catalog(settings.catalog_path).register_youtube("cutcutcutcu", "UCx", "Cut")
        instance = dg.DagsterInstance.ephemeral()
        instance.add_dynamic_partitions(videos_partitions.name, [entry.video_id])
        result = dg.materialize([source_video], partition_key=entry.video_id,
                                instance=instance, resources=defs.resources,
                                raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert "cut off" in failure.description or "truncated" in failure.description, \
        failure.description
    assert not (settings.media_root / "source_video" / entry.video_id / "source.mp4").exists()
