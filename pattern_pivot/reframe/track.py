"""The subject of each sample: the face (or group of faces) the frame should hold.

Faces are tracked from sample to sample by position, so a detector miss or a second face
does not make the frame jump; the frame moves to another person only after that person
has been the larger face for ``hold`` seconds (no ping-pong between two people).
"""

from __future__ import annotations

from pattern_pivot.reframe.analysis import Sample
from pattern_pivot.reframe.plan import Box


def union(boxes: list[Box]) -> Box:
    x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
    x1, y1 = max(b.x + b.w for b in boxes), max(b.y + b.h for b in boxes)
    return Box(x0, y0, x1 - x0, y1 - y0)


def _same(a: Box, b: Box) -> bool:
    return abs(a.cx - b.cx) <= max(a.w, b.w) and abs(a.cy - b.cy) <= max(a.h, b.h)


def subjects(samples: list[Sample], window: tuple[float, float], margin: float,
             hold: float = 1.5) -> list[Box | None]:
    """Per sample, the box to keep in frame (None before the first face is seen).

    Several faces that fit in one window together are framed together; otherwise the
    tracked person is followed."""
    cw, ch = window
    current: Box | None = None
    lost_since: float | None = None  # the followed face has not been seen since
    rival_since: float | None = None  # another face has been the largest since
    out: list[Box | None] = []
    for sample in samples:
        faces, t = list(sample.faces), sample.t
        if not faces:
            out.append(current)
            continue
        largest = faces[0]
        match = next((f for f in faces if current is not None and _same(f, current)), None)
        if current is None:
            current = largest
        elif match is None:
            lost_since = t if lost_since is None else lost_since
            if t - lost_since >= hold:
                current, lost_since, rival_since = largest, None, None
        else:
            lost_since = None
            if match is largest:
                current, rival_since = match, None
            else:
                rival_since = t if rival_since is None else rival_since
                current = largest if t - rival_since >= hold else match
                if current is largest:
                    rival_since = None
        group = union(faces)
        if len(faces) > 1 and group.w + 2 * margin * largest.w <= cw and group.h <= ch:
            out.append(group)
        else:
            out.append(current)
    return out
