"""The shorts stages for one video: its highlights (JSON), then each highlight rendered as a
framed, captioned, checked short. Like the other stages they read their inputs from the
media store, write atomically and skip work whose inputs have not changed.

Layout: ``video_highlights/<video>/highlights.json`` ->
``video_shorts/<video>/short-<n>.mp4`` + ``.jpg`` poster, ``.webp`` animated preview,
``.checks.json``, and ``shorts.json`` listing every short with its checks.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from pattern_pivot import ingest
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.hashing import inputs_digest
from pattern_pivot.highlights.find import Embedder, Highlight, find_highlights
from pattern_pivot.highlights.rerank import rerank
from pattern_pivot.llm.providers import ProviderConfig
from pattern_pivot.media.store import MediaStore
from pattern_pivot.progress import render_progress
from pattern_pivot.publish.performance import PerformanceWeights
from pattern_pivot.quality.checks import CheckOutcome, read_outcomes, run_checks, write_outcomes
from pattern_pivot.reframe import analyse, plan_framing
from pattern_pivot.reframe.check import faces_in_frame
from pattern_pivot.remix.select import engagement_scores
from pattern_pivot.remix.types import EditPlan, Shot, SourceSpan
from pattern_pivot.render.engine import RenderOptions, render_plan
from pattern_pivot.render.sources import SourceResolver
from pattern_pivot.render.stage import expectations, write_pictures
from pattern_pivot.transcription.types import Transcript

log = logging.getLogger(__name__)

HIGHLIGHTS_ASSET, SHORTS_ASSET = "video_highlights", "video_shorts"
HIGHLIGHTS_NAME, SHORTS_INDEX = "highlights.json", "shorts.json"
FRAMING_CHECK = "face_in_frame"
MIN_FACE_SHARE = 0.95  # of sampled frames showing a face, kept in view with its margin
_VERSION = "shorts-v1"  # bump when the same inputs should give other highlights or renders


@dataclass(frozen=True)
class ShortsSettings:
    count: int = 3
    min_seconds: float = 15.0
    max_seconds: float = 60.0
    aspect: str = "9:16"

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 20:
            raise PatternPivotError(f"count {self.count}", "is out of range", "ask for 1-20 shorts")


def source_standing(video_id: str, engagement: Mapping[str, float]) -> float | None:
    """How the video performed against the catalog's best (0-1, log scale of the stats
    store's latest engagement); None when its stats are unknown."""
    if video_id not in engagement:
        return None
    return round(engagement_scores(engagement, list(engagement))[video_id], 3)


@dataclass(frozen=True)
class HighlightsOutput:
    highlights: list[Highlight]
    path: Path
    fingerprint: str
    cached: bool
    ranked_by: str = "local"  # or the LLM provider that ordered them


def store_highlights(store: MediaStore, video_id: str, settings: ShortsSettings,
                     embedder: Embedder | None, embedder_name: str = "-",
                     source_stats: float | None = None,
                     providers: Sequence[ProviderConfig] = (),
                     performance: PerformanceWeights | None = None) -> HighlightsOutput:
    """Find and store a video's highlights (cached per transcript, audio and settings).
    With LLM ``providers``, twice as many candidates are picked locally and the first
    provider that answers orders them (any failure keeps the local order)."""
    transcript_out = ingest.stored_output(store, ingest.TRANSCRIPT, video_id,
                                          ingest.TRANSCRIPT_NAME)
    audio_out = ingest.stored_output(store, ingest.AUDIO, video_id, ingest.AUDIO_NAME)
    fingerprint = inputs_digest(transcript_out.fingerprint, audio_out.fingerprint,
                          json.dumps(asdict(settings)), embedder_name, repr(source_stats),
                          ",".join(f"{p.name}={p.model}@{p.base_url}" for p in providers),
                          _VERSION, *([performance.fingerprint()] if performance else []))
    path = store.path(HIGHLIGHTS_ASSET, video_id, HIGHLIGHTS_NAME)
    if store.is_current(HIGHLIGHTS_ASSET, video_id, HIGHLIGHTS_NAME, fingerprint):
        stored = json.loads(path.read_text(encoding="utf-8"))
        return HighlightsOutput(read_highlights(path), path, fingerprint, True,
                                stored.get("ranked_by", "local"))
    found = find_highlights(Transcript.read_json(transcript_out.path), audio_out.path,
                            subject=f"video {video_id}", embedder=embedder,
                            count=settings.count * (2 if providers else 1),
                            min_seconds=settings.min_seconds,
                            max_seconds=settings.max_seconds, source_stats=source_stats,
                            performance=_lift(video_id, performance))
    ranking: dict = {"ranked_by": "local", "providers_tried": []}
    if providers:
        found, ranking = rerank(found, providers, settings.count)
    with store.atomic_write(HIGHLIGHTS_ASSET, video_id, HIGHLIGHTS_NAME, fingerprint) as tmp:
        tmp.write_text(json.dumps({"video_id": video_id, "settings": asdict(settings),
                                   **ranking, "highlights": [h.to_dict() for h in found]},
                                  indent=1), encoding="utf-8")
    return HighlightsOutput(found, path, fingerprint, False, ranking["ranked_by"])


def _lift(video_id: str, weights: PerformanceWeights | None):
    """A clip's published-performance factor: its opening's hook style, times its video's."""
    if weights is None or not weights.outputs:
        return None
    source = weights.by_source.get(video_id, 1.0)
    return lambda first_sentence: weights.hook(first_sentence) * source


