"""Watch YouTube channels: each new upload becomes a `yt-<id>` partition of `videos` (the
same partitions as local files, which are `file-<hex>`) and an ingest run."""

import dagster as dg

from assets.partitions import title_tags, videos_partitions
from pattern_pivot.youtube.api import QuotaMeter
from pattern_pivot.youtube.uploads import dump_states, find_new_uploads, load_states
from resources import CatalogResource, YouTubeResource
from sensors.jobs import ingest_job

# A first look at a 2,000-video channel must not launch 2,000 downloads at once.
MAX_NEW_UPLOADS_PER_TICK = 20


def register_uploads(catalog, videos) -> list[str]:
    """Catalog entries for new uploads; returns their partition keys."""
    return [catalog.register_youtube(v.youtube_id, v.channel_id, v.title, v.published_at,
                                     v.duration_s).video_id for v in videos]


def build_youtube_uploads_sensor(running: bool) -> dg.SensorDefinition:
    """Running by default only when an API key and channels are configured."""

    @dg.sensor(name="youtube_uploads_sensor", job=ingest_job, minimum_interval_seconds=600,
               default_status=(dg.DefaultSensorStatus.RUNNING if running
                               else dg.DefaultSensorStatus.STOPPED),
               description="Every 10 min: registers new uploads of the YouTube channels in "
                           "PATTERN_PIVOT_YOUTUBE_CHANNELS and starts their ingest_job runs "
                           "(at most 20 per tick). " + (
                               "On: an API key and channels are configured." if running else
                               "Off: no YouTube API key or no channels. Set "
                               "PATTERN_PIVOT_YOUTUBE_API_KEY and "
                               "PATTERN_PIVOT_YOUTUBE_CHANNELS, then restart the UI."))
    def youtube_uploads_sensor(context: dg.SensorEvaluationContext, youtube: YouTubeResource,
                               catalog: CatalogResource) -> dg.SensorResult | dg.SkipReason:
        """Registers new uploads of the configured YouTube channels and requests their
        ingest runs, at most 20 per evaluation. Quota or key errors fail the tick and
        leave the cursor where it was."""
        if not youtube.configured or not youtube.channels:
            return dg.SkipReason("YouTube is not configured: set PATTERN_PIVOT_YOUTUBE_API_KEY"
                                 " and PATTERN_PIVOT_YOUTUBE_CHANNELS (ids or @handles)")
        meter = QuotaMeter()
        # Quota and key errors propagate: the tick fails with the clear message and the
        # cursor is not advanced.
        scan = find_new_uploads(youtube.client(meter), list(youtube.channels),
                                load_states(context.cursor), MAX_NEW_UPLOADS_PER_TICK)
        for ref, problem in scan.problems.items():
            context.log.warning(f"skipping channel {ref}: {problem}")
        if scan.unavailable:
            context.log.info(f"not ingesting {len(scan.unavailable)} deleted/private uploads")
        keys = register_uploads(catalog.catalog(), scan.new)
        titles = {key: video.title for key, video in zip(keys, scan.new)}
        known = set(context.instance.get_dynamic_partitions(videos_partitions.name))
        new_keys = [k for k in keys if k not in known]
        cursor = dump_states(scan.states)
        summary = f"{len(new_keys)} new uploads, {meter.total} quota units"
        if not new_keys:
            return dg.SensorResult(skip_reason=f"no new uploads ({meter.total} quota units)",
                                   cursor=cursor)
        context.log.info(summary)
        tags = {"pattern_pivot/source": "youtube",
                "pattern_pivot/sensor_quota_units": str(meter.total)}
        return dg.SensorResult(
            dynamic_partitions_requests=[videos_partitions.build_add_request(new_keys)],
            run_requests=[dg.RunRequest(partition_key=k, run_key=k,
                                        tags=tags | title_tags(titles[k])) for k in new_keys],
            cursor=cursor)

    return youtube_uploads_sensor
