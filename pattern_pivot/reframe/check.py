"""How well a crop plan keeps the analysed faces in view: the share of sampled faces that
the output shows whole with a margin (for a framing quality check on shorts)."""

from __future__ import annotations

from pattern_pivot.reframe.analysis import Analysis
from pattern_pivot.reframe.plan import Box, CropPlan, ShotFraming


def window_at(shot: ShotFraming, t: float) -> tuple[float, float]:
    """The crop window's top-left at source time ``t`` (linear between keyframes)."""
    path = shot.path
    if t <= path[0].t:
        return path[0].x, path[0].y
    for a, b in zip(path, path[1:]):
        if t < b.t:
            f = (t - a.t) / (b.t - a.t) if b.t > a.t else 0.0
            return a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f
    return path[-1].x, path[-1].y


def _shows(shot: ShotFraming, plan: CropPlan, face: Box, t: float, margin: float) -> bool:
    if shot.layout == "fit":
        return True  # the whole picture is on screen
    if shot.layout == "inset":
        assert shot.face is not None
        regions = [shot.face]
    elif shot.layout == "two_up":
        regions = list(shot.panels)
    else:
        x, y = window_at(shot, t)
        regions = [Box(x, y, plan.window_width, plan.window_height)]
    mx, my = margin * face.w, margin * face.h
    return any(face.x - mx >= r.x - 1 and face.y - my >= r.y - 1
               and face.x + face.w + mx <= r.x + r.w + 1
               and face.y + face.h + my <= r.y + r.h + 1 for r in regions)


def faces_in_frame(analysis: Analysis, plan: CropPlan, margin: float = 0.05) -> float:
    """Share of samples showing a face in which the output keeps a face in view with
    ``margin`` (of the face's size) clear; 1.0 when no sample shows a face. Any face: with
    several people the crop follows the speaker, who need not be the largest."""
    seen = kept = 0
    for sample in analysis.samples:
        if not sample.faces:
            continue
        shot = next((s for s in plan.shots if s.start <= sample.t < s.end), plan.shots[-1])
        seen += 1
        kept += any(_shows(shot, plan, face, sample.t, margin) for face in sample.faces)
    return kept / seen if seen else 1.0