def read_highlights(path: Path) -> list[Highlight]:
    return [Highlight.from_dict(h)
            for h in json.loads(Path(path).read_text(encoding="utf-8"))["highlights"]]


def short_plan(video_id: str, n: int, highlight: Highlight, aspect: str) -> EditPlan:
    """One highlight as a supercut of a single kept-audio shot: captions come from the
    source transcript's words, framing follows the speaker."""
    span = SourceSpan(video_id=video_id, start=highlight.start, end=highlight.end,
                      text=highlight.text, score=highlight.score)
    return EditPlan(request_id=f"short-{video_id}", variant=n, mode="supercut", aspect=aspect,
                    framing="auto", target_seconds=round(span.duration, 3),
                    shots=(Shot(kind="source", duration=round(span.duration, 3), span=span,
                                source_audio=True, role="body"),),
                    title=highlight.title)


def framing_check(source: Path, start: float, end: float,
                  frame: tuple[int, int]) -> CheckOutcome:
    """The share of sampled frames showing a face in which the crop keeps it in view with
    its margin (the same analysis and rules the render's framing uses)."""
    analysis = analyse(source, start, end)
    plan = plan_framing(analysis, frame)
    share = faces_in_frame(analysis, plan)
    with_face = sum(1 for s in analysis.samples if s.faces)
    passed = share >= MIN_FACE_SHARE
    return CheckOutcome(FRAMING_CHECK, passed,
                        f"face in frame with margin in {share:.0%} of {with_face} sampled "
                        f"frames showing one (at least {MIN_FACE_SHARE:.0%})",
                        {"share": round(share, 3), "frames_with_face": with_face,
                         "layouts": [s.layout for s in plan.shots]})


@dataclass(frozen=True)
class ShortOutput:
    index: int
    highlight: Highlight
    path: Path
    poster: Path
    preview: Path
    checks: tuple[CheckOutcome, ...]
    cached: bool

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict:
        h = self.highlight
        return {"start": h.start, "end": h.end, "score": h.score, "title": h.title,
                "reasons": list(h.reasons), "reason": h.reason, "video": str(self.path),
                "poster": str(self.poster), "preview": str(self.preview),
                "passed": self.passed,
                "checks": {c.name: {"passed": c.passed, "description": c.description}
                           for c in self.checks}}


def short_names(n: int) -> dict[str, str]:
    return {"video": f"short-{n}.mp4", "poster": f"short-{n}.jpg",
            "preview": f"short-{n}.webp", "checks": f"short-{n}.checks.json"}


def store_short(store: MediaStore, video_id: str, n: int, highlight: Highlight,
                sources: SourceResolver, aspect: str, options: RenderOptions,
                highlights_fingerprint: str,
                progress: Callable[[float, float, int, int], None] | None = None
                ) -> ShortOutput:
    """Render, preview and check one short (skipped when nothing changed)."""
    plan = short_plan(video_id, n, highlight, aspect)
    names = short_names(n)
    paths = {k: store.path(SHORTS_ASSET, video_id, v) for k, v in names.items()}
    fingerprint = inputs_digest(highlights_fingerprint, plan.model_dump_json(), repr(options),
                          _VERSION)
    if all(store.is_current(SHORTS_ASSET, video_id, v, fingerprint) for v in names.values()):
        return ShortOutput(n, highlight, paths["video"], paths["poster"], paths["preview"],
                           tuple(read_outcomes(paths["checks"])), True)
    log.info("rendering short %d of %s: %.1f-%.1f s", n, video_id, highlight.start,
             highlight.end)
    frame = options.frame_size or plan.frame_size
    with store.atomic_write(SHORTS_ASSET, video_id, names["video"], fingerprint) as tmp:
        result = render_plan(plan, tmp, sources, None, options, progress)
        outcomes = run_checks(tmp, expectations(plan, options, result.words,
                                                result.shot_seconds))
        outcomes.append(framing_check(sources(video_id).path, highlight.start, highlight.end,
                                      frame))
        write_pictures(store, SHORTS_ASSET, video_id, names, fingerprint, tmp, result.duration)
    with store.atomic_write(SHORTS_ASSET, video_id, names["checks"], fingerprint) as tmp:
        write_outcomes(outcomes, tmp)
    return ShortOutput(n, highlight, paths["video"], paths["poster"], paths["preview"],
                       tuple(outcomes), False)


def store_shorts(store: MediaStore, video_id: str, sources: SourceResolver,
                 options: RenderOptions, aspect: str = "9:16",
                 log: Callable[[str], None] | None = None) -> list[ShortOutput]:
    """Every stored highlight of ``video_id`` as a short, plus ``shorts.json`` listing them;
    ``log`` gets a few progress lines a minute per short."""
    high = ingest.stored_output(store, HIGHLIGHTS_ASSET, video_id, HIGHLIGHTS_NAME)
    outputs = [store_short(store, video_id, n, h, sources, aspect, options, high.fingerprint,
                           render_progress(log, f"short {n} rendered") if log else None)
               for n, h in enumerate(read_highlights(high.path), start=1)]
    index = json.dumps({"video_id": video_id, "shorts": [o.to_dict() for o in outputs]},
                       indent=1)
    with store.atomic_write(SHORTS_ASSET, video_id, SHORTS_INDEX, inputs_digest(index)) as tmp:
        tmp.write_text(index, encoding="utf-8")
    return outputs
