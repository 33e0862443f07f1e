"""Which catalog segments a remix uses: retrieved from Milvus, re-ranked by the source
videos' engagement when known, diversified across videos (MMR), and fitted to a length.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import numpy as np

from pattern_pivot.remix.request import RemixRequestError
from pattern_pivot.remix.types import SourceSpan
from pattern_pivot.retrieval.embeddings import SentenceEmbedder
from pattern_pivot.retrieval.milvus_store import Hit, MilvusChunkStore
from pattern_pivot.stats.store import VideoStats

# Cosine similarity (all-MiniLM-L6-v2) below which a chunk is not about the topic: measured on
# the sample channel, on-topic chunks score 0.39-0.86, off-topic queries at most 0.25.
MIN_RELEVANCE = 0.3
# ...and a video whose best chunk is far below the best video's is only a side mention
# ("water" in a bread recipe scored 0.35 for a houseplant query whose best was 0.54): keep only
# videos whose best chunk is within 70% of the overall best.
RELATIVE_RELEVANCE = 0.7
ENGAGEMENT_WEIGHT = 0.25  # at most +25% relevance for the most engaging source video
MMR_LAMBDA = 0.7  # 1.0: relevance only; lower: more diversity
SAME_VIDEO_PENALTY = 0.1  # per segment already taken from the same video


def retrieve(query: str, embedder: SentenceEmbedder, store: MilvusChunkStore, *,
             top_k: int = 30, min_relevance: float = MIN_RELEVANCE) -> list[Hit]:
    """Relevant chunks for ``query``, best first; a clear error when none is relevant."""
    if not query.strip():
        raise RemixRequestError("remix request field 'topic'", "is empty",
                                "say what the remix is about")
    hits = store.search(embedder.encode([query]), top_k)[0]
    relevant = [h for h in hits if h.score >= min_relevance]
    if relevant:
        floor = relevant[0].score * RELATIVE_RELEVANCE
        videos = {h.video_id for h in relevant if h.score >= floor}
        relevant = [h for h in relevant if h.video_id in videos]
    else:
        best = f" (best match scored {hits[0].score:.2f}, needs {min_relevance:.2f})" if hits \
            else " (the vector store is empty)"
        raise RemixRequestError(
            f"topic {query[:80]!r}", f"the catalog has nothing on this topic{best}",
            "pick a topic your videos talk about (try `pattern-pivot search \"...\"`), "
            "or add and ingest videos about it")
    return relevant


def engagement_scores(raw: Mapping[str, float], video_ids: Sequence[str]) -> dict[str, float]:
    """Raw engagement (views, or a weighted views/likes/comments figure) per video, as 0..1
    on a log scale relative to the most engaging candidate video; unknown videos get 0."""
    values = {v: math.log1p(max(0.0, float(raw[v]))) for v in set(video_ids) if v in raw}
    top = max(values.values(), default=0.0)
    return {v: (values.get(v, 0.0) / top if top > 0 else 0.0) for v in video_ids}


def engagement_value(views: float, likes: float = 0.0, comments: float = 0.0) -> float:
    """One engagement figure from a video's stats (likes and comments count more than views)."""
    return float(views) + 20.0 * float(likes) + 50.0 * float(comments)


def engagement_from_stats(latest: Mapping[str, VideoStats]) -> dict[str, float]:
    """Engagement per video from the stats store's latest snapshots (`StatsStore.latest`).
    Hidden counts count as 0; a video whose views are hidden has no engagement figure."""
    return {video_id: engagement_value(s.views, s.likes or 0, s.comments or 0)
            for video_id, s in latest.items() if s.views is not None}


def rerank(hits: Sequence[Hit], engagement: Mapping[str, float] | None = None,
           weight: float = ENGAGEMENT_WEIGHT,
           performance: Mapping[str, float] | None = None) -> list[tuple[Hit, float]]:
    """(hit, score) best first; score = relevance * (1 + weight * engagement 0..1), times
    the source video's published-performance factor when weighting by it is on."""
    eng = engagement_scores(engagement or {}, [h.video_id for h in hits])
    lift = performance or {}
    scored = [(h, h.score * (1.0 + weight * eng.get(h.video_id, 0.0))
               * lift.get(h.video_id, 1.0)) for h in hits]
    return sorted(scored, key=lambda pair: (-pair[1], pair[0].video_id, pair[0].start))


def mmr_order(scored: Sequence[tuple[Hit, float]], vectors: np.ndarray, *,
              lam: float = MMR_LAMBDA, same_video_penalty: float = SAME_VIDEO_PENALTY
              ) -> list[tuple[Hit, float]]:
    """Maximal marginal relevance: each next pick balances its score against its similarity
    to what is already picked, with an extra penalty for reusing the same video."""
    remaining = list(range(len(scored)))
    picked: list[int] = []
    while remaining:
        def value(i: int) -> float:
            redundancy = max((float(vectors[i] @ vectors[j]) for j in picked), default=0.0)
            same = sum(scored[j][0].video_id == scored[i][0].video_id for j in picked)
            return lam * scored[i][1] - (1 - lam) * redundancy - same_video_penalty * same
        best = max(remaining, key=lambda i: (value(i), -i))
        picked.append(best)
        remaining.remove(best)
    return [scored[i] for i in picked]


# Engagement per video id, or a function from the candidate video ids to it (a stats store's
# ``latest(video_ids)``, mapped through engagement_value).
EngagementSource = Mapping[str, float] | Callable[[list[str]], Mapping[str, float]]


def candidates(query: str, embedder: SentenceEmbedder, store: MilvusChunkStore, *,
               engagement: EngagementSource | None = None, top_k: int = 30,
               min_relevance: float = MIN_RELEVANCE,
               performance: Mapping[str, float] | None = None) -> list[SourceSpan]:
    """Retrieved, re-ranked and diversified segments, in the order a remix should use them.
    ``score`` on each span is its final ranking score."""
    hits = retrieve(query, embedder, store, top_k=top_k, min_relevance=min_relevance)
    if callable(engagement):
        engagement = engagement(sorted({h.video_id for h in hits}))
    scored = rerank(hits, engagement, performance=performance)
    vectors = embedder.encode([h.text for h, _ in scored])
    return [SourceSpan(video_id=h.video_id, start=h.start, end=h.end, text=h.text,
                       score=round(s, 4))
            for h, s in mmr_order(scored, vectors)]
