"""video_stats and channel_summary on the real Definitions: YouTube numbers through the
fake Data API, both stats backends, recorded skips, failures that write nothing, and a
3-day backfill through the real `dagster` CLI."""

import logging
import os
import re
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from assets.channel import channel_summary
from assets.partitions import remixes_partitions
from assets.remix import remix_plan
from pattern_pivot.catalog import Catalog
from pattern_pivot.definitions import build_definitions
from pattern_pivot.remix.request import parse_request
from pattern_pivot.remix.store import RemixStore
from pattern_pivot.remix.types import PLAN_ASSET, EditPlan
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.stats.sqlite_store import SqliteStatsStore
from pattern_pivot.youtube.api import API_ENDPOINT_ENV
from resources import StatsStoreResource, TranscriberResource, YouTubeResource
from tests.conftest import JFK, make_settings
from tests.remix_support import build_catalog
from tests.stats_support import ThrottlingProxy, moto_dynamodb
from tests.youtube_support import (
    API_KEY,
    FakeYouTube,
    FakeYouTubeServer,
    closed_port_url,
    video_item,
)

REPO = Path(__file__).resolve().parents[1]
CHANNEL = "UCstatschannel0000000001"


def channel_fake() -> FakeYouTube:
    fake = FakeYouTube()
    fake.add_channel(CHANNEL, "@stats", [
        video_item("popular0001", CHANNEL, "Popular", views=5000, likes=300, comments=40),
        video_item("quiet000001", CHANNEL, "Quiet", views=120, likes=4, comments=0),
        video_item("hidden00001", CHANNEL, "Hidden", views=80, likes=None, comments=None),
    ])
    return fake


@pytest.fixture
def server(monkeypatch):
    with FakeYouTubeServer(channel_fake()) as srv:
        # The only way to point the key somewhere: the environment.
        monkeypatch.setenv(API_ENDPOINT_ENV, srv.url)
        yield srv


@pytest.fixture(scope="module")
def moto_url():
    with moto_dynamodb() as url:
        yield url


@pytest.fixture
def stats_resource(request, settings, moto_url, monkeypatch) -> StatsStoreResource:
    if getattr(request, "param", "sqlite") == "dynamodb":
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.setenv(key, "testing")
        resource = StatsStoreResource(backend="dynamodb", dynamodb_endpoint=moto_url,
                                      dynamodb_table=f"stats-{uuid.uuid4().hex[:8]}")
        resource.store().create()  # `pattern-pivot stats create-table`, once
        return resource
    return StatsStoreResource(sqlite_path=str(settings.data_dir / "stats.sqlite"))


def register_catalog(catalog: Catalog) -> None:
    catalog.register_file(JFK)  # a local file: no public stats, recorded as skipped
    for yid, title in (("popular0001", "Popular"), ("quiet000001", "Quiet"),
                       ("hidden00001", "Hidden"), ("deleted0001", "Deleted since")):
        catalog.register_youtube(yid, CHANNEL, title, 1.7e9, 60.0)


def run_stats(defs, instance, day):
    return defs.resolve_job_def("video_stats_job").execute_in_process(
        partition_key=day, instance=instance, raise_on_error=False)


def make_defs(settings, server, stats_resource):
    return build_definitions(settings, transcriber=TranscriberResource(model="tiny.en"),
                             youtube=YouTubeResource(api_key=API_KEY),
                             stats_store=stats_resource)


