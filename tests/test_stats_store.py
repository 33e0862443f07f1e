"""One contract for both stats backends: SQLite (embedded) and DynamoDB (boto3 over HTTP to
moto's server on 127.0.0.1)."""

import uuid
from datetime import datetime, timezone

import boto3
import pytest

from pattern_pivot.stats.config import open_stats_store
from pattern_pivot.stats.dynamodb_store import DynamoStatsStore
from pattern_pivot.stats.store import StatsStoreError, VideoStats
from pattern_pivot.stats.summary import summarise
from tests.stats_support import ThrottlingProxy, moto_dynamodb


@pytest.fixture(scope="module")
def moto_url():
    with moto_dynamodb() as url:
        yield url


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request, tmp_path, moto_url):
    store = open_stats_store(request.param, sqlite_path=str(tmp_path / "stats.sqlite"),
                             dynamodb_table=f"stats-{uuid.uuid4().hex[:8]}",
                             dynamodb_endpoint=moto_url)
    store.create()  # as `pattern-pivot stats create-table` does, once
    return store


def rows(day, fetched_at, views=100, ids=("yt-a", "yt-b", "yt-c")):
    return [VideoStats(video_id=v, snapshot_date=day, channel_id="UC1" if v != "yt-c" else "UC2",
                       views=views + i, likes=None if v == "yt-b" else 5, comments=1,
                       fetched_at=fetched_at, title=f"title {v}") for i, v in enumerate(ids)]


def test_rerunning_a_day_writes_no_duplicates(store):
    store.create()
    first = store.write_day("2026-11-01", rows("2026-11-01", 1000.0))
    assert (first.written, first.kept) == (3, 0)
    again = store.write_day("2026-11-01", rows("2026-11-01", 1000.0))
    assert (again.written, again.kept) == (0, 3)
    fresher = store.write_day("2026-11-01", rows("2026-11-01", 2000.0, views=500))
    assert fresher.written == 3
    day = store.day("2026-11-01")
    assert [r.video_id for r in day] == ["yt-a", "yt-b", "yt-c"]
    assert [r.views for r in day] == [500, 501, 502]
    assert day[1].likes is None and day[0].likes == 5  # hidden stays hidden, not 0
    assert store.is_complete("2026-11-01") and not store.is_complete("2026-11-02")


def test_an_older_rerun_never_overwrites_fresher_numbers(store):
    store.write_day("2026-11-01", rows("2026-11-01", 2000.0, views=900))
    summary = store.write_day("2026-11-01", rows("2026-11-01", 1000.0, views=1))
    assert summary.kept == 3
    assert store.day("2026-11-01")[0].views == 900


def test_latest_history_and_channel_index(store):
    for n, day in enumerate(["2026-11-01", "2026-11-02", "2026-11-03"]):
        store.write_day(day, rows(day, 1000.0 + n, views=100 * (n + 1)))
    latest = store.latest(["yt-a", "yt-c", "yt-missing"])
    assert set(latest) == {"yt-a", "yt-c"}
    assert latest["yt-a"].snapshot_date == "2026-11-03" and latest["yt-a"].views == 300
    # yt-b is gone from the newest day: its latest snapshot is still found, a day older.
    store.write_day("2026-11-04", rows("2026-11-04", 2000.0, views=900, ids=("yt-a",)))
    latest = store.latest(["yt-a", "yt-b"])
    assert latest["yt-a"].snapshot_date == "2026-11-04" and latest["yt-a"].views == 900
    assert latest["yt-b"].snapshot_date == "2026-11-03"
    assert [r.snapshot_date for r in store.history("yt-c")] == [
        "2026-11-01", "2026-11-02", "2026-11-03"]
    channel = store.channel_history("UC1")
    assert len(channel) == 7 and {r.video_id for r in channel} == {"yt-a", "yt-b"}
    assert [r.snapshot_date for r in channel] == sorted(r.snapshot_date for r in channel)


def at(day: str, hour: float) -> float:
    """Unix seconds of ``hour`` o'clock UTC on ``day``."""
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp() + hour * 3600


