"""Remix: a stored request becomes one edit plan per variant (and, for supercuts, an
audio-only cut), written where the compose stage reads them."""

import os
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
    RemixContext,
    plan_remix,
    stored_media_lookups,
    write_outputs,
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


# In the compose group with the narration and video it feeds: one group per remix pipeline.
# No "langchain" kind: supercuts and the extractive writer use no LLM (each variant's
# `variant_<n>_writer` metadata says which wrote it).
@dg.asset(name=PLAN_ASSET, partitions_def=remixes_partitions, group_name="compose",
          kinds={"milvus", "json"}, code_version="1", pool="milvus",
          # Catalog-wide inputs: the index it retrieves from (every video's chunks) and the
          # newest day of statistics it weights sources by.
          deps=["catalog_index",
                dg.AssetDep("video_stats", partition_mapping=dg.LastPartitionMapping())],
          check_specs=[dg.AssetCheckSpec(
              "script_reads_aloud", asset=PLAN_ASSET, partitions_def=remixes_partitions,
              description="Every script line is a complete sentence, no line repeats another, "
                          "the last ends a statement, and the spoken length fits the target.")])
def remix_plan(context: dg.AssetExecutionContext, remix_store: RemixStoreResource,
               catalog: CatalogResource, media_store: MediaStoreResource,
               embedder: EmbedderResource, vector_store: VectorStoreResource,
               llm: LLMResource, stats_store: StatsStoreResource,
               tts: TTSResource) -> dg.MaterializeResult:
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
        # Off by default: what published outputs cut from each source achieved.
        performance = load_weights(Path(catalog.path), media,
                                   stats_store.store, context.log.warning) \
            if weighting_enabled() else PerformanceWeights()
        # Scripts are written to length at the narrating voice's measured pace.
        pace = tts.words_per_second() if request.mode != "supercut" else WORDS_PER_SECOND
        with llm.writer() as writer:
            ctx = RemixContext(media=media, embedder=model, vectors=vectors, writer=writer,
                               transcripts=store_transcripts(media), stills=stills,
                               sources=sources, engagement=engagement_for,
                               performance=performance.by_source,
                               words_per_second=pace, **faceless_pictures(request, model))
            plans = plan_remix(request, ctx)
        outputs = write_outputs(request, plans, ctx)
        titles = {e.video_id: e.title for e in catalog.catalog().entries()}
    metadata = {"title": request.label, "request": dg.MetadataValue.json(request.model_dump()),
                "mode": request.mode, "format": request.aspect,
                "target_seconds": request.length_seconds, "variants": len(outputs),
                "words_per_second": pace,
                "performance_weights": dg.MetadataValue.json(
                    dict(performance.by_source)) if performance.outputs else
                ("on, but no published output has stats yet" if weighting_enabled()
                 else "off")}
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
    check = dg.AssetCheckResult(
        check_name="script_reads_aloud", passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(problems) if problems else (
            "every script reads aloud" if findings_by_variant else "no script (supercut)"),
        metadata={k: dg.MetadataValue.json(v) for k, v in findings_by_variant.items()})
    return dg.MaterializeResult(metadata=metadata, check_results=[check])


def faceless_pictures(request, embedder) -> dict:
    """The user's image folder (PATTERN_PIVOT_IMAGE_DIR) and images endpoint
    (PATTERN_PIVOT_IMAGES) for faceless remixes; neither is needed."""
    if request.mode != "faceless":
        return {}
    folder = os.environ.get(IMAGE_DIR_ENV, "").strip()
    return {"image_folder": ImageFolder(Path(folder).expanduser(), embedder)
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