@pytest.mark.parametrize("stats_resource", ["sqlite", "dynamodb"], indirect=True)
def test_a_day_snapshots_youtube_videos_and_records_skips(settings, server, stats_resource):
    register_catalog(Catalog(settings.catalog_path))
    defs = make_defs(settings, server, stats_resource)
    instance = dg.DagsterInstance.ephemeral()
    result = run_stats(defs, instance, "2026-11-01")
    assert result.success
    meta = result.asset_materializations_for_node("video_stats")[0].metadata
    assert meta["videos"].value == 3 and meta["skipped"].value == 2
    skipped = meta["skipped_videos"].value
    assert "local file: no public statistics" in skipped
    assert "yt-deleted0001`: deleted or private" in skipped
    assert meta["hidden_counts"].value == 1
    assert meta["quota_units"].value == 1  # four ids in one videos.list call
    store = stats_resource.store()
    day = {r.video_id: r for r in store.day("2026-11-01")}
    assert set(day) == {"yt-popular0001", "yt-quiet000001", "yt-hidden00001"}
    assert day["yt-hidden00001"].views == 80 and day["yt-hidden00001"].likes is None
    assert day["yt-popular0001"].channel_id == CHANNEL and store.is_complete("2026-11-01")
    # Re-running the day replaces its rows with fresher numbers: no duplicates.
    server.fake.videos["popular0001"]["statistics"]["viewCount"] = "5100"
    assert run_stats(defs, instance, "2026-11-01").success
    day = store.day("2026-11-01")
    assert len(day) == 3 and {r.video_id: r.views for r in day}["yt-popular0001"] == 5100
    assert store.latest(["yt-popular0001"])["yt-popular0001"].views == 5100


@pytest.mark.parametrize("problem", ["quota", "malformed", "no_key"])
def test_api_failures_fail_the_day_clearly_and_write_nothing(settings, server, stats_resource,
                                                             problem):
    register_catalog(Catalog(settings.catalog_path))
    youtube = YouTubeResource(api_key="" if problem == "no_key" else API_KEY)
    defs = build_definitions(settings, youtube=youtube, stats_store=stats_resource)
    server.fake.quota_exceeded = problem == "quota"
    server.fake.malformed_next = int(problem == "malformed")
    result = run_stats(defs, dg.DagsterInstance.ephemeral(), "2026-11-02")
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    expected = {"quota": "quota.*exhausted", "malformed": "malformed JSON",
                "no_key": "PATTERN_PIVOT_YOUTUBE_API_KEY: is not set"}[problem]
    assert re.search(expected, failure.description), failure.description
    store = stats_resource.store()
    assert store.day("2026-11-02") == [] and not store.is_complete("2026-11-02")


def test_unreachable_youtube_fails_the_day_naming_the_endpoint_never_the_key(
        settings, stats_resource, monkeypatch, caplog):
    register_catalog(Catalog(settings.catalog_path))
    url = closed_port_url()
    monkeypatch.setenv(API_ENDPOINT_ENV, url)
    defs = build_definitions(settings, youtube=YouTubeResource(api_key=API_KEY),
                             stats_store=stats_resource)
    result = run_stats(defs, dg.DagsterInstance.ephemeral(), "2026-11-06")
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data
    assert failure.user_failure_data.description.startswith(
        f"YouTube Data API at {url}: could not be reached")
    assert "Fix: check PATTERN_PIVOT_YOUTUBE_API_ENDPOINT" in failure.user_failure_data.description
    assert "ConnectionRefusedError" not in failure.error.to_string()  # no raw traceback
    logged = "\n".join(str(e) for e in result.all_events) + caplog.text
    assert API_KEY not in logged
    assert not stats_resource.store().is_complete("2026-11-06")


@pytest.mark.slow
def test_run_config_cannot_send_the_key_to_another_endpoint(settings, server, stats_resource,
                                                             monkeypatch):
    """Run config can change resource fields per run (and read any env var); the endpoint
    is not one of them, so the key only ever goes where the environment points."""
    monkeypatch.setenv("PATTERN_PIVOT_YOUTUBE_API_KEY", API_KEY)
    register_catalog(Catalog(settings.catalog_path))
    defs = make_defs(settings, server, stats_resource)
    with FakeYouTubeServer(channel_fake()) as elsewhere:
        attempt = {"resources": {"youtube": {"config": {
            "api_endpoint": elsewhere.url,
            "api_key": {"env": "PATTERN_PIVOT_YOUTUBE_API_KEY"}}}}}
        with pytest.raises(dg.DagsterInvalidConfigError, match="api_endpoint"):
            defs.resolve_job_def("video_stats_job").execute_in_process(
                partition_key="2026-11-07", run_config=attempt,
                instance=dg.DagsterInstance.ephemeral())
        assert elsewhere.fake.requests == []
    # The same key, set per run, still only reaches the environment's endpoint.
    allowed = {"resources": {"youtube": {"config": {
        "api_key": {"env": "PATTERN_PIVOT_YOUTUBE_API_KEY"}}}}}
    assert defs.resolve_job_def("video_stats_job").execute_in_process(
        partition_key="2026-11-07", run_config=allowed,
        instance=dg.DagsterInstance.ephemeral()).success
    assert server.fake.requests == ["videos"]


