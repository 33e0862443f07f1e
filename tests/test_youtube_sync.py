"""`youtube sync`'s memory between runs: a steady-state sync reads one uploads page per
channel, a capped backlog still follows, against the fake Data API through the real client."""

import logging

import pytest

from pattern_pivot.catalog import Catalog
from pattern_pivot.youtube.api import YouTubeClient
from pattern_pivot.youtube.errors import YouTubeUnreachableError
from pattern_pivot.youtube.sync import STATE_NAME, sync_uploads
from tests.youtube_support import (
    API_KEY,
    FakeYouTube,
    FakeYouTubeServer,
    closed_port_url,
    video_item,
)

CHANNEL = "UCsyncchannel00000000001"


def upload(n: int) -> dict:
    return video_item(f"sync{n:07d}", CHANNEL, f"Upload {n}")


@pytest.fixture
def server():
    fake = FakeYouTube(page_size=3)
    fake.add_channel(CHANNEL, "@sync", [upload(n) for n in range(10, 0, -1)])  # newest first
    with FakeYouTubeServer(fake) as srv:
        yield srv


def sync(server, catalog, state, limit=50):
    client = YouTubeClient(API_KEY, api_endpoint=server.url, sleep=lambda s: None)
    server.fake.requests.clear()
    scan, keys = sync_uploads(client, catalog, ["@sync"], limit, state)
    return keys, server.fake.requests.count("playlistItems"), client.meter.total


def publish(server, n: int) -> None:
    server.fake.videos[f"sync{n:07d}"] = upload(n)
    server.fake.uploads[CHANNEL].insert(0, f"sync{n:07d}")


def test_a_steady_state_sync_reads_one_uploads_page(settings, server):
    catalog = Catalog(settings.catalog_path)
    state = settings.catalog_path.with_name(STATE_NAME)
    keys, pages, _ = sync(server, catalog, state)
    assert len(keys) == 10 and pages == 4  # the first sync walks all 10 uploads
    publish(server, 11)
    keys, pages, units = sync(server, catalog, state)
    assert keys == ["yt-sync0000011"]
    assert pages == 1 and units == 3  # channels + one playlist page + videos
    keys, pages, units = sync(server, catalog, state)
    assert keys == [] and pages == 1 and units == 2


def test_a_capped_backlog_is_followed_over_several_syncs(settings, server):
    catalog = Catalog(settings.catalog_path)
    state = settings.catalog_path.with_name(STATE_NAME)
    got = [sync(server, catalog, state, limit=4)[0] for _ in range(3)]
    assert [len(k) for k in got] == [4, 4, 2]
    assert got[0][0] == "yt-sync0000010" and got[2][-1] == "yt-sync0000001"  # newest first
    assert len({e.video_id for e in catalog.youtube_entries()}) == 10
    assert sync(server, catalog, state)[:2] == ([], 1)  # now complete: one page


def test_a_lost_or_broken_state_costs_one_full_walk(settings, server, caplog):
    catalog = Catalog(settings.catalog_path)
    state = settings.catalog_path.with_name(STATE_NAME)
    sync(server, catalog, state)
    state.write_text("{not json", encoding="utf-8")
    publish(server, 11)
    with caplog.at_level(logging.WARNING):
        keys, pages, _ = sync(server, catalog, state)
    assert keys == ["yt-sync0000011"] and pages == 4  # rebuilt from the catalog, no duplicates
    assert f"{state} is unreadable" in caplog.text
    assert sync(server, catalog, state)[:2] == ([], 1)


def test_an_unreachable_endpoint_stops_the_sync_and_keeps_the_state(settings):
    state = settings.catalog_path.with_name(STATE_NAME)
    client = YouTubeClient(API_KEY, api_endpoint=closed_port_url(), sleep=lambda s: None)
    with pytest.raises(YouTubeUnreachableError, match="could not be reached"):
        sync_uploads(client, Catalog(settings.catalog_path), ["@sync", "@other"], 50, state)
    assert not state.exists()
