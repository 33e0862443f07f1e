"""Pick the top clips without overlaps, spread over the video: a candidate close to one
already picked is marked down, so three picks are not three takes of the same minute."""

from __future__ import annotations

import math
from typing import Sequence

from pattern_pivot.highlights.windows import Window

SPREAD_WEIGHT = 0.15


def pick(windows: Sequence[Window], scores: Sequence[float], count: int,
         duration: float) -> list[int]:
    """Indices of up to ``count`` non-overlapping windows, best first."""
    scale = max(duration / (count + 1), 1.0)
    chosen: list[int] = []
    remaining = set(range(len(windows)))
    while remaining and len(chosen) < count:
        def adjusted(i: int) -> float:
            w = windows[i]
            near = max((math.exp(-max(0.0, max(windows[c].start - w.end,
                                               w.start - windows[c].end)) / scale)
                        for c in chosen), default=0.0)
            return scores[i] - SPREAD_WEIGHT * near
        best = max(remaining, key=lambda i: (adjusted(i), -windows[i].start))
        chosen.append(best)
        b = windows[best]
        remaining = {i for i in remaining
                     if windows[i].end <= b.start or windows[i].start >= b.end}
    return chosen
