"""Framing: decide, per shot, how a source fills the output frame (no Dagster inside).

``frame_video`` analyses a video or a span of one (streaming, low rate, low resolution) and
returns a CropPlan: per shot a layout (crop / fit / inset), the reason, and a smoothed crop
path in source pixels. ``filters.plan_filters`` turns a plan into ffmpeg filters for the
render's single pass.
"""

from __future__ import annotations

from pathlib import Path

from pattern_pivot.reframe.analysis import Analysis, analyse
from pattern_pivot.reframe.framing import Rules, fixed_plan, plan_framing
from pattern_pivot.reframe.plan import FRAMINGS, CropPlan, Framing, ShotFraming
from pattern_pivot.reframe.stream import Geometry, geometry


def frame_video(path: Path, target: tuple[int, int], framing: str = "auto",
                start: float = 0.0, end: float | None = None,
                geo: Geometry | None = None, rules: Rules = Rules()) -> CropPlan:
    """The crop plan for ``path`` between ``start`` and ``end`` (source seconds)."""
    if framing not in FRAMINGS:
        raise ValueError(f"framing {framing!r} is not one of {', '.join(FRAMINGS)}")
    geo = geo or geometry(path)
    stop = geo.duration if end is None else end
    if framing != "auto":
        return fixed_plan(framing, (geo.width, geo.height), target, start, stop)
    return plan_framing(analyse(path, start, stop, geo), target, rules)


__all__ = ["FRAMINGS", "Analysis", "CropPlan", "Framing", "Rules", "ShotFraming", "analyse",
           "frame_video", "plan_framing"]
