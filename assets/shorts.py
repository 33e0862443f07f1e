"""Shorts from long videos: each video's best 15-60 s moments (highlights), then each one
rendered as a framed, captioned 9:16 short and checked (blocking, like remix_video)."""

from pathlib import Path

import dagster as dg

from assets.compose import _CHECK_DESCRIPTIONS
from assets.failures import user_errors
from assets.partitions import videos_partitions
from assets.previews import preview_metadata
from pattern_pivot.highlights import stage
from pattern_pivot.llm.providers import parse_providers
from pattern_pivot.publish.performance import load_weights, weighting_enabled
from pattern_pivot.quality.checks import CHECK_NAMES
from pattern_pivot.remix.engagement import stats_engagement
from pattern_pivot.render.sources import StoreSources
from resources import (
    CatalogResource,
    EmbedderResource,
    LLMResource,
    MediaStoreResource,
    RendererResource,
    StatsStoreResource,
)

_SHORT_CHECKS = (*CHECK_NAMES, stage.FRAMING_CHECK)
_DESCRIPTIONS = _CHECK_DESCRIPTIONS | {
    stage.FRAMING_CHECK: f"The tracked face is inside the output with its margin in at least "
                         f"{stage.MIN_FACE_SHARE:.0%} of the sampled frames that show one."}


class ShortsConfig(dg.Config):
    """How many shorts, how long, which shape (the CLI's --count/--min-length/...)."""

    count: int = 3
    min_length: float = 15.0
    max_length: float = 60.0
    format: str = "9:16"

    def settings(self) -> stage.ShortsSettings:
        return stage.ShortsSettings(self.count, self.min_length, self.max_length, self.format)


@dg.asset(partitions_def=videos_partitions, group_name="shorts", kinds={"json"},
          deps=[dg.AssetKey("video_transcript"), dg.AssetKey("video_audio")],
          code_version="1")
def video_highlights(context: dg.AssetExecutionContext, config: ShortsConfig,
                     catalog: CatalogResource, media_store: MediaStoreResource,
                     embedder: EmbedderResource, llm: LLMResource,
                     stats_store: StatsStoreResource) -> dg.MaterializeResult:
    """The video's best self-contained moments: whole sentences, scored on a hook, a complete
    thought, question and answer, the speaker's energy and the video's key phrases, picked
    without overlaps and spread over the video, each with a title and a reason. Configured
    LLM providers (not the local model) re-rank the picks; any failure keeps the local order.
    The video's standing in the stats store, when known, lifts all of its clips alike."""
    ids = [e.video_id for e in catalog.catalog().entries()]
    engagement = stats_engagement(stats_store.store, context.log.warning)(ids)
    performance = load_weights(Path(catalog.path), media_store.store(), stats_store.store,
                               context.log.warning) if weighting_enabled() else None
    with user_errors():
        output = stage.store_highlights(
            media_store.store(), context.partition_key, config.settings(),
            embedder.embedder(), embedder.model,
            source_stats=stage.source_standing(context.partition_key, engagement),
            providers=parse_providers(llm.providers_json), performance=performance)
    table = "| # | start | end | score | title | why |\n|---|---|---|---|---|---|\n" + "\n".join(
        f"| {n} | {h.start:.1f} | {h.end:.1f} | {h.score:.2f} | {h.title} | {h.reason} |"
        for n, h in enumerate(output.highlights, start=1))
    return dg.MaterializeResult(metadata={
        "status": "cached" if output.cached else "materialized",
        "path": dg.MetadataValue.path(str(output.path)),
        "highlights": len(output.highlights), "ranked_by": output.ranked_by,
        "table": dg.MetadataValue.md(table)},
        data_version=dg.DataVersion(output.fingerprint[:16]))


@dg.asset(
    partitions_def=videos_partitions, group_name="shorts", kinds={"ffmpeg", "mp4"},
    deps=[video_highlights], code_version="1", pool="render",
    check_specs=[dg.AssetCheckSpec(name, asset="video_shorts", blocking=True,
                                   description=_DESCRIPTIONS[name]) for name in _SHORT_CHECKS],
)
def video_shorts(context: dg.AssetExecutionContext, config: ShortsConfig,
                 catalog: CatalogResource, media_store: MediaStoreResource,
                 renderer: RendererResource) -> dg.MaterializeResult:
    """Each highlight as a short: the speaker's own sound at -14 LUFS, word captions from the
    transcript, framed to follow the face, with a poster and an animated preview."""
    store = media_store.store()
    with user_errors():
        outputs = stage.store_shorts(store, context.partition_key,
                                     StoreSources(catalog.catalog(), store),
                                     renderer.options(), config.format, context.log.info)
    cards = "\n\n".join(
        f"**{o.index}. {o.highlight.title}** ({o.highlight.start:.1f}-{o.highlight.end:.1f} s, "
        f"score {o.highlight.score:.2f}, {'passed' if o.passed else 'FAILED'}): "
        f"{o.highlight.reason}" for o in outputs)
    checks = []
    for name in _SHORT_CHECKS:
        per_short = {o.index: next(c for c in o.checks if c.name == name) for o in outputs}
        failed = [f"short {n}: {c.description}" for n, c in per_short.items() if not c.passed]
        checks.append(dg.AssetCheckResult(
            check_name=name, passed=not failed, severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(failed) if failed else (
                per_short[outputs[0].index].description if outputs else "no shorts"),
            metadata={f"short_{n}": dg.MetadataValue.json(c.metadata)
                      for n, c in per_short.items()}))
    return dg.MaterializeResult(metadata={
        "status": "cached" if all(o.cached for o in outputs) else "materialized",
        "shorts": len(outputs), "all_checks_passed": all(o.passed for o in outputs),
        "paths": dg.MetadataValue.json({o.index: str(o.path) for o in outputs}),
        "shorts_list": dg.MetadataValue.md(cards),
        # each short's pictures, shown in place on the partition's page
        **{k: v for o in outputs for k, v in preview_metadata(
            media_store.local_root(), preview=o.preview, poster=o.poster, key=f"short_{o.index}",
            caption=f"**{o.index}.**").items()}}, check_results=checks)


shorts_assets = [video_highlights, video_shorts]

shorts_job = dg.define_asset_job(
    "shorts_job", selection=dg.AssetSelection.groups("shorts"),
    executor_def=dg.in_process_executor,
    description="Per video: its highlights, then each rendered as a framed, checked short.")
