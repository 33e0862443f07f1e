import dagster as dg

# In-process: the three ingest steps run one after another, so separate step processes
# would only add start-up time (and a second model load).
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups("ingest", "understand"),
    executor_def=dg.in_process_executor,
    description="Per video: source copy + probe, speech audio, transcript, chunks in Milvus, "
                "then the catalog index's totals. The folder and YouTube sensors start it.",
)

# Daily statistics snapshot of the catalog (the schedule runs it; backfills use it too),
# then the channel summary from the stored days, so the summary is never left unbuilt.
video_stats_job = dg.define_asset_job(
    "video_stats_job",
    selection=dg.AssetSelection.assets("video_stats", "channel_summary", "publish_report"),
    executor_def=dg.in_process_executor,
    description="Per day: every catalog video's views, likes and comments into the stats "
                "store, then the per-channel summary (top videos, growth, chart) and the "
                "report of what performs best among published remixes.",
)

# Remixes: one run per `remixes` partition (request), from plan to checked video. In-process,
# like ingest: the steps run one after another anyway.
remix_job = dg.define_asset_job(
    "remix_job",
    selection=dg.AssetSelection.groups("remix", "compose"),
    executor_def=dg.in_process_executor,
    description="Per remix request: retrieval, script or supercut and one edit plan per "
                "variant, then narration, the rendered MP4 and its quality checks.",
)


@dg.job(executor_def=dg.in_process_executor,
        description="Register a remix request from the launchpad config (topic, mode, format, "
                    "length, variants, story): validates, stores it and adds its partition; "
                    "the remix sensor then runs remix_job for it.")
def register_remix_job():
    from assets.remix import register_remix

    register_remix()
