"""Trailers and montages: a video's strongest moments (video_trailer), or a channel's
(channel_trailer), cut on whole sentences and shot boundaries, optionally on the beats of
the user's music, between a title card and an end card; rendered and checked like remixes."""

import base64

import dagster as dg

from assets.compose import _CHECK_DESCRIPTIONS
from assets.failures import user_errors
from assets.partitions import videos_partitions
from pattern_pivot import ingest
from pattern_pivot.quality.checks import CHECK_NAMES
from pattern_pivot.render.sources import StoreSources
from pattern_pivot.trailer import stage
from resources import CatalogResource, MediaStoreResource, RendererResource

LOCAL_CHANNEL = "local"  # the channel of files added from a folder (as search names it)


class TrailerConfig(dg.Config):
    """The CLI's --length/--format/--music."""

    length: float = 30.0
    format: str = "16:9"
    music: str = ""  # a music file or a folder of them; empty: the speakers' sound only

    def settings(self) -> stage.TrailerSettings:
        return stage.TrailerSettings(self.length, self.format, self.music)


class ChannelTrailerConfig(TrailerConfig):
    channel: str = ""  # a YouTube channel id, "local" for files; empty: every video


def _checks(asset: str, out: stage.TrailerOutput) -> list[dg.AssetCheckResult]:
    return [dg.AssetCheckResult(check_name=c.name, asset_key=asset, passed=c.passed,
                                severity=dg.AssetCheckSeverity.ERROR,
                                description=c.description,
                                metadata={"numbers": dg.MetadataValue.json(c.metadata)})
            for c in out.checks]


def _result(out: stage.TrailerOutput, asset: str) -> dg.MaterializeResult:
    poster = base64.b64encode(out.poster.read_bytes()).decode()
    table = "| # | video | start | end | score | why |\n|---|---|---|---|---|---|\n" + "\n".join(
        f"| {n} | {m.video_id} | {m.start:.2f} | {m.end:.2f} | {m.score:.2f} | {m.reason} |"
        for n, m in enumerate(out.moments, start=1))
    return dg.MaterializeResult(metadata={
        "status": "cached" if out.cached else "materialized",
        "path": dg.MetadataValue.path(str(out.path)), "moments": len(out.moments),
        "cuts_on_beat": f"{out.on_beat}/{len(out.cuts)}" if out.music else "no music",
        "music": str(out.music or "-"), "all_checks_passed": out.passed,
        "preview": dg.MetadataValue.md(f"![poster](data:image/jpeg;base64,{poster})\n\n"
                                       + table)},
        check_results=_checks(asset, out))


def _specs(asset: str) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(name, asset=asset, blocking=True,
                              description=_CHECK_DESCRIPTIONS[name]) for name in CHECK_NAMES]


@dg.asset(partitions_def=videos_partitions, group_name="trailers", kinds={"ffmpeg", "mp4"},
          deps=[dg.AssetKey("video_transcript"), dg.AssetKey("video_audio")],
          code_version="1", pool="render", check_specs=_specs("video_trailer"))
def video_trailer(context: dg.AssetExecutionContext, config: TrailerConfig,
                  catalog: CatalogResource, media_store: MediaStoreResource,
                  renderer: RendererResource) -> dg.MaterializeResult:
    """A 15-60 s trailer of the video: its strongest moments (whole sentences, hook, energy,
    shot changes), cut on shot boundaries and (with music) on beats, the music ducked under
    speech, a title card and an end card, -14 LUFS, quality-checked."""
    store = media_store.store()
    with user_errors():
        entry = catalog.catalog().get(context.partition_key)
        out = stage.store_video_trailer(store, entry.video_id, entry.title,
                                        StoreSources(catalog.catalog(), store),
                                        config.settings(), renderer.options())
    return _result(out, "video_trailer")


def channel_videos(catalog, store, channel: str) -> list[str]:
    """The ingested videos of ``channel`` (every ingested video when it is empty)."""
    found = []
    for entry in catalog.entries():
        youtube = catalog.youtube_entry(entry.video_id)
        owner = youtube.channel_id if youtube else LOCAL_CHANNEL
        transcript = store.path(ingest.TRANSCRIPT, entry.video_id, ingest.TRANSCRIPT_NAME)
        if (not channel or owner == channel) and transcript.is_file():
            found.append(entry.video_id)
    return found


@dg.asset(group_name="trailers", kinds={"ffmpeg", "mp4"},
          deps=[dg.AssetKey("video_transcript"), dg.AssetKey("video_audio")],
          code_version="1", pool="render", check_specs=_specs("channel_trailer"))
def channel_trailer(context: dg.AssetExecutionContext, config: ChannelTrailerConfig,
                    catalog: CatalogResource, media_store: MediaStoreResource,
                    renderer: RendererResource) -> dg.MaterializeResult:
    """A montage of a channel's strongest moments (config ``channel``: a YouTube channel id,
    "local" for files, empty for every ingested video), best videos first."""
    store = media_store.store()
    name = config.channel or "all"
    with user_errors():
        videos = channel_videos(catalog.catalog(), store, config.channel)
        out = stage.store_channel_trailer(store, name, videos,
                                          StoreSources(catalog.catalog(), store),
                                          config.settings(), renderer.options())
    return _result(out, "channel_trailer")


trailer_assets = [video_trailer, channel_trailer]

trailer_job = dg.define_asset_job(
    "trailer_job", selection=dg.AssetSelection.assets(video_trailer),
    executor_def=dg.in_process_executor,
    description="Per video: a 15-60 s trailer of its strongest moments, cut on shot changes "
                "(and music beats), held to the render checks.")

channel_trailer_job = dg.define_asset_job(
    "channel_trailer_job", selection=dg.AssetSelection.assets(channel_trailer),
    executor_def=dg.in_process_executor,
    description="A montage of a channel's strongest moments (config channel: an id, `local` "
                "or every video), held to the render checks.")