def test_dynamodb_throttling_fails_the_day_clearly_and_a_rerun_completes_it(
        settings, server, moto_url, monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    register_catalog(Catalog(settings.catalog_path))
    instance = dg.DagsterInstance.ephemeral()
    table = f"stats-{uuid.uuid4().hex[:8]}"
    direct = StatsStoreResource(backend="dynamodb", dynamodb_endpoint=moto_url,
                                dynamodb_table=table)
    direct.store().create()
    with ThrottlingProxy(moto_url, throttle_puts=10**6) as proxy:
        throttled = StatsStoreResource(backend="dynamodb", dynamodb_endpoint=proxy.url,
                                       dynamodb_table=table, max_attempts=2)
        result = run_stats(make_defs(settings, server, throttled), instance, "2026-11-05")
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert "throttled" in failure.description and "re-run the day" in failure.description
    assert not direct.store().is_complete("2026-11-05")
    assert run_stats(make_defs(settings, server, direct), instance, "2026-11-05").success
    assert direct.store().is_complete("2026-11-05") and len(direct.store().day("2026-11-05")) == 3


def test_local_only_catalog_needs_no_key(settings, stats_resource, server):
    Catalog(settings.catalog_path).register_file(JFK)
    defs = build_definitions(settings, youtube=YouTubeResource(), stats_store=stats_resource)
    result = run_stats(defs, dg.DagsterInstance.ephemeral(), "2026-11-03")
    assert result.success
    meta = result.asset_materializations_for_node("video_stats")[0].metadata
    assert meta["skipped"].value == 1 and meta["quota_units"].value == 0
    assert "local files" in meta["outcome"].value and "no public statistics" in \
        meta["outcome"].value
    assert stats_resource.store().is_complete("2026-11-03")
    # The daily job refreshes the summary too: it is never left unbuilt.
    assert result.asset_materializations_for_node("channel_summary")


@pytest.mark.slow
def test_channel_summary_ranks_videos_and_charts_growth(settings, server, stats_resource):
    register_catalog(Catalog(settings.catalog_path))
    defs = make_defs(settings, server, stats_resource)
    instance = dg.DagsterInstance.ephemeral()
    # A run of the asset stores today's numbers whatever its day (a backfill, here)...
    assert run_stats(defs, instance, "2026-11-03").success
    store = stats_resource.store()
    backfilled = store.day("2026-11-03")
    read_on = datetime.fromtimestamp(backfilled[0].fetched_at, timezone.utc).date()
    # ...while the daily schedule reads each day on the day: 23:30 UTC, as its snapshot.
    for n, day in enumerate(["2026-11-01", "2026-11-02", "2026-11-04"]):
        read_at = datetime.fromisoformat(f"{day}T23:30:00+00:00").timestamp()
        store.write_day(day, [replace(row, snapshot_date=day, fetched_at=read_at,
                                      views=None if row.views is None else
                                      row.views + (600 * n if "popular" in row.video_id else 0))
                              for row in backfilled])
    result = dg.materialize([channel_summary], instance=instance,
                            resources=defs.resources)
    meta = result.asset_materializations_for_node("channel_summary")[0].metadata
    assert meta["chart"].value.startswith("![views](data:image/png;base64,iVBORw0KGgo")
    assert Path(meta["chart_path"].value).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = meta["top_videos"].value
    assert table.index("yt-popular0001") < table.index("yt-quiet000001")
    assert "| 6,200 |" in table and "| hidden |" in table
    growth = meta["growth_per_day"].value[CHANNEL]
    assert growth == {"2026-11-02": 600.0, "2026-11-04": 300.0}  # 600 over a 2-day gap
    assert meta["skipped_days"].value == {
        CHANNEL: {"2026-11-03": f"backfilled: numbers read on {read_on.isoformat()}"}}
    assert "Growth leaves out the days not read on their own day: 2026-11-03 (backfilled" in table


def test_definitions_load_without_any_youtube_config(monkeypatch):
    for var in ("PATTERN_PIVOT_YOUTUBE_API_KEY", "PATTERN_PIVOT_YOUTUBE_CHANNELS"):
        monkeypatch.delenv(var, raising=False)
    defs = build_definitions()
    dg.Definitions.validate_loadable(defs)
    sensor = defs.resolve_sensor_def("youtube_uploads_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    schedule = defs.resolve_schedule_def("video_stats_job_schedule")
    assert schedule.cron_schedule == "30 23 * * *"
    tick = schedule.evaluate_tick(dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 5, 23, 30, tzinfo=timezone.utc)))
    assert [r.partition_key for r in tick.run_requests] == ["2026-11-05"]  # today's numbers
    assert defs.resolve_assets_def("video_stats").backfill_policy == (
        dg.BackfillPolicy.single_run())


