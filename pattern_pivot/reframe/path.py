"""A smooth crop path along one axis: hold still while the subject allows it, otherwise
follow with a dead zone and a bounded speed, then keep only the keyframes that matter."""

from __future__ import annotations

import statistics


def _median3(values: list[float]) -> list[float]:
    if len(values) < 3:
        return list(values)
    return [values[0], *(statistics.median(values[i - 1:i + 2])
                         for i in range(1, len(values) - 1)), values[-1]]


def follow(times: list[float], lows: list[float], highs: list[float], window: float,
           limit: float, dead_zone: float, max_speed: float) -> list[float]:
    """Window positions (its low edge, 0..limit) per sample that keep [low, high] inside.

    ``lows``/``highs`` are the subject's edges with margin. A fixed position when one can
    hold every sample; otherwise the window centre trails the subject's centre by at most
    ``dead_zone`` and moves at most ``max_speed`` per second, except where that would
    lose the subject."""
    def clamp(v: float) -> float:
        return min(max(v, 0.0), limit)

    if max(highs) - min(lows) <= window:  # one fixed window holds the subject throughout
        fixed = clamp((max(highs) + min(lows)) / 2 - window / 2)
        return [fixed] * len(times)
    centres = _median3([(lo + hi) / 2 for lo, hi in zip(lows, highs)])
    pos = clamp(centres[0] - window / 2)
    out = []
    for i, (t, centre) in enumerate(zip(times, centres)):
        if i:
            gap = centre - (pos + window / 2)
            if abs(gap) > dead_zone:
                step = min(abs(gap) - dead_zone, max_speed * (t - times[i - 1]))
                pos = clamp(pos + step * (1 if gap > 0 else -1))
        # Never lose the subject for smoothness: it beats a late pan.
        if highs[i] - lows[i] <= window:
            pos = clamp(min(max(pos, highs[i] - window), lows[i]))
        out.append(pos)
    return out


def keyframes(times: list[float], values: list[float], tolerance: float = 1.0
              ) -> list[tuple[float, float]]:
    """The fewest points whose linear interpolation stays within ``tolerance`` px."""
    points = list(zip(times, values))
    if len(points) <= 2:
        return points
    kept = [points[0]]
    anchor = 0
    for i in range(2, len(points)):
        t0, v0 = points[anchor]
        t1, v1 = points[i]
        ok = all(abs(v0 + (v1 - v0) * (points[j][0] - t0) / (t1 - t0) - points[j][1])
                 <= tolerance for j in range(anchor + 1, i))
        if not ok:
            anchor = i - 1
            kept.append(points[anchor])
    kept.append(points[-1])
    return kept
