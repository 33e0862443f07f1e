"""The YouTube client, through the real google-api-python-client, against a local server
speaking the Data API's response shapes."""

import pytest

from pattern_pivot.youtube.api import YouTubeClient
from pattern_pivot.youtube.errors import YouTubeAuthError, YouTubeError, YouTubeQuotaError
from pattern_pivot.youtube.types import catalog_id, parse_duration
from tests.youtube_support import (
    API_KEY,
    FakeYouTube,
    FakeYouTubeServer,
    closed_port_url,
    hang_up_server,
    video_item,
)

CHANNEL = "UCtestchannel000000000001"


def make_fake(count: int = 7) -> FakeYouTube:
    fake = FakeYouTube(page_size=3)
    fake.add_channel(CHANNEL, "@tester", [
        video_item(f"vid{i:08d}", CHANNEL, f"Video {i}", views=1000 * i) for i in range(count)])
    return fake


@pytest.fixture
def server():
    with FakeYouTubeServer(make_fake()) as srv:
        yield srv


def client(server, **kwargs) -> YouTubeClient:
    return YouTubeClient(API_KEY, api_endpoint=server.url, sleep=lambda s: None, **kwargs)


def test_resolves_handle_and_walks_uploads_page_by_page(server):
    yt = client(server)
    channel = yt.resolve_channel("@tester")
    assert channel.channel_id == CHANNEL and channel.uploads_playlist_id.startswith("UU")
    assert yt.resolve_channel(CHANNEL) == channel
    pages = list(yt.upload_pages(channel))
    assert [len(p) for p in pages] == [3, 3, 1]  # nextPageToken followed to the end
    ids = [i for p in pages for i in p]
    videos, missing = yt.videos(ids)
    assert missing == [] and [v.youtube_id for v in videos] == ids
    assert videos[2].views == 2000 and videos[2].duration_s == 125.0
    assert videos[2].video_id == "yt-vid00000002"
    # 2 channels.list + 3 playlistItems pages + 1 videos.list: quota counted per call.
    assert yt.meter.total == 6 and yt.meter.calls["playlistItems.list"] == 3


def test_videos_are_fetched_fifty_per_call():
    with FakeYouTubeServer(make_fake(120)) as srv:
        yt = client(srv)
        videos, missing = yt.videos([f"vid{i:08d}" for i in range(120)])
    assert len(videos) == 120 and not missing
    assert yt.meter.calls["videos.list"] == 3


def test_deleted_or_private_video_comes_back_missing(server):
    yt = client(server)
    videos, missing = yt.videos(["vid00000001", "gone0000000"])
    assert [v.youtube_id for v in videos] == ["vid00000001"] and missing == ["gone0000000"]


def test_hidden_statistics_are_none_not_zero(server):
    server.fake.videos["vid00000003"] = video_item("vid00000003", CHANNEL, "hidden",
                                                   views=None, likes=None, comments=None)
    (video,), _ = client(server).videos(["vid00000003"])
    assert video.views is None and video.likes is None and video.comments is None


def test_unknown_channel_is_a_clear_error(server):
    with pytest.raises(YouTubeError, match="@nobody.*does not exist.*Fix"):
        client(server).resolve_channel("@nobody")


def test_quota_exceeded_fails_clearly_without_retrying(server):
    server.fake.quota_exceeded = True
    yt = client(server)
    with pytest.raises(YouTubeQuotaError, match="quota.*exhausted.*Fix: wait for the daily"):
        yt.resolve_channel("@tester")
    assert yt.meter.calls["channels.list"] == 1


def test_invalid_key_fails_clearly():
    with FakeYouTubeServer(make_fake()) as srv:
        yt = YouTubeClient("wrong-key", api_endpoint=srv.url)
        with pytest.raises(YouTubeAuthError, match="PATTERN_PIVOT_YOUTUBE_API_KEY.*refused"):
            yt.resolve_channel("@tester")
    with pytest.raises(YouTubeAuthError, match="is not set"):
        YouTubeClient("")


def test_the_key_never_reaches_errors_or_debug_logs(server, caplog):
    import logging

    server.fake.quota_exceeded = True
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(YouTubeQuotaError) as failure:
            client(server).resolve_channel("@tester")
    assert API_KEY not in str(failure.value) and API_KEY not in caplog.text


def test_unreachable_endpoint_names_it_and_the_fix_without_the_key(caplog):
    import logging

    url, delays = closed_port_url(), []
    yt = YouTubeClient(API_KEY, api_endpoint=url, sleep=delays.append)
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(YouTubeError) as failure:
            yt.videos(["vid00000001"])
    message = str(failure.value)
    assert message.startswith(f"YouTube Data API at {url}: could not be reached")
    assert "connection refused" in message
    assert "Fix: check PATTERN_PIVOT_YOUTUBE_API_ENDPOINT" in message
    assert failure.value.__suppress_context__  # no ConnectionRefusedError traceback behind it
    assert delays == []  # a closed port is a setting to fix, not a blip to retry
    assert API_KEY not in message and API_KEY not in caplog.text


def test_dropped_connections_are_retried_then_reported_clearly():
    delays = []
    with hang_up_server() as url:
        yt = YouTubeClient(API_KEY, api_endpoint=url, sleep=delays.append, max_retries=2)
        with pytest.raises(YouTubeError, match=f"at {url}: could not be reached .*closed the "
                           "connection without answering.*Fix: check"):
            yt.resolve_channel("@tester")
    assert len(delays) == 2  # a dropped connection may be a blip: retried with backoff


def test_server_errors_are_retried_with_backoff(server):
    server.fake.fail_next = [503, 500]
    delays = []
    yt = YouTubeClient(API_KEY, api_endpoint=server.url, sleep=delays.append)
    assert yt.resolve_channel("@tester").channel_id == CHANNEL
    assert len(delays) == 2 and delays[1] > delays[0] * 0.9 / 2  # growing, jittered
    assert yt.meter.calls["channels.list"] == 3  # failed attempts cost quota too


def test_server_errors_give_up_with_a_clear_error(server):
    server.fake.fail_next = [503] * 10
    with pytest.raises(YouTubeError, match="kept failing with HTTP 503 after 3 attempts"):
        client(server, max_retries=2).resolve_channel("@tester")


def test_missing_playlist_404_and_malformed_json_are_clear_errors(server):
    yt = client(server)
    channel = yt.resolve_channel("@tester")
    server.fake.uploads.clear()
    with pytest.raises(YouTubeError, match="playlistNotFound"):
        list(yt.upload_pages(channel))
    server.fake.malformed_next = 1
    with pytest.raises(YouTubeError, match="malformed JSON"):
        yt.videos(["vid00000001"])


def test_ids_and_durations():
    assert catalog_id("dQw4w9WgXcQ") == "yt-dQw4w9WgXcQ"
    with pytest.raises(ValueError):
        catalog_id("../etc")
    assert parse_duration("PT1H2M3S") == 3723 and parse_duration("P1DT2S") == 86402
    assert parse_duration("garbage") is None
