"""Channel statistics: a daily snapshot of every catalog video's numbers, and a summary."""

import base64
import hashlib
import json

import dagster as dg

from assets.catalog import video_catalog
from assets.failures import user_errors
from assets.partitions import stats_days_partitions
from pattern_pivot.stats.snapshot import take_snapshot, write_snapshot
from pattern_pivot.stats.summary import render_chart, summarise, summary_markdown
from pattern_pivot.youtube.api import QuotaMeter
from resources import CatalogResource, MediaStoreResource, StatsStoreResource, YouTubeResource

_SKIPS_SHOWN = 50


@dg.asset(partitions_def=stats_days_partitions, group_name="stats",
          kinds={"youtube", "dynamodb", "sqlite"}, code_version="1", deps=[video_catalog],
          # One run for a whole range: `dagster asset materialize --partition-range` needs it,
          # and the numbers are read from YouTube once for every day of the range.
          backfill_policy=dg.BackfillPolicy.single_run())
def video_stats(context: dg.AssetExecutionContext, catalog: CatalogResource,
                youtube: YouTubeResource, stats_store: StatsStoreResource
                ) -> dg.MaterializeResult:
    """Views, likes and comments of every catalog video, one snapshot per day (YouTube has
    no history: a backfilled day records the numbers as read when it ran, see fetched_at;
    it never replaces numbers read on their own day, and growth leaves it out).
    Local files have no public statistics and are recorded as skipped: for a catalog of
    local files only, each day's `outcome` says so, and days never run stay Missing."""
    days = context.partition_keys
    meter = QuotaMeter()
    with user_errors():
        store = stats_store.store()
        videos = catalog.catalog()
        fetch = youtube.client(meter).videos if youtube.configured else None
        snapshot = take_snapshot(videos.entries(), fetch)
        written = write_snapshot(store, days, snapshot, videos.youtube_entries())
    skipped = sorted(snapshot.skipped.items())
    skip_lines = "\n".join(f"- `{vid}`: {why}" for vid, why in skipped[:_SKIPS_SHOWN])
    if len(skipped) > _SKIPS_SHOWN:
        skip_lines += f"\n- ... and {len(skipped) - _SKIPS_SHOWN} more"
    for vid in snapshot.hidden:
        context.log.info(f"{vid}: the owner hides some counts; stored as missing, not zero")
    outcome = stats_outcome(len(snapshot.stats), len(skipped))
    context.log.info(outcome)
    return dg.MaterializeResult(metadata={
        "outcome": outcome,
        "days": dg.MetadataValue.json(list(days)),
        "videos": len(snapshot.stats),
        "skipped": len(skipped),
        "skipped_videos": dg.MetadataValue.md(skip_lines or "_none_"),
        "hidden_counts": len(snapshot.hidden),
        "rows_written": sum(w.written for w in written),
        "rows_kept": sum(w.kept for w in written),
        "stats_store": store.description,
        "quota_units": meter.total,
        "api_calls": dg.MetadataValue.json(dict(meter.calls)),
        "fetched_at": dg.MetadataValue.timestamp(snapshot.fetched_at),
    })


def stats_outcome(read: int, skipped: int) -> str:
    """One line that says what a day's snapshot means, above all when it holds nothing."""
    if read:
        return f"numbers read for {read} YouTube videos ({skipped} skipped)"
    if skipped:
        return (f"nothing to read: the catalog's {skipped} videos are local files or gone from "
                "YouTube, which have no public statistics (all recorded as skipped). Days "
                "without a run stay Missing: there was nothing to snapshot.")
    return "nothing to read: the catalog is empty"


@dg.asset(deps=[video_stats], group_name="stats", kinds={"matplotlib", "png"},
          code_version="2")
def channel_summary(catalog: CatalogResource, stats_store: StatsStoreResource,
                    media_store: MediaStoreResource) -> dg.MaterializeResult:
    """Per YouTube channel: its top videos, total views and growth per day, with a chart.
    Only days whose numbers were read on that day count; backfilled days are listed as
    skipped (YouTube has no history: they hold the numbers of the day they ran).
    Refreshed by video_stats_job right after each day's snapshot."""
    with user_errors():
        store = stats_store.store()
        channels = sorted({e.channel_id for e in catalog.catalog().youtube_entries()})
        summaries = [summarise(cid, store.channel_history(cid)) for cid in channels]
    media = media_store.store()
    state = json.dumps([[s.channel_id, s.days, s.total_views, [t.__dict__ for t in s.top]]
                        for s in summaries], sort_keys=True)
    fingerprint = hashlib.sha256(state.encode()).hexdigest()[:32]
    chart = media.path("channel_summary", "all", "chart.png")
    cached = media.is_current("channel_summary", "all", "chart.png", fingerprint)
    if not cached:
        with media.atomic_write("channel_summary", "all", "chart.png", fingerprint) as tmp:
            render_chart(summaries, tmp)
    image = base64.b64encode(chart.read_bytes()).decode()
    tables = "\n\n".join(summary_markdown(s) for s in summaries) or "_no YouTube channels_"
    return dg.MaterializeResult(metadata={
        "status": "cached" if cached else "materialized",
        "channels": len(summaries),
        "chart": dg.MetadataValue.md(f"![views](data:image/png;base64,{image})"),
        "chart_path": dg.MetadataValue.path(str(chart)),
        "top_videos": dg.MetadataValue.md(tables),
        "growth_per_day": dg.MetadataValue.json(
            {s.channel_id: dict(zip(s.days[1:], s.growth_per_day)) for s in summaries}),
        "skipped_days": dg.MetadataValue.json(
            {s.channel_id: dict(s.skipped_days) for s in summaries if s.skipped_days}),
    })


channel_assets = [video_stats, channel_summary]
