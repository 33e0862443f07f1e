import dagster as dg

# In-process: the three ingest steps run one after another, so separate step processes
# would only add start-up time (and a second model load).
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups("ingest", "understand"),
    executor_def=dg.in_process_executor,
    description="Per video: source copy + probe, speech audio, transcript, chunks in Milvus.",
)

# Daily statistics snapshot of the catalog (the schedule runs it; backfills use it too).
video_stats_job = dg.define_asset_job(
    "video_stats_job", selection=dg.AssetSelection.assets("video_stats"),
    executor_def=dg.in_process_executor,
    description="Per day: every catalog video's views, likes and comments into the stats store.",
)
