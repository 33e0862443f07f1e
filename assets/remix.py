"""Remix: a stored request becomes one edit plan per variant (and, for supercuts, an
audio-only cut), written where the compose stage reads them."""

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from pydantic import Field, field_validator, model_validator

from assets.failures import user_errors
from assets.partitions import remixes_partitions
from pattern_pivot.publish.performance import (
    PerformanceWeights,
    load_weights,
    weighting_enabled,
)
from pattern_pivot.remix.engagement import stats_engagement
from pattern_pivot.remix.images import IMAGE_DIR_ENV, ImageFolder, images_backend_from_env
from pattern_pivot.remix.pipeline import (
    Material,
    RetrievalContext,
    WritingContext,
    retrieve_material,
    stored_media_lookups,
    write_outputs,
    write_plans,
)
from pattern_pivot.remix.request import (
    MAX_SECONDS,
    MAX_STORY_CHARS,
    MAX_VARIANTS,
    MIN_SECONDS,
    parse_request,
)
from pattern_pivot.remix.script_check import check_script
from pattern_pivot.remix.spans import store_transcripts
from pattern_pivot.remix.summary import plan_markdown
from pattern_pivot.remix.types import PLAN_ASSET, Aspect, Mode
from pattern_pivot.remix.writers.base import WORDS_PER_SECOND
from pattern_pivot.settings import user_cache_dir
from resources import (
    CatalogResource,
    EmbedderResource,
    LLMResource,
    MediaStoreResource,
    RemixStoreResource,
    StatsStoreResource,
    TTSResource,
    VectorStoreResource,
)


@dataclass(frozen=True)
class RetrievedSources:
    """What the retrieval step hands the writing step: the material, and how (or whether)
    published performance weighted its ranking (for the plan's metadata)."""
    material: Material
    performance_weights: dict[str, float] | str


# Retrieval is the only part of a remix that reads Milvus, so it alone holds the `milvus` pool:
# a slow LLM writing the script (next step) never blocks other Milvus users.
@dg.op(pool="milvus", ins={"catalog_index": dg.In(dg.Nothing), "video_stats": dg.In(dg.Nothing)})
def retrieve_remix_sources(context: dg.OpExecutionContext, remix_store: RemixStoreResource,
                           catalog: CatalogResource, media_store: MediaStoreResource,
                           embedder: EmbedderResource, vector_store: VectorStoreResource,
                           stats_store: StatsStoreResource) -> RetrievedSources:
    """The request's segments from Milvus (MMR across videos, engagement re-rank), or each
    story scene's matches."""
    with user_errors():
        request = remix_store.store().get(context.partition_key)
        model = embedder.embedder()
        # The source videos' latest views/likes/comments (video_stats) lift engaging ones;
        # optional: a stats-store outage degrades the ranking with a warning, not the remix.
        engagement_for = stats_engagement(stats_store.store, context.log.warning)
        # Off by default: what published outputs cut from each source achieved.
        performance = load_weights(Path(catalog.path), media_store.store(),
                                   stats_store.store, context.log.warning) \
            if weighting_enabled() else PerformanceWeights()
        material = retrieve_material(request, RetrievalContext(
            embedder=model, vectors=vector_store.store(model.name, model.dimension),
            engagement=engagement_for, performance=performance.by_source))
    context.log.info(f"retrieved {material.summary()} for {request.label!r}")
    return RetrievedSources(material, dict(performance.by_source) if performance.outputs else
                            ("on, but no published output has stats yet" if weighting_enabled()
                             else "off"))