def test_growth_comes_only_from_days_read_on_their_own_day(store):
    store.write_day("2026-11-01", rows("2026-11-01", at("2026-11-01", 23.5), views=100))
    store.write_day("2026-11-03", rows("2026-11-03", at("2026-11-03", 23.5), views=700))
    # A backfill of the 2nd, run on the 3rd: YouTube gives the 3rd's numbers.
    store.write_day("2026-11-02", rows("2026-11-02", at("2026-11-03", 23.9), views=700))
    history = store.channel_history("UC1")
    assert {(r.snapshot_date, r.fetched_on_day) for r in history} == {
        ("2026-11-01", True), ("2026-11-02", False), ("2026-11-03", True)}
    summary = summarise("UC1", history)
    assert summary.days == ("2026-11-01", "2026-11-03")
    assert summary.total_views == (201, 1401)  # yt-a and yt-b (yt-c is another channel)
    assert summary.growth_per_day == (600.0,)  # 1,200 views over two days, not all on one
    assert summary.skipped_days == (("2026-11-02", "backfilled: numbers read on 2026-11-03"),)
    assert {t.video_id: t.views_per_day for t in summary.top} == {"yt-a": 300.0, "yt-b": 300.0}


def test_a_backfill_never_replaces_numbers_read_on_their_day(store):
    store.write_day("2026-11-01", rows("2026-11-01", at("2026-11-01", 23.5), views=100))
    later = store.write_day("2026-11-01", rows("2026-11-01", at("2026-11-04", 9), views=999))
    assert (later.written, later.kept) == (0, 3)
    assert [r.views for r in store.day("2026-11-01")] == [100, 101, 102]
    assert store.is_complete("2026-11-01")
    # A re-run on the day itself still brings fresher numbers, a few minutes past midnight too.
    again = store.write_day("2026-11-01", rows("2026-11-01", at("2026-11-02", 0.2), views=150))
    assert again.written == 3 and store.day("2026-11-01")[0].views == 150
    # A backfilled day takes fresher backfilled numbers, and gives way to its own day's.
    store.write_day("2026-11-02", rows("2026-11-02", at("2026-11-04", 9), views=800))
    assert store.write_day("2026-11-02", rows("2026-11-02", at("2026-11-05", 9),
                                              views=900)).written == 3
    own = store.write_day("2026-11-02", rows("2026-11-02", at("2026-11-02", 23.5), views=400))
    assert own.written == 3 and store.day("2026-11-02")[0].fetched_on_day


def test_bad_day_and_unknown_backend_are_clear(store, tmp_path):
    with pytest.raises(StatsStoreError, match="not YYYY-MM-DD"):
        store.write_day("yesterday", [])
    with pytest.raises(StatsStoreError, match="PATTERN_PIVOT_STATS_BACKEND.*mongo"):
        open_stats_store("mongo", str(tmp_path / "x"), "t")


