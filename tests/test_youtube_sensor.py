"""The new-upload sensor: yt- partitions next to file- ones, a capped first look, a cursor
that never moves past a failed read, and a clear skip when YouTube is not configured."""

import json

import dagster as dg
import pytest

from assets.partitions import videos_partitions
from pattern_pivot.catalog import Catalog
from pattern_pivot.youtube.api import API_ENDPOINT_ENV
from pattern_pivot.youtube.errors import YouTubeQuotaError
from resources import CatalogResource, YouTubeResource
from sensors.youtube_uploads import MAX_NEW_UPLOADS_PER_TICK, build_youtube_uploads_sensor
from tests.conftest import JFK
from tests.youtube_support import API_KEY, FakeYouTube, FakeYouTubeServer, video_item

CHANNEL = "UCsensorchannel000000001"
SENSOR = build_youtube_uploads_sensor(running=True)


def ids(n, start=0):
    return [f"up{i:09d}" for i in range(start, start + n)]


@pytest.fixture
def server(monkeypatch):
    fake = FakeYouTube()
    # 25 uploads, newest first; id up000000000 is the newest.
    fake.add_channel(CHANNEL, "@sensor", [video_item(i, CHANNEL, f"Upload {i}")
                                          for i in ids(25)])
    fake.videos["up000000003"]["status"]["privacyStatus"] = "private"
    del fake.videos["up000000004"]  # listed in the playlist but deleted
    with FakeYouTubeServer(fake) as srv:
        monkeypatch.setenv(API_ENDPOINT_ENV, srv.url)
        yield srv


def evaluate(instance, settings, server, cursor=None, channels=("@sensor",), key=API_KEY):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor,
        resources={"youtube": YouTubeResource(api_key=key, channels=list(channels)),
                   "catalog": CatalogResource(path=str(settings.catalog_path),
                                              watch_dir=str(settings.watch_dir))})
    return SENSOR(context)


def apply(instance, result):
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))


def test_first_look_is_capped_then_the_backlog_follows(settings, server):
    instance = dg.DagsterInstance.ephemeral()
    local = Catalog(settings.catalog_path).register_file(JFK).video_id
    instance.add_dynamic_partitions(videos_partitions.name, [local])
    first = evaluate(instance, settings, server)
    keys = [r.partition_key for r in first.run_requests]
    assert len(keys) == MAX_NEW_UPLOADS_PER_TICK - 1  # 20 listed, one of them deleted
    assert keys[0] == "yt-up000000000" and "yt-up000000004" not in keys
    assert all(k.startswith("yt-") for k in keys)
    assert first.run_requests[0].tags["pattern_pivot/sensor_quota_units"] == "3"
    apply(instance, first)
    second = evaluate(instance, settings, server, cursor=first.cursor)
    assert [r.partition_key for r in second.run_requests] == [f"yt-{i}" for i in ids(5, 20)]
    apply(instance, second)
    partitions = set(instance.get_dynamic_partitions(videos_partitions.name))
    assert local in partitions and len(partitions) == 1 + 24  # file- and yt- side by side
    third = evaluate(instance, settings, server, cursor=second.cursor)
    assert not third.run_requests and "no new uploads" in third.skip_reason.skip_message
    assert json.loads(third.cursor)[CHANNEL]["complete"] is True
    entry = Catalog(settings.catalog_path).youtube_entry("yt-up000000007")
    assert entry.channel_id == CHANNEL and entry.duration_s == 125.0


def test_a_new_upload_costs_one_page(settings, server):
    instance = dg.DagsterInstance.ephemeral()
    cursor = None
    for _ in range(2):
        result = evaluate(instance, settings, server, cursor=cursor)
        cursor = result.cursor
    server.fake.uploads[CHANNEL].insert(0, "brandnew001")
    server.fake.videos["brandnew001"] = video_item("brandnew001", CHANNEL, "New")
    server.fake.requests.clear()
    result = evaluate(instance, settings, server, cursor=cursor)
    assert [r.partition_key for r in result.run_requests] == ["yt-brandnew001"]
    assert server.fake.requests == ["channels", "playlistItems", "videos"]


def test_quota_exceeded_fails_the_tick_and_keeps_the_cursor(settings, server):
    instance = dg.DagsterInstance.ephemeral()
    server.fake.quota_exceeded = True
    with pytest.raises(YouTubeQuotaError, match="quota"):
        evaluate(instance, settings, server, cursor='{"kept": {"seen": [], "complete": true}}')
    assert Catalog(settings.catalog_path).youtube_entries() == []


def test_unknown_channel_is_skipped_and_others_continue(settings, server):
    result = evaluate(dg.DagsterInstance.ephemeral(), settings, server,
                      channels=("@nobody", "@sensor"))
    assert len(result.run_requests) == MAX_NEW_UPLOADS_PER_TICK - 1


def test_the_cap_is_shared_between_channels(settings, server):
    other = "UCsensorchannel000000002"
    server.fake.add_channel(other, "@other", [video_item(f"ot{i:09d}", other, f"Other {i}")
                                              for i in range(30)])
    result = evaluate(dg.DagsterInstance.ephemeral(), settings, server,
                      channels=("@sensor", "@other"))
    keys = [r.partition_key for r in result.run_requests]
    assert sum(k.startswith("yt-up") for k in keys) == 9  # 10 listed, one deleted
    assert sum(k.startswith("yt-ot") for k in keys) == 10


def test_not_configured_is_a_clear_skip(settings, server):
    result = evaluate(dg.DagsterInstance.ephemeral(), settings, server, key="")
    assert "PATTERN_PIVOT_YOUTUBE_API_KEY" in result.skip_message


def test_an_existing_catalog_gains_youtube_entries(tmp_path):
    """Catalogs made before YouTube support keep working: the details live in a sibling
    table created on first use."""
    import sqlite3

    path = tmp_path / "catalog.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE videos (video_id TEXT PRIMARY KEY, source_kind TEXT NOT NULL,"
            " source_uri TEXT NOT NULL, title TEXT NOT NULL, sha256 TEXT NOT NULL,"
            " size_bytes INTEGER NOT NULL, added_at REAL NOT NULL)")
        conn.execute("INSERT INTO videos VALUES ('file-0123456789abcdef', 'file', '/x.mp4',"
                     " 'x', 'ab', 1, 1.0)")
    catalog = Catalog(path)
    catalog.register_youtube("dQw4w9WgXcQ", CHANNEL, "Song", 1.7e9, 213.0)
    assert [e.video_id for e in catalog.entries()] == ["file-0123456789abcdef",
                                                       "yt-dQw4w9WgXcQ"]
    assert catalog.youtube_entry("file-0123456789abcdef") is None
    assert catalog.get("yt-dQw4w9WgXcQ").source_uri.endswith("watch?v=dQw4w9WgXcQ")