# No pool, like every LLM call: it waits on the network (or on a one-thread local model), and
# a supercut waiting behind someone's slow script would be the same problem one pool over.
@dg.op(out={"plan": dg.Out(dg.Nothing), "script_check": dg.Out(dg.Nothing)})
def write_remix_plan(context: dg.OpExecutionContext, retrieved: RetrievedSources,
                     remix_store: RemixStoreResource, catalog: CatalogResource,
                     media_store: MediaStoreResource, embedder: EmbedderResource,
                     llm: LLMResource, tts: TTSResource):
    """A script per variant (LLM chain with fallbacks, or extractive) or a supercut cut on
    word boundaries, and one EditPlan JSON per variant (plus the supercut's stitched audio)."""
    with user_errors():
        request = remix_store.store().get(context.partition_key)
        media = media_store.store()
        sources, stills = stored_media_lookups(media, Path(catalog.path))
        # Scripts are written to length at the narrating voice's measured pace.
        pace = tts.words_per_second() if request.mode != "supercut" else WORDS_PER_SECOND
        with llm.writer() as writer:
            ctx = WritingContext(media=media, writer=writer, transcripts=store_transcripts(media),
                                 stills=stills, sources=sources, words_per_second=pace,
                                 **faceless_pictures(request, embedder))
            plans = write_plans(request, retrieved.material, ctx)
        outputs = write_outputs(request, plans, ctx)
        titles = {e.video_id: e.title for e in catalog.catalog().entries()}
    metadata = {"title": request.label, "request": dg.MetadataValue.json(request.model_dump()),
                "mode": request.mode, "format": request.aspect,
                "target_seconds": request.length_seconds, "variants": len(outputs),
                "words_per_second": pace,
                "performance_weights": dg.MetadataValue.json(retrieved.performance_weights)
                if isinstance(retrieved.performance_weights, dict)
                else retrieved.performance_weights}
    problems: list[str] = []
    findings_by_variant: dict[str, dict] = {}
    for out in outputs:
        n = out.plan.variant
        metadata[f"variant_{n}_plan"] = dg.MetadataValue.path(str(out.plan_path))
        metadata[f"variant_{n}_seconds"] = round(out.plan.duration, 2)
        metadata[f"variant_{n}"] = dg.MetadataValue.md(plan_markdown(out.plan, titles))
        if out.audio_path:
            metadata[f"variant_{n}_audio"] = dg.MetadataValue.path(str(out.audio_path))
        if out.plan.script is not None:
            script = out.plan.script
            metadata[f"variant_{n}_writer"] = script.writer
            if "images" in script.meta:  # generated pictures: how many, and what they cost
                metadata[f"variant_{n}_images"] = dg.MetadataValue.json(script.meta["images"])
            if script.meta.get("fell_back"):
                context.log.warning(f"variant {n}: fell back through "
                                    f"{script.meta.get('providers_tried')}")
            findings = check_script(script, request.length_seconds, pace)
            findings_by_variant[f"variant_{n}"] = {
                f.name: {"passed": f.passed, "value": f.value, "expected": f.expected,
                         "detail": f.detail} for f in findings}
            problems += [f"variant {n} {f.name}: {f.value} (expected {f.expected}) {f.detail}"
                         .strip() for f in findings if not f.passed]
    yield dg.Output(None, "plan", metadata=metadata)
    yield dg.AssetCheckResult(
        asset_key=PLAN_ASSET, check_name="script_reads_aloud", passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(problems) if problems else (
            "every script reads aloud" if findings_by_variant else "no script (supercut)"),
        metadata={k: dg.MetadataValue.json(v) for k, v in findings_by_variant.items()})


# In the compose group with the narration and video it feeds: one group per remix pipeline.
# No "langchain" kind: supercuts and the extractive writer use no LLM (each variant's
# `variant_<n>_writer` metadata says which wrote it). Two steps: retrieve (`milvus` pool),
# then write (no pool); the lineage is still one node fed by catalog_index and video_stats.
@dg.graph_asset(
    name=PLAN_ASSET, partitions_def=remixes_partitions, group_name="compose",
    kinds={"milvus", "json"}, code_version="1",
    description="Per request: segments retrieved from Milvus (MMR across videos, engagement "
                "re-rank), then a script (LLM chain with fallbacks, or extractive) or a "
                "supercut cut on word boundaries, and one EditPlan JSON per variant (plus the "
                "supercut's stitched audio).",
    # Catalog-wide inputs: the index it retrieves from (every video's chunks) and the
    # newest day of statistics it weights sources by.
    ins={"catalog_index": dg.AssetIn(dagster_type=dg.Nothing),
         "video_stats": dg.AssetIn(dagster_type=dg.Nothing,
                                   partition_mapping=dg.LastPartitionMapping())},
    check_specs=[dg.AssetCheckSpec(
        "script_reads_aloud", asset=PLAN_ASSET, partitions_def=remixes_partitions,
        description="Every script line is a complete sentence, no line repeats another, "
                    "the last ends a statement, and the spoken length fits the target.")])
