import dagster as dg

from pattern_pivot.stats.days import stats_start_from_env

# One partition per catalog video, keyed by its content-derived id (file-..., yt-...).
videos_partitions = dg.DynamicPartitionsDefinition(name="videos")

# One partition per remix request, keyed by its content-derived id (remix-...).
remixes_partitions = dg.DynamicPartitionsDefinition(name="remixes")

# One partition per day of statistics snapshots (video_stats), from the day the catalog
# began (no grey wall of days before it). end_offset=1: today's partition exists already, so
# the daily schedule can snapshot today.
stats_days_partitions = dg.DailyPartitionsDefinition(
    start_date=stats_start_from_env(), end_offset=1)

# Partition keys are content hashes; this run tag carries the video's title or the remix's
# topic so runs can be told apart (and filtered by tag) in the UI.
TITLE_TAG = "pattern_pivot/title"
_TITLE_TAG_CHARS = 200


def title_tags(title: str | None) -> dict[str, str]:
    title = " ".join((title or "").split())
    return {TITLE_TAG: title[:_TITLE_TAG_CHARS]} if title else {}
