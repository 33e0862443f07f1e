"""A channel's statistics at a glance: top videos, growth per day, and a PNG chart.

Growth is measured only from rows read on their own day: a backfilled day holds the numbers
of the day it ran, so counting it would invent growth (all of it on the last real day, none
on the backfilled ones). Such days are listed as skipped, with the day they were read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
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
    views_per_day: float | None  # growth between its last two snapshots read on their day


@dataclass(frozen=True)
class ChannelSummary:
    channel_id: str
    days: tuple[str, ...]  # snapshot days read on their own day
    total_views: tuple[int, ...]  # per day, over the videos with visible counts
    # Views gained per day between consecutive days, over the videos counted on both.
    growth_per_day: tuple[float, ...]
    top: tuple[TopVideo, ...]
    skipped_days: tuple[tuple[str, str], ...] = ()  # (day, why): read later, not measured


def _gap(a: str, b: str) -> int:
    return max((date.fromisoformat(b) - date.fromisoformat(a)).days, 1)


def _read_on(fetched_at: float) -> str:
    return datetime.fromtimestamp(fetched_at, timezone.utc).date().isoformat()


def summarise(channel_id: str, rows: Sequence[VideoStats], top_n: int = 10) -> ChannelSummary:
    by_day: dict[str, dict[str, int]] = {}  # day -> video -> views, rows read on their day
    late: dict[str, float] = {}  # day -> when its numbers were read, for days read later
    by_video: dict[str, list[VideoStats]] = defaultdict(list)
    for row in rows:
        by_video[row.video_id].append(row)
        if not row.fetched_on_day:
            late[row.snapshot_date] = max(late.get(row.snapshot_date, 0.0), row.fetched_at)
            continue
        views = by_day.setdefault(row.snapshot_date, {})  # a real day, even if all hidden
        if row.views is not None:
            views[row.video_id] = row.views
    days = tuple(sorted(by_day))
    growth = []
    for a, b in zip(days, days[1:]):
        both = by_day[a].keys() & by_day[b].keys()  # a newly listed video is not growth
        growth.append(sum(by_day[b][v] - by_day[a][v] for v in both) / _gap(a, b))
    skipped = tuple((day, f"backfilled: numbers read on {_read_on(late[day])}")
                    for day in sorted(late.keys() - by_day.keys()))
    top = []
    for video_id, history in by_video.items():
        history.sort(key=lambda r: r.snapshot_date)
        last = history[-1]  # the newest numbers, whenever they were read
        real = [r for r in history if r.fetched_on_day and r.views is not None]
        rate = None
        if len(real) > 1:
            rate = (real[-1].views - real[-2].views) / _gap(real[-2].snapshot_date,
                                                            real[-1].snapshot_date)
        top.append(TopVideo(video_id, last.title, last.views, last.likes, last.comments, rate))
    top.sort(key=lambda t: (-(t.views or -1), t.video_id))
    return ChannelSummary(channel_id, days, tuple(sum(by_day[d].values()) for d in days),
                          tuple(growth), tuple(top[:top_n]), skipped)


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
    if summary.skipped_days:
        lines += ["", "Growth leaves out the days not read on their own day: " + ", ".join(
            f"{day} ({why})" for day, why in summary.skipped_days)]
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
