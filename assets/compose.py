"""Compose: each remix request's edit plans become narration, then rendered, checked MP4s.

Both assets are partitioned by request (`remixes`); each handles every variant of its
request. The checks on remix_video are blocking: a variant that fails one blocks anything
downstream (publishing) until it is fixed and re-rendered.
"""

import dagster as dg

from assets.failures import user_errors
from assets.partitions import remixes_partitions
from assets.previews import preview_metadata
from pattern_pivot.progress import render_progress
from pattern_pivot.quality.checks import CHECK_NAMES
from pattern_pivot.remix.types import PLAN_ASSET
from pattern_pivot.render import stage
from pattern_pivot.render.sources import StoreSources
from resources import (
    CatalogResource,
    MediaStoreResource,
    RendererResource,
    TTSResource,
)

_CHECK_DESCRIPTIONS = {
    "decodes_fully": "The whole file decodes without errors (ffmpeg -v error).",
    "resolution_and_aspect": "Width and height are the plan's frame size.",
    "duration_within_target": "Duration within the tolerance of the plan's target.",
    "loudness_in_range": "Integrated loudness -14 LUFS ± 1 (EBU R128).",
    "no_black_stretch": "No black stretch longer than 2 s (blackdetect).",
    "no_frozen_stretch": "No frozen stretch longer than 2 s (freezedetect).",
    "audio_video_durations_match": "Audio and video streams end together.",
    "captions_cover_speech": "Captions seen in the rendered frames cover at least "
                             "min_caption_coverage of the time with sound.",
    "no_dead_air": "No silence longer than 1 s inside the video (silencedetect).",
    "no_short_shot": "No shot shorter than 1 s (a flash reads as a glitch).",
}


@dg.asset(partitions_def=remixes_partitions, group_name="compose", kinds={"tts", "wav"},
          deps=[dg.AssetKey(PLAN_ASSET)], code_version="1", pool="tts")
def remix_narration(context: dg.AssetExecutionContext, media_store: MediaStoreResource,
                    tts: TTSResource) -> dg.MaterializeResult:
    """Each variant's narration spoken sentence by sentence (Piper by default), loudness
    normalised, with word timings aligned by local Whisper for the captions."""
    store = media_store.store()
    config = tts.config()
    rows, cached = [], True
    with user_errors():
        for stored in stage.load_plans(store, context.partition_key):
            output = stage.store_narration(store, stored, config, tts.engine, tts.aligner)
            if output is None:
                rows.append(f"| {stored.plan.variant} | {stored.plan.mode} | - | - | - |")
                continue
            cached &= output.cached
            n = output.narration
            rows.append(f"| {stored.plan.variant} | {stored.plan.mode} | {n.duration:.1f} | "
                        f"{len(n.words)} | {n.timing_source} |")
    table = ("| variant | mode | seconds | words | timings |\n|---|---|---|---|---|\n"
             + "\n".join(rows))
    return dg.MaterializeResult(metadata={
        "status": "cached" if cached else "materialized", "backend": config.backend,
        "variants": len(rows), "narration": dg.MetadataValue.md(table)})


@dg.asset(
    partitions_def=remixes_partitions, group_name="compose", kinds={"ffmpeg", "mp4"},
    deps=[remix_narration], code_version="1", pool="render",
    check_specs=[dg.AssetCheckSpec(name, asset="remix_video", blocking=True,
                                   # Each request keeps its own check history.
                                   partitions_def=remixes_partitions,
                                   description=_CHECK_DESCRIPTIONS[name])
                 for name in CHECK_NAMES],
)
def remix_video(context: dg.AssetExecutionContext, catalog: CatalogResource,
                media_store: MediaStoreResource,
                renderer: RendererResource) -> dg.MaterializeResult:
    """Every variant rendered to an H.264/AAC MP4 in one ffmpeg encode each (captions burned
    in, loudness -14 LUFS), with a poster frame, then checked."""
    store = media_store.store()
    options = renderer.options()
    sources = StoreSources(catalog.catalog(), store)
    outputs = []
    with user_errors():
        for stored in stage.load_plans(store, context.partition_key):
            narration = stage.stored_narration(store, stored.plan)
            outputs.append(stage.store_video(
                store, stored, sources, narration, options,
                render_progress(context.log.info, f"variant {stored.plan.variant} rendered")))
    first = outputs[0]
    metadata = {
        "status": "cached" if all(o.cached for o in outputs) else "materialized",
        "variants": len(outputs),
        "paths": dg.MetadataValue.json({o.variant: str(o.path) for o in outputs}),
        "path": dg.MetadataValue.path(str(first.path)),
        "all_checks_passed": all(o.passed for o in outputs),
        "videos": dg.MetadataValue.md("\n\n".join(
            f"**variant {o.variant}** ({'passed' if o.passed else 'FAILED'}) {_facts(o)}"
            for o in outputs)),
    }
    for o in outputs:  # each variant's pictures, shown in place on the partition's page
        metadata |= preview_metadata(media_store.local_root(), preview=o.preview, poster=o.poster,
                                     key=f"variant_{o.variant}")
    checks = []
    for name in CHECK_NAMES:
        per_variant = {o.variant: next(c for c in o.checks if c.name == name) for o in outputs}
        failed = [f"variant {v}: {c.description}" for v, c in per_variant.items() if not c.passed]
        checks.append(dg.AssetCheckResult(
            check_name=name, passed=not failed, severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(failed) if failed else per_variant[first.variant].description,
            metadata={f"variant_{v}": dg.MetadataValue.json(c.metadata)
                      for v, c in per_variant.items()}))
    return dg.MaterializeResult(metadata=metadata, check_results=checks)


def _facts(output) -> str:
    facts = {c.name: c.metadata for c in output.checks}
    res = facts.get("resolution_and_aspect", {})
    return (f"{res.get('width')}x{res.get('height')}, "
            f"{facts.get('duration_within_target', {}).get('duration_s')} s, "
            f"{facts.get('loudness_in_range', {}).get('integrated_lufs')} LUFS")


compose_assets = [remix_narration, remix_video]
