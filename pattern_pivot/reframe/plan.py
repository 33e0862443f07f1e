"""A crop plan: how each shot of a source is framed for the output, as plain data.

Times are seconds on the source's timeline; boxes are in display pixels of the source
(after its rotation metadata is applied). Everything round-trips through JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal, get_args

from pattern_pivot.remix.types import Framing

Layout = Literal["crop", "fit", "inset", "two_up"]
FRAMINGS: tuple[str, ...] = get_args(Framing)


@dataclass(frozen=True)
class Keyframe:
    """The crop window's top-left corner at time ``t``; linear in between keyframes."""

    t: float
    x: float
    y: float


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass(frozen=True)
class ShotFraming:
    """One shot: ``crop`` follows ``path`` with a ``window``-sized crop; ``fit`` shows the
    whole frame over a blurred copy of itself; ``inset`` puts ``face`` (a region of the
    source) on top and the whole frame fitted below; ``two_up`` stacks ``panels`` (two
    regions of the source, head and shoulders of two people), each half the height."""

    start: float
    end: float
    layout: Layout
    reason: str
    faces: int = 0  # most faces seen in one sample of the shot
    path: tuple[Keyframe, ...] = ()
    face: Box | None = None  # the inset's top panel, source pixels
    panels: tuple[Box, ...] = ()  # two_up: the top and bottom panels, source pixels

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ShotFraming":
        return cls(**{**data, "path": tuple(Keyframe(**k) for k in data.get("path", ())),
                      "face": Box(**data["face"]) if data.get("face") else None,
                      "panels": tuple(Box(**b) for b in data.get("panels", ()))})


@dataclass(frozen=True)
class CropPlan:
    source_width: int
    source_height: int
    width: int  # the output frame
    height: int
    window_width: float  # the crop window in source pixels: the largest of the output's shape
    window_height: float
    shots: tuple[ShotFraming, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {**{k: v for k, v in asdict(self).items() if k != "shots"},
                "shots": [s.to_dict() for s in self.shots]}

    @classmethod
    def from_dict(cls, data: dict) -> "CropPlan":
        return cls(**{**data, "shots": tuple(ShotFraming.from_dict(s) for s in data["shots"])})


def crop_window(source: tuple[int, int], target: tuple[int, int]) -> tuple[float, float]:
    """The largest window of the target's shape inside the source: scaling it to the
    target is the smallest scale that fills the frame, so nothing is zoomed in further."""
    sw, sh = source
    tw, th = target
    if sw * th >= sh * tw:  # the source is wider than the target
        return sh * tw / th, float(sh)
    return float(sw), sw * th / tw