def test_dynamodb_table_design(moto_url):
    store = DynamoStatsStore("design-check", endpoint_url=moto_url)
    assert store.create() is True and store.create() is False
    table = boto3.client("dynamodb", endpoint_url=moto_url).describe_table(
        TableName="design-check")["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "video_id": "HASH", "snapshot_date": "RANGE"}
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by_channel"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["channel_id", "snapshot_date"]


def test_dynamodb_store_on_an_existing_table_never_calls_create_table(moto_url):
    """A least-privilege role may read and write items, not create tables."""
    DynamoStatsStore("least-privilege", endpoint_url=moto_url).create()
    with ThrottlingProxy(moto_url, deny={"CreateTable"}) as proxy:
        store = DynamoStatsStore("least-privilege", endpoint_url=proxy.url)
        assert store.write_day("2026-11-01", rows("2026-11-01", 1.0)).written == 3
        assert store.is_complete("2026-11-01") and len(store.day("2026-11-01")) == 3
        assert set(store.latest(["yt-a", "yt-c"])) == {"yt-a", "yt-c"}
        assert len(DynamoStatsStore("least-privilege", endpoint_url=proxy.url)
                   .channel_history("UC1")) == 2
        assert store.create() is False  # create-table on an existing table: DescribeTable only
    assert "PutItem" in proxy.operations and "CreateTable" not in proxy.operations


def test_dynamodb_missing_table_says_to_create_it(moto_url):
    store = DynamoStatsStore("never-created", endpoint_url=moto_url)
    for read_or_write in (lambda: store.write_day("2026-11-01", rows("2026-11-01", 1.0)),
                          lambda: store.latest(["yt-a"])):
        with pytest.raises(StatsStoreError, match="table 'never-created' at .*: does not exist."
                           " Fix: run `pattern-pivot stats create-table`"):
            read_or_write()
    names = boto3.client("dynamodb", endpoint_url=moto_url).list_tables()["TableNames"]
    assert "never-created" not in names  # nothing created behind the operator's back


def test_dynamodb_throttling_is_retried_then_reported_clearly(moto_url):
    with ThrottlingProxy(moto_url, throttle_puts=2) as proxy:
        store = DynamoStatsStore("throttled", endpoint_url=proxy.url, max_attempts=4)
        store.create()
        assert store.write_day("2026-11-01", rows("2026-11-01", 1.0)).written == 3
        assert proxy.throttled == 2  # botocore retried them with backoff
        proxy.throttle_puts = 10**6
        store = DynamoStatsStore("throttled", endpoint_url=proxy.url, max_attempts=2)
        with pytest.raises(StatsStoreError, match="throttled.*ProvisionedThroughputExceeded.*"
                           "Fix: switch the table to on-demand"):
            store.write_day("2026-11-02", rows("2026-11-02", 2.0))
    # No marker: the half-attempted day is not complete, and a re-run completes it.
    direct = DynamoStatsStore("throttled", endpoint_url=moto_url)
    assert not direct.is_complete("2026-11-02")
    direct.write_day("2026-11-02", rows("2026-11-02", 2.0))
    assert direct.is_complete("2026-11-02") and len(direct.day("2026-11-02")) == 3


def test_sqlite_foreign_file_is_a_stats_store_error(tmp_path):
    """Every SQLite failure is a StatsStoreError: optional readers (the remix) rely on it."""
    import sqlite3

    foreign = tmp_path / "stats.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE video_stats (video_id TEXT)")  # another tool's table
    conn.close()
    with pytest.raises(StatsStoreError, match="stats.sqlite: failed reading .*no such column.*"
                       "Fix: check PATTERN_PIVOT_STATS_DB"):
        open_stats_store("sqlite", str(foreign), "t").latest(["yt-a"])


def test_dynamodb_unreachable_is_a_clear_error():
    store = DynamoStatsStore("nope", endpoint_url="http://127.0.0.1:9", max_attempts=1)
    with pytest.raises(StatsStoreError, match="'nope' at http://127.0.0.1:9.*Fix"):
        store.write_day("2026-11-01", [])


def test_stats_days_begin_the_day_the_catalog_began(tmp_path, monkeypatch):
    import sqlite3
    import time
    from contextlib import closing

    from pattern_pivot.catalog import Catalog
    from pattern_pivot.stats.days import STATS_START_ENV, stats_start_day
    from tests.conftest import JFK

    monkeypatch.delenv(STATS_START_ENV, raising=False)
    path = tmp_path / "catalog.sqlite"
    now = time.mktime((2026, 12, 1, 12, 0, 0, 0, 0, 0))
    assert stats_start_day(path, now=now) == "2026-12-01"  # no catalog yet: today
    assert not path.exists()  # asking never creates one
    # A catalog from before it recorded its start: its first local file's day counts.
    catalog = Catalog(path)
    catalog.register_file(JFK)
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DROP TABLE catalog_info")
        conn.execute("UPDATE videos SET added_at = ?", (now - 40 * 86400,))
    catalog.entries()  # any later use records it
    assert stats_start_day(path) == "2026-10-22"
    catalog.register_file(JFK)  # later registrations never move it
    assert stats_start_day(path) == "2026-10-22"
    monkeypatch.setenv(STATS_START_ENV, "2026-03-01")  # set by hand
    assert stats_start_day(path) == "2026-03-01"
    monkeypatch.setenv(STATS_START_ENV, "March")  # unusable: the catalog's day
    assert stats_start_day(path) == "2026-10-22"
