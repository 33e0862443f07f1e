"""Who is speaking: per tracked face, how much its mouth moves.

A face's mouth openness is read a few times a second while more than one face is in the
picture; its speaking score at a face sample is the spread (standard
deviation) of those readings over ``WINDOW`` seconds centred on the sample. A talking mouth
opens and closes several times a second (a spread of 0.05-0.2 of the mouth's width); a
still or listening one barely changes (below 0.02), however open it is.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field

from pattern_pivot.reframe.plan import Box

WINDOW = 1.5  # seconds of readings per score (4-5 readings)
MIN_READINGS = 3  # fewer readings in the window give no score
MAX_FACES = 3  # only the largest faces are measured: a crowd would cost a mesh per face


def same_face(a: Box, b: Box) -> bool:
    """The same person in two nearby samples: centres closer than the face's size."""
    return abs(a.cx - b.cx) <= max(a.w, b.w) and abs(a.cy - b.cy) <= max(a.h, b.h)


@dataclass
class _Track:
    box: Box
    readings: deque = field(default_factory=deque)  # (t, openness)


class MouthTracks:
    """Face tracks (matched by position from one face sample to the next) and their
    recent mouth readings. Only ``WINDOW`` seconds of readings are kept per track."""

    def __init__(self) -> None:
        self._tracks: list[_Track] = []

    def update(self, faces: list[Box]) -> None:
        """A new face sample (largest first): each face continues its nearest track or
        starts one; tracks no face continues end."""
        free = list(self._tracks)
        tracks = []
        for face in faces[:MAX_FACES]:
            match = next((tr for tr in free if same_face(tr.box, face)), None)
            if match is None:
                match = _Track(face)
            else:
                free.remove(match)
                match.box = face
            tracks.append(match)
        self._tracks = tracks

    def boxes(self) -> list[Box]:
        return [tr.box for tr in self._tracks]

    def record(self, t: float, openness: list[float | None]) -> None:
        """Readings at ``t``, one per track (None: no reading)."""
        for track, value in zip(self._tracks, openness):
            if value is not None:
                track.readings.append((t, value))
            while track.readings and track.readings[0][0] < t - 2 * WINDOW:
                track.readings.popleft()

    def scores(self, t: float) -> tuple[float, ...]:
        """Per track (the latest sample's faces, in order), the speaking score around ``t``
        (0.0 with too few readings)."""
        out = []
        for track in self._tracks:
            values = [v for s, v in track.readings if abs(s - t) <= WINDOW / 2 + 1e-6]
            out.append(round(statistics.pstdev(values), 4) if len(values) >= MIN_READINGS
                       else 0.0)
        return tuple(out)
