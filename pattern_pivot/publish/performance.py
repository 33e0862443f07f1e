"""Published performance as ranking weights (off unless PATTERN_PIVOT_WEIGHT_BY_PERFORMANCE=1).

Each published output's views per day, relative to the median of every published output,
says how well what made it worked. Two things carry over to the next remix or short:
- its source videos: retrieval multiplies each chunk's score by its video's factor;
- its hook style (question, number, second person, statement; ``feedback.hook_style``):
  highlight scoring multiplies each clip by the factor of the way it opens.
A factor is the geometric mean of the ratios behind it, square-rooted and bounded to
[1/(1+MAX_LIFT), 1+MAX_LIFT], so a single viral upload nudges the ranking, never rules it.
Topic and mode are the same for every candidate of one request, so they cannot reorder it
and are not weighted.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

from pattern_pivot.publish.feedback import hook_style, plan_hook
from pattern_pivot.settings import EnvReader

if TYPE_CHECKING:
    from pattern_pivot.media.store import MediaStore

WEIGHT_ENV = "PATTERN_PIVOT_WEIGHT_BY_PERFORMANCE"
MAX_LIFT = 0.25
_DAY = 86400.0


def weighting_enabled() -> bool:
    """The setting, read as a yes/no flag (an unusable value counts as off, the default)."""
    return EnvReader().flag(WEIGHT_ENV, False)


def bounded(ratio: float) -> float:
    """A performance ratio (1 = the median) as a ranking factor near 1."""
    if ratio <= 0:
        return 1.0 / (1.0 + MAX_LIFT)
    return min(1.0 + MAX_LIFT, max(1.0 / (1.0 + MAX_LIFT), math.sqrt(ratio)))


@dataclass(frozen=True)
class PerformanceWeights:
    by_source: Mapping[str, float] = field(default_factory=dict)  # catalog video id
    by_hook: Mapping[str, float] = field(default_factory=dict)  # hook style
    outputs: int = 0  # published outputs with stats behind the weights

    def hook(self, text: str) -> float:
        return self.by_hook.get(hook_style(text), 1.0)

    def fingerprint(self) -> str:
        """What changes a cached ranking (sorted, rounded)."""
        return repr((sorted((k, round(v, 3)) for k, v in self.by_source.items()),
                     sorted((k, round(v, 3)) for k, v in self.by_hook.items())))


@dataclass(frozen=True)
class PublishedResult:
    sources: tuple[str, ...]  # the catalog videos the output was cut from
    hook: str
    views_per_day: float


def weights_from(results: Sequence[PublishedResult]) -> PerformanceWeights:
    counted = [r for r in results if r.views_per_day >= 0]
    median = statistics.median(r.views_per_day for r in counted) if counted else 0.0
    if median <= 0:  # nothing to compare with (no views yet): no weighting at all
        return PerformanceWeights()
    logs_by_source: dict[str, list[float]] = {}
    logs_by_hook: dict[str, list[float]] = {}
    for r in counted:
        log_ratio = math.log(max(r.views_per_day, median / 100) / median)
        for source in set(r.sources):
            logs_by_source.setdefault(source, []).append(log_ratio)
        logs_by_hook.setdefault(hook_style(r.hook), []).append(log_ratio)

    def factors(logs: dict[str, list[float]]) -> dict[str, float]:
        return {k: round(bounded(math.exp(statistics.fmean(v))), 4) for k, v in logs.items()}

    return PerformanceWeights(factors(logs_by_source), factors(logs_by_hook), len(counted))


def published_results(publications: Iterable, plan_for: Callable, latest: Callable,
                      now: float) -> list[PublishedResult]:
    """Views per day since upload of each publication (ledger rows) that has stats and a
    plan. ``plan_for(output_id, variant)``: the EditPlan or None; ``latest(video_ids)``: the
    stats store's newest VideoStats per catalog id (uploads join the catalog as yt-<id>)."""
    publications = list(publications)
    stats = latest([f"yt-{p.youtube_id}" for p in publications])
    results = []
    for p in publications:
        row, plan = stats.get(f"yt-{p.youtube_id}"), plan_for(p.output_id, p.variant)
        if row is None or row.views is None or plan is None:
            continue
        days = max(1.0, (now - p.published_at) / _DAY)
        sources = tuple(s.span.video_id for s in plan.shots if s.span is not None)
        results.append(PublishedResult(sources, plan_hook(plan), row.views / days))
    return results


def load_weights(catalog_path: Path, media: MediaStore | Path, open_store: Callable,
                 warn: Callable[[str], None], now: float | None = None) -> PerformanceWeights:
    """The weights from the publish ledger beside the catalog, the rendered plans and the
    stats store's latest numbers; none (and a warning) when the stats store fails."""
    from pattern_pivot.errors import PatternPivotError
    from pattern_pivot.media.store import as_store
    from pattern_pivot.publish.stage import ledger_path
    from pattern_pivot.publish.upload import PublishLedger
    from pattern_pivot.render.stage import load_plans
    from pattern_pivot.stats.store import StatsStoreError

    media = as_store(media)  # the S3 store when media live there, never "s3:/..." as a folder

    def plan_for(output_id: str, variant: int):
        try:
            plans = load_plans(media, output_id)
        except PatternPivotError:
            return None
        return next((p.plan for p in plans if p.plan.variant == variant), None)

    ledger = ledger_path(catalog_path)
    if not ledger.is_file():
        return PerformanceWeights()
    try:
        latest = open_store().latest
        results = published_results(PublishLedger(ledger).all(), plan_for, latest,
                                    time.time() if now is None else now)
    except StatsStoreError as exc:
        warn(f"not weighting by published performance: the stats store failed ({exc})")
        return PerformanceWeights()
    return weights_from(results)
