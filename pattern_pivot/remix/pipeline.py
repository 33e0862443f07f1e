"""One remix request in, one edit plan per variant out (written to the media store).

Layout: ``<media_root>/remix_plan/<request id>/variant-<n>.json`` (EditPlan JSON, read by the
compose stage) and, for supercuts, ``variant-<n>.m4a`` (the audio-only cut).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from pattern_pivot.media.store import LocalMediaStore
from pattern_pivot.remix import faceless, plans
from pattern_pivot.remix.images import ImageFolder, ImagesBackend
from pattern_pivot.remix.request import RemixRequest, RemixRequestError
from pattern_pivot.remix.select import MIN_RELEVANCE, EngagementSource, candidates, retrieve
from pattern_pivot.remix.spans import TranscriptLookup, sentences_of
from pattern_pivot.remix.types import PLAN_ASSET, EditPlan, SourceSpan, variant_name
from pattern_pivot.remix.writers.base import WORDS_PER_SECOND, ScriptBrief, ScriptWriter
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.retrieval.milvus_store import MilvusChunkStore

MAX_BRIEF_SEGMENTS = 8
# Material this much shorter than asked for is named before anything renders (the same band
# as the rendered video's duration check).
SHORT_TOLERANCE = 0.25
_PLAN_VERSION = "plan-v1"


@dataclass(kw_only=True)
class RetrievalContext:
    """What finding a remix's material needs: the only part of a remix that reads Milvus."""
    embedder: SentenceEmbedder
    vectors: MilvusChunkStore
    engagement: EngagementSource = field(default_factory=dict)
    # Source video -> published-performance factor (empty unless weighting by it is on).
    performance: Mapping[str, float] = field(default_factory=dict)
    min_relevance: float = MIN_RELEVANCE


@dataclass(kw_only=True)
class WritingContext:
    """What turning retrieved material into plans needs: scripts, stills, stored media; no
    Milvus, so a slow script writer never holds the vector store."""
    media: LocalMediaStore
    writer: ScriptWriter
    transcripts: TranscriptLookup
    stills: plans.StillLookup = lambda video_id: None
    sources: Callable[[str], Path | None] = lambda video_id: None  # stored source media
    # The narrating voice's pace: scripts are written to the requested length at it.
    words_per_second: float = WORDS_PER_SECOND
    # Faceless pictures beyond the catalog (pattern_pivot.remix.images); both optional.
    image_folder: ImageFolder | None = None
    images: ImagesBackend | None = None


@dataclass(kw_only=True)
class RemixContext(WritingContext, RetrievalContext):
    """Both halves, for planning a remix in one go (tests, the script benchmark)."""


@dataclass(frozen=True)
class Material:
    """What retrieval found for a request: its ranked segments (a topic), or each story
    scene's matching segments (a faceless story, in scene order)."""
    ranked: tuple[SourceSpan, ...] = ()
    scenes: tuple[tuple[SourceSpan, ...], ...] = ()

    def summary(self) -> str:
        spans = [s for scene in self.scenes for s in scene] if self.scenes else self.ranked
        found = f"{len(spans)} segments from {len({s.video_id for s in spans})} videos"
        return f"{found} for {len(self.scenes)} scenes" if self.scenes else found


@dataclass(frozen=True)
class VariantOutput:
    plan: EditPlan
    plan_path: Path
    audio_path: Path | None = None  # supercut: the stitched audio-only version


def _brief(request: RemixRequest, variant: int, ranked: list[SourceSpan],
           ctx: WritingContext) -> ScriptBrief:
    segments = tuple(ranked[:MAX_BRIEF_SEGMENTS])
    sentences = tuple(tuple(sentences_of(s, ctx.transcripts(s.video_id))) for s in segments)
    return ScriptBrief(request.request_id, variant, request.topic or request.label,
                       request.length_seconds, segments, sentences, ctx.words_per_second)


def plan_remix(request: RemixRequest, ctx: RemixContext) -> list[EditPlan]:
    """One plan per variant. Raises RemixRequestError when the catalog has nothing on it."""
    return write_plans(request, retrieve_material(request, ctx), ctx)


