"""A channel's statistics at a glance: top videos, growth per day, and a PNG chart."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Sequence

from pattern_pivot.stats.store import VideoStats


@dataclass(frozen=True)
class TopVideo:
    video_id: str
    title: str
    views: int | None
    likes: int | None
    comments: int | None
    views_per_day: float | None  # growth between its last two snapshots


@dataclass(frozen=True)
class ChannelSummary:
    channel_id: str
    days: tuple[str, ...]
    total_views: tuple[int, ...]  # per day, over the videos with visible counts
    growth_per_day: tuple[float, ...]  # views gained per day between snapshot days
    top: tuple[TopVideo, ...]


def _gap(a: str, b: str) -> int:
    return max((date.fromisoformat(b) - date.fromisoformat(a)).days, 1)


def summarise(channel_id: str, rows: Sequence[VideoStats], top_n: int = 10) -> ChannelSummary:
    by_day: dict[str, int] = defaultdict(int)
    by_video: dict[str, list[VideoStats]] = defaultdict(list)
    for row in rows:
        by_day[row.snapshot_date] += row.views or 0
        by_video[row.video_id].append(row)
    days = tuple(sorted(by_day))
    growth = tuple((by_day[b] - by_day[a]) / _gap(a, b) for a, b in zip(days, days[1:]))
    top = []
    for video_id, history in by_video.items():
        history.sort(key=lambda r: r.snapshot_date)
        last = history[-1]
        rate = None
        if len(history) > 1 and last.views is not None and history[-2].views is not None:
            rate = (last.views - history[-2].views) / _gap(history[-2].snapshot_date,
                                                           last.snapshot_date)
        top.append(TopVideo(video_id, last.title, last.views, last.likes, last.comments, rate))
    top.sort(key=lambda t: (-(t.views or -1), t.video_id))
    return ChannelSummary(channel_id, days, tuple(by_day[d] for d in days), growth,
                          tuple(top[:top_n]))


def summary_markdown(summary: ChannelSummary) -> str:
    lines = [f"**{summary.channel_id}**: {len(summary.days)} snapshot days",
             "", "| video | title | views | likes | comments | views/day |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for t in summary.top:
        def show(value):
            return "hidden" if value is None else f"{value:,}"
        rate = "-" if t.views_per_day is None else f"{t.views_per_day:,.1f}"
        lines.append(f"| {t.video_id} | {t.title[:60]} | {show(t.views)} | {show(t.likes)} | "
                     f"{show(t.comments)} | {rate} |")
    return "\n".join(lines)


def render_chart(summaries: Sequence[ChannelSummary], path: Path) -> Path:
    """Total views per day for each channel (left) and its top videos (right), as PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display: a server renders files
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), dpi=80)
    try:
        for s in summaries:
            left.plot(list(s.days), list(s.total_views), marker="o", label=s.channel_id)
        left.set_title("Total views per day")
        left.tick_params(axis="x", rotation=45)
        if summaries:
            left.legend(fontsize="small")
        top = sorted((t for s in summaries for t in s.top if t.views is not None),
                     key=lambda t: t.views or 0)[-8:]
        right.barh([t.title[:28] or t.video_id for t in top], [t.views for t in top])
        right.set_title("Top videos by views")
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