@pytest.mark.slow
def test_cli_backfill_of_three_days(tmp_path, server):
    """The README's command, run as a user would: one run covering three partitions."""
    data = tmp_path / "data"
    register_catalog(Catalog(data / "catalog.sqlite"))
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PATTERN_PIVOT_DATA_DIR": str(data),
           "PATTERN_PIVOT_YOUTUBE_API_KEY": API_KEY,
           "PATTERN_PIVOT_YOUTUBE_API_ENDPOINT": server.url,
           "PATTERN_PIVOT_STATS_BACKEND": "sqlite",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    dagster = str(Path(sys.executable).with_name("dagster"))
    proc = subprocess.run(
        [dagster, "asset", "materialize", "-m", "pattern_pivot.definitions",
         "--select", "video_stats", "--partition-range", "2026-11-01...2026-11-03"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    store = SqliteStatsStore(data / "stats.sqlite")
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        assert store.is_complete(day) and len(store.day(day)) == 3
    assert not store.is_complete("2026-11-04")
    assert server.fake.requests.count("videos") == 1  # one API read for the whole range
    instance = dg.DagsterInstance.from_config(str(home))
    materialized = instance.get_materialized_partitions(dg.AssetKey("video_stats"))
    assert materialized == {"2026-11-01", "2026-11-02", "2026-11-03"}


@pytest.mark.slow
def test_remix_plan_ranks_by_relevance_alone_when_the_stats_store_is_down(tmp_path,
                                                                           monkeypatch):
    """Engagement is optional: a stats-store outage costs the re-rank, with a warning, not the
    remix."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")  # the store is down, not misconfigured
    settings = make_settings(tmp_path / "data")
    world = build_catalog(settings.data_dir, SentenceEmbedder())
    request = parse_request({"topic": "sourdough starter and baking bread", "mode": "narrated"})
    RemixStore(settings.remix_store_path).save(request)
    down = StatsStoreResource(backend="dynamodb", dynamodb_endpoint=closed_port_url().rstrip("/"),
                              max_attempts=1)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(remixes_partitions.name, [request.request_id])
    result = dg.materialize([remix_plan], partition_key=request.request_id, instance=instance,
                            resources=build_definitions(settings, stats_store=down).resources)
    assert result.success
    meta = result.asset_materializations_for_node(PLAN_ASSET)[0].metadata
    plan = EditPlan.model_validate_json(Path(meta["variant_1_plan"].value).read_text())
    used = {shot.span.video_id for shot in plan.shots if shot.span is not None}
    assert used and used <= set(world.ids.values())  # retrieved and cut all the same
    warnings = [e.user_message for e in instance.all_logs(result.run_id)
                if e.level == logging.WARNING]
    assert any(w.startswith("ranking by relevance only, without engagement: the stats store "
                            "failed (DynamoDB table") and "Could not connect" in w
               for w in warnings), warnings