def retrieve_material(request: RemixRequest, ctx: RetrievalContext) -> Material:
    """The segments a remix is made from (one Milvus session). Raises RemixRequestError
    when the catalog has nothing on the topic."""
    with ctx.vectors.session():
        if request.mode == "faceless" and request.story:
            return Material(scenes=tuple(tuple(_scene_matches(scene, ctx))
                                         for scene in faceless.split_scenes(request.story)))
        return Material(ranked=tuple(candidates(
            request.query, ctx.embedder, ctx.vectors, engagement=ctx.engagement,
            min_relevance=ctx.min_relevance, performance=ctx.performance)))


def _scene_matches(scene: str, ctx: RetrievalContext) -> list[SourceSpan]:
    try:
        hits = retrieve(scene, ctx.embedder, ctx.vectors, top_k=5,
                        min_relevance=ctx.min_relevance)
    except RemixRequestError:  # a scene the catalog cannot illustrate gets a card
        hits = []
    return [SourceSpan(video_id=h.video_id, start=h.start, end=h.end, text=h.text,
                       score=h.score) for h in hits]


def write_plans(request: RemixRequest, material: Material,
                ctx: WritingContext) -> list[EditPlan]:
    """One plan per variant from retrieved material: scripts written (or a supercut cut) to
    the requested length. Raises RemixRequestError when the material cannot fill it."""
    if request.mode == "faceless" and request.story:
        return _story_plans(request, material, ctx)
    ranked = list(material.ranked)
    available = material_seconds(request, ranked, ctx.words_per_second)
    short = available < request.length_seconds * (1 - SHORT_TOLERANCE)
    if short and not request.allow_shorter:
        raise RemixRequestError(
            f"topic {request.label[:80]!r}",
            f"the catalog has about {available:.0f} s on it; you asked for "
            f"{request.length_seconds:g} s",
            "lower --length, add and ingest more videos about it, or pass --allow-shorter "
            "to render what there is")
    out = []
    for variant in range(1, request.variants + 1):
        if request.mode == "supercut":
            out.append(plans.supercut_plan(request, variant, ranked, ctx.transcripts))
            continue
        script = ctx.writer.write(_brief(request, variant, ranked, ctx))
        if request.mode == "narrated":
            out.append(plans.narrated_plan(request, script, ctx.transcripts,
                                           ctx.words_per_second))
        else:
            out.append(_faceless(request, script, ctx))
    planned = min(p.duration for p in out)
    if not short and planned < request.length_seconds * (1 - SHORT_TOLERANCE):
        # The material was there, but not enough of it cuts cleanly: named now, not after a
        # render that would fail its duration check.
        if not request.allow_shorter:
            raise RemixRequestError(
                f"topic {request.label[:80]!r}",
                f"gives about {planned:.0f} s that cut cleanly (at sentence ends and pauses); "
                f"you asked for {request.length_seconds:g} s",
                "lower --length, add and ingest more videos about it, or pass --allow-shorter "
                "to render what there is")
        short, available = True, planned
    if short:  # --allow-shorter: the target is what the catalog holds
        out = [p.model_copy(update={"target_seconds": round(min(p.duration, available), 2)})
               for p in out]
    return out


def material_seconds(request: RemixRequest, ranked: list[SourceSpan],
                     words_per_second: float) -> float:
    """How long a remix the relevant material can fill: the speakers' own seconds for a
    supercut; for a script, the retrieved words read at the voice's pace."""
    if request.mode == "supercut":
        return sum(span.duration for span in ranked)
    words = sum(len(span.text.split()) for span in ranked[:MAX_BRIEF_SEGMENTS])
    return words / words_per_second


def _story_plans(request: RemixRequest, material: Material,
                 ctx: WritingContext) -> list[EditPlan]:
    scenes = faceless.split_scenes(request.story)
    # The story sets the length: one that cannot fit the request is named before rendering.
    spoken = len(request.story.split()) / ctx.words_per_second
    low, high = request.length_seconds * (1 - SHORT_TOLERANCE), \
        request.length_seconds * (1 + SHORT_TOLERANCE)
    if spoken > high or (spoken < low and not request.allow_shorter):
        raise RemixRequestError(
            "story", f"takes about {spoken:.0f} s to narrate at this voice's pace; you asked "
                     f"for {request.length_seconds:g} s",
            f"set --length {max(5, round(spoken))}"
            + (", or shorten the story" if spoken > high else
               ", add to the story, or pass --allow-shorter"))
    matches = [list(scene) for scene in material.scenes]
    title = request.topic or scenes[0]
    out = [_faceless(request, faceless.story_script(request.request_id, v, title, scenes,
                                                    matches), ctx)
           for v in range(1, request.variants + 1)]
    if spoken < low:  # --allow-shorter: the target is the story's own length
        out = [p.model_copy(update={"target_seconds": round(max(1.0, spoken), 2)}) for p in out]
    return out