def remix_plan(catalog_index, video_stats):
    plan, script_check = write_remix_plan(retrieve_remix_sources(
        catalog_index=catalog_index, video_stats=video_stats))
    return {"result": plan, f"{PLAN_ASSET}_script_reads_aloud": script_check}


def faceless_pictures(request, embedder: EmbedderResource) -> dict:
    """The user's image folder (PATTERN_PIVOT_IMAGE_DIR) and images endpoint
    (PATTERN_PIVOT_IMAGES) for faceless remixes; neither is needed."""
    if request.mode != "faceless":
        return {}
    folder = os.environ.get(IMAGE_DIR_ENV, "").strip()
    return {"image_folder": ImageFolder(Path(folder).expanduser(), embedder.embedder())
            if folder and Path(folder).expanduser().is_dir() else None,
            "images": images_backend_from_env(user_cache_dir())}


class RemixRequestConfig(dg.Config):
    """A remix request from the UI's launchpad (same fields as the CLI). Mode and format are
    checked before launch (the launchpad lists their values); lengths, variant counts and an
    empty topic fail the run at its start, before anything is stored."""

    topic: str = Field(
        description="What the remix is about, e.g. \"sourdough starter\" (at most 300 "
                    "characters). May be empty only in faceless mode with a story.",
        max_length=300)
    mode: Mode = Field("narrated", description="supercut: the catalog's own clips cut on word "
                       "boundaries; narrated: a new script read by TTS over matching clips; "
                       "faceless: a script (or your story) over stills, no faces.")
    format: Aspect = Field("9:16", description="Frame: 9:16 (Shorts/Reels/TikTok), 1:1 "
                           "(square), 16:9 (landscape).")
    length: float = Field(45.0, ge=MIN_SECONDS, le=MAX_SECONDS,
                          description=f"Target length in seconds ({MIN_SECONDS:g} to "
                                      f"{MAX_SECONDS:g}).")
    variants: int = Field(1, ge=1, le=MAX_VARIANTS,
                          description=f"Different takes to render (1 to {MAX_VARIANTS}).")
    story: str = Field("", max_length=MAX_STORY_CHARS,
                       description="Faceless mode only: your own text, narrated scene by scene.")
    allow_shorter: bool = Field(False, description="Render what the catalog has when it holds "
                                "less than `length` seconds on the topic.")

    @field_validator("topic", "story")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _topic_or_story(self) -> "RemixRequestConfig":
        if not self.topic and not self.story:
            raise ValueError("topic is empty: say what the remix is about, e.g. "
                             "\"sourdough starter\" (faceless mode may give a story instead)")
        return self


@dg.op
def register_remix(context: dg.OpExecutionContext, config: RemixRequestConfig,
                   remix_store: RemixStoreResource) -> str:
    """Validate and store a request and add its `remixes` partition. Nothing else to do: the
    remix sensor (remix_requests_sensor, on by default) starts its remix_job run within 30 s."""
    with user_errors():
        request = parse_request(config.model_dump())
    request_id = remix_store.store().save(request, source="ui")
    if not context.instance.has_dynamic_partition(remixes_partitions.name, request_id):
        context.instance.add_dynamic_partitions(remixes_partitions.name, [request_id])
    context.log.info(f"remix request {request_id} registered: {request.label!r}")
    return request_id


remix_assets = [remix_plan]
