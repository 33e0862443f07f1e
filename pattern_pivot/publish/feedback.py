"""What performs: published outputs joined with their latest stats, grouped by what made
them (topic, mode, length, hook style), as a table and a chart.

Uploaded outputs join the catalog as ``yt-`` videos (``stage.publish``), so the daily
``video_stats`` snapshot counts their views and likes like any other video's; this module
only reads. Groups are ranked by median views (a few viral outliers do not carry a group).
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

LENGTH_BUCKETS = ((30, "≤30 s"), (60, "31-60 s"), (180, "61-180 s"))


@dataclass(frozen=True)
class PublishedOutcome:
    youtube_id: str
    topic: str
    mode: str
    seconds: float
    hook: str  # the first line said (or shown)
    views: int | None
    likes: int | None


def hook_style(hook: str) -> str:
    """A coarse label for how the video opens."""
    text = hook.strip()
    if not text:
        return "none"
    if text.endswith("?"):
        return "question"
    if re.match(r"^\W*\d", text):
        return "number"
    if re.match(r"(?i)^\W*(you|your|imagine|picture)\b", text):
        return "second person"
    return "statement"


def length_bucket(seconds: float) -> str:
    return next((label for limit, label in LENGTH_BUCKETS if seconds <= limit), ">180 s")


@dataclass(frozen=True)
class GroupRow:
    dimension: str
    value: str
    videos: int
    median_views: float
    like_rate: float | None  # likes per view


def group_rows(outcomes: Sequence[PublishedOutcome]) -> list[GroupRow]:
    """Per dimension, each value's median views and like rate, best first."""
    keys = {"topic": lambda o: o.topic or "(story)", "mode": lambda o: o.mode,
            "length": lambda o: length_bucket(o.seconds), "hook": lambda o: hook_style(o.hook)}
    rows = []
    counted = [o for o in outcomes if o.views is not None]
    for dimension, key in keys.items():
        groups: dict[str, list[PublishedOutcome]] = {}
        for outcome in counted:
            groups.setdefault(key(outcome), []).append(outcome)
        ranked = []
        for value, members in groups.items():
            views = sum(o.views or 0 for o in members)
            likes = [o.likes for o in members if o.likes is not None]
            ranked.append(GroupRow(dimension, value, len(members),
                                   statistics.median(o.views or 0 for o in members),
                                   sum(likes) / views if likes and views else None))
        rows += sorted(ranked, key=lambda r: (-r.median_views, r.value))
    return rows


def report_markdown(rows: Sequence[GroupRow], published: int) -> str:
    if not rows:
        return (f"{published} published output(s), none with stats yet: the daily "
                "video_stats snapshot counts them once YouTube reports their views.")
    lines = ["| by | value | videos | median views | likes per view |", "|---|---|---|---|---|"]
    for r in rows:
        rate = f"{r.like_rate:.1%}" if r.like_rate is not None else "-"
        lines.append(f"| {r.dimension} | {r.value} | {r.videos} | {r.median_views:g} | "
                     f"{rate} |")
    return "\n".join(lines)


def render_report_chart(rows: Sequence[GroupRow], path: Path) -> Path:
    """Median views per value, one panel per dimension, as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dimensions = list(dict.fromkeys(r.dimension for r in rows)) or ["topic"]
    fig, axes = plt.subplots(1, len(dimensions), figsize=(3.2 * len(dimensions), 3), dpi=80,
                             squeeze=False)
    try:
        for ax, dimension in zip(axes[0], dimensions):
            mine = [r for r in rows if r.dimension == dimension][::-1]
            ax.barh([r.value[:24] for r in mine], [r.median_views for r in mine])
            ax.set_title(f"median views by {dimension}", fontsize="small")
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path


def plan_hook(plan) -> str:
    """The first line an output says (or shows)."""
    if plan.script and plan.script.lines:
        return plan.script.lines[0].text
    return next((s.text or s.narration or "" for s in plan.shots if s.text or s.narration), "")


def gather(publications, request_for, plan_for, latest) -> list[PublishedOutcome]:
    """Outcomes of ``publications`` (ledger rows). ``request_for(output_id)``: the remix
    request or None; ``plan_for(output_id, variant)``: its edit plan or None;
    ``latest(video_ids)``: the stats store's latest VideoStats by catalog video id."""
    stats = latest([f"yt-{p.youtube_id}" for p in publications])
    outcomes = []
    for p in publications:
        request, plan = request_for(p.output_id), plan_for(p.output_id, p.variant)
        hook = plan_hook(plan) if plan is not None else ""
        row = stats.get(f"yt-{p.youtube_id}")
        outcomes.append(PublishedOutcome(
            p.youtube_id, request.topic if request else "", plan.mode if plan else "?",
            plan.duration if plan else 0.0, hook, row.views if row else None,
            row.likes if row else None))
    return outcomes
