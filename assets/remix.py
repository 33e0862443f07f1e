"""Remix: a stored request becomes one edit plan per variant (and, for supercuts, an
audio-only cut), written where the compose stage reads them."""

from pathlib import Path

import dagster as dg

from assets.failures import user_errors
from assets.partitions import remixes_partitions
from pattern_pivot.remix.engagement import stats_engagement
from pattern_pivot.remix.pipeline import (
    RemixContext,
    plan_remix,
    stored_media_lookups,
    write_outputs,
)
from pattern_pivot.remix.request import parse_request
from pattern_pivot.remix.spans import store_transcripts
from pattern_pivot.remix.summary import plan_markdown
from pattern_pivot.remix.types import PLAN_ASSET
from resources import (
    CatalogResource,
    EmbedderResource,
    LLMResource,
    MediaStoreResource,
    RemixStoreResource,
    StatsStoreResource,
    VectorStoreResource,
)


@dg.asset(name=PLAN_ASSET, partitions_def=remixes_partitions, group_name="remix",
          kinds={"milvus", "langchain", "json"}, code_version="1", pool="milvus")
def remix_plan(context: dg.AssetExecutionContext, remix_store: RemixStoreResource,
               catalog: CatalogResource, media_store: MediaStoreResource,
               embedder: EmbedderResource, vector_store: VectorStoreResource,
               llm: LLMResource, stats_store: StatsStoreResource) -> dg.MaterializeResult:
    """Per request: segments retrieved from Milvus (MMR across videos, engagement re-rank),
    a script (LLM chain with fallbacks, or extractive) or a supercut cut on word boundaries,
    and one EditPlan JSON per variant (plus the supercut's stitched audio)."""
    with user_errors():
        request = remix_store.store().get(context.partition_key)
        model = embedder.embedder()
        vectors = vector_store.store(model.name, model.dimension)
        media = media_store.store()
        sources, stills = stored_media_lookups(media, Path(catalog.path))
        # The source videos' latest views/likes/comments (video_stats) lift engaging ones;
        # optional: a stats-store outage degrades the ranking with a warning, not the remix.
        engagement_for = stats_engagement(stats_store.store, context.log.warning)
        with llm.writer() as writer:
            ctx = RemixContext(media=media, embedder=model, vectors=vectors, writer=writer,
                               transcripts=store_transcripts(media), stills=stills,
                               sources=sources, engagement=engagement_for)
            plans = plan_remix(request, ctx)
        outputs = write_outputs(request, plans, ctx)
    metadata = {"request": dg.MetadataValue.json(request.model_dump()),
                "mode": request.mode, "format": request.aspect,
                "target_seconds": request.length_seconds, "variants": len(outputs)}
    for out in outputs:
        n = out.plan.variant
        metadata[f"variant_{n}_plan"] = dg.MetadataValue.path(str(out.plan_path))
        metadata[f"variant_{n}_seconds"] = round(out.plan.duration, 2)
        metadata[f"variant_{n}"] = dg.MetadataValue.md(plan_markdown(out.plan))
        if out.audio_path:
            metadata[f"variant_{n}_audio"] = dg.MetadataValue.path(str(out.audio_path))
        if out.plan.script is not None:
            script = out.plan.script
            metadata[f"variant_{n}_writer"] = script.writer
            if script.meta.get("fell_back"):
                context.log.warning(f"variant {n}: fell back through "
                                    f"{script.meta.get('providers_tried')}")
    return dg.MaterializeResult(metadata=metadata)


class RemixRequestConfig(dg.Config):
    """A remix request from the UI's launchpad (same fields as the CLI)."""

    topic: str = ""
    mode: str = "narrated"
    format: str = "9:16"
    length: float = 45.0
    variants: int = 1
    story: str = ""


@dg.op
def register_remix(context: dg.OpExecutionContext, config: RemixRequestConfig,
                   remix_store: RemixStoreResource) -> str:
    """Validate and store a request and add its `remixes` partition; the remix sensor then
    launches its run (or materialise remix_plan for that partition by hand)."""
    with user_errors():
        request = parse_request(config.model_dump())
    request_id = remix_store.store().save(request, source="ui")
    if not context.instance.has_dynamic_partition(remixes_partitions.name, request_id):
        context.instance.add_dynamic_partitions(remixes_partitions.name, [request_id])
    context.log.info(f"remix request {request_id} registered: {request.label!r}")
    return request_id


remix_assets = [remix_plan]