def _faceless(request: RemixRequest, script, ctx: WritingContext) -> EditPlan:
    folder, images = ctx.image_folder, ctx.images
    before = dict(images.spent, failed=list(images.spent["failed"])) if images else None
    plan = plans.faceless_plan(
        request, script, ctx.stills, ctx.words_per_second, transcripts=ctx.transcripts,
        has_footage=lambda video_id: ctx.sources(video_id) is not None,
        own_images=(lambda text, used: folder.best(text, used)) if folder else
        (lambda text, used: None),
        generated=(lambda text, used: images.image_for(f"{request.label}: {text}"))
        if images else (lambda text, used: None))
    if images is None or plan.script is None:
        return plan
    spent = {"generated": images.spent["generated"] - before["generated"],
             "cached": images.spent["cached"] - before["cached"],
             "cost": round(images.spent["cost"] - before["cost"], 4),
             "failed": images.spent["failed"][len(before["failed"]):],
             "model": images.model}
    script = plan.script.model_copy(update={"meta": {**plan.script.meta, "images": spent}})
    return plan.model_copy(update={"script": script})


def write_outputs(request: RemixRequest, plan_list: list[EditPlan],
                  ctx: WritingContext) -> list[VariantOutput]:
    """Each plan as JSON (atomic), plus the stitched audio for supercuts."""
    outputs = []
    for plan in plan_list:
        name = variant_name(plan.variant)
        body = plan.model_dump_json(indent=1)
        fingerprint = hashlib.sha256(f"{_PLAN_VERSION}|{body}".encode()).hexdigest()[:32]
        if not ctx.media.is_current(PLAN_ASSET, request.request_id, name + ".json", fingerprint):
            with ctx.media.atomic_write(PLAN_ASSET, request.request_id, name + ".json",
                                        fingerprint) as tmp:
                tmp.write_text(body, encoding="utf-8")
        audio = _supercut_audio(request, plan, fingerprint, ctx) \
            if plan.mode == "supercut" else None
        outputs.append(VariantOutput(plan, ctx.media.path(PLAN_ASSET, request.request_id,
                                                          name + ".json"), audio))
    return outputs


def _supercut_audio(request: RemixRequest, plan: EditPlan, fingerprint: str,
                    ctx: WritingContext) -> Path | None:
    from pattern_pivot.remix.audio import stitch_audio

    pieces = []
    for shot in plan.shots:
        source = ctx.sources(shot.span.video_id)
        if source is None:
            return None  # sources not stored here (e.g. vectors only): the plan still stands
        pieces.append((source, shot.span.start, shot.span.end))
    name = variant_name(plan.variant) + ".m4a"
    if not ctx.media.is_current(PLAN_ASSET, request.request_id, name, fingerprint):
        with ctx.media.atomic_write(PLAN_ASSET, request.request_id, name, fingerprint) as tmp:
            stitch_audio(pieces, tmp)
    return ctx.media.path(PLAN_ASSET, request.request_id, name)


def stored_media_lookups(media: LocalMediaStore, catalog_path: Path
                         ) -> tuple[Callable[[str], Path | None], plans.StillLookup]:
    """(source file, poster still) of a video as the ingest assets stored them."""
    from pattern_pivot.catalog import Catalog
    from pattern_pivot.errors import PatternPivotError
    from pattern_pivot.ingest import POSTER_NAME, SOURCE, source_name

    catalog = Catalog(catalog_path)

    def source(video_id: str) -> Path | None:
        try:
            path = media.path(SOURCE, video_id, source_name(catalog.get(video_id)))
        except PatternPivotError:
            return None
        return path if path.is_file() else None

    def still(video_id: str) -> Path | None:
        path = media.path(SOURCE, video_id, POSTER_NAME)
        return path if path.is_file() else None

    return source, still
