"""Framing rules: choose each shot's layout (and say why), and its crop path.

- ``crop`` follows the subject with the largest window of the output's shape, so the
  picture is scaled no more than filling the frame needs (never zoomed in on a face); the
  face keeps a margin on every side and headroom above.
- ``fit`` shows the whole picture over a blurred copy of itself: no face to follow, a
  face too wide for the window (cropping would cut it), or a face on a designed picture
  (a title card, a slide) whose text a crop would cut.
- ``inset`` is for a small face over screen-like content (a webcam in a screen
  recording): the face on top, the whole screen fitted below.
- ``two_up`` is for two people trading turns faster than a crop could follow them (the
  frame holds each speaker ``hold`` seconds) who do not fit one window together: each one's
  head and shoulders in a panel, stacked.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from pattern_pivot.reframe.analysis import Analysis, Sample
from pattern_pivot.reframe.path import follow, keyframes
from pattern_pivot.reframe.plan import Box, CropPlan, Keyframe, ShotFraming, crop_window
from pattern_pivot.reframe.speaking import same_face
from pattern_pivot.reframe.track import speaker, subjects, turns, union


@dataclass(frozen=True)
class Rules:
    margin: float = 0.2  # of the face's width/height, kept clear around it
    min_margin: float = 0.05  # a face wider than the window with this margin gets `fit`
    headroom: float = 0.4  # the face's centre sits this far down a window shorter than the source
    dead_zone: float = 0.06  # of the window: the subject moves this far before the camera does
    max_speed: float = 0.5  # windows per second
    min_face_share: float = 0.3  # of a shot's samples, to frame it on a face
    inset_face_height: float = 0.22  # of the frame height: smaller faces on a screen get an inset
    screen_flatness: float = 0.35  # dominant-colour share above which a picture is a screen
    hold: float = 1.5  # seconds another face must lead before the frame moves to it
    whole_frame: float = 0.97  # window share of the source above which the crop is the frame
    turn_seconds: float = 3.0  # two people changing turns faster than this get `two_up`


CUT_SECONDS = 0.001  # a change of subject: the window jumps within one frame
MAX_PANEL_ZOOM = 2.5  # a two-up panel scales its region of the source at most this much


def center_shot(start: float, end: float, source: tuple[int, int],
                window: tuple[float, float], reason: str = "centre framing asked for"
                ) -> ShotFraming:
    x, y = (source[0] - window[0]) / 2, (source[1] - window[1]) / 2
    return ShotFraming(start, end, "crop", reason, 0, (Keyframe(start, x, y),))


def fixed_plan(framing: str, source: tuple[int, int], target: tuple[int, int],
               start: float, end: float) -> CropPlan:
    """``center`` or ``fit`` framing: one shot, no analysis needed."""
    window = crop_window(source, target)
    shot = (center_shot(start, end, source, window) if framing == "center"
            else ShotFraming(start, end, "fit", "fit framing asked for"))
    return CropPlan(*source, *target, *window, (shot,))


def _filled(boxes: list[Box | None]) -> list[Box]:
    """Samples before the first face take the first face's place."""
    first = next(b for b in boxes if b is not None)
    out, last = [], first
    for b in boxes:
        last = b or last
        out.append(last)
    return out


def _inset_box(face: Box, source: tuple[int, int], panel: tuple[int, int],
               min_height: float = 0.0) -> Box:
    """Head and shoulders around ``face`` (at least ``min_height`` tall), in the panel's
    shape, inside the source."""
    sw, sh = source
    aspect = panel[0] / panel[1]
    h = min(max(face.h * 2.4, min_height), sh, sw / aspect)
    w = h * aspect
    x = min(max(face.cx - w / 2, 0.0), sw - w)
    y = min(max(face.cy + 0.15 * face.h - h / 2, 0.0), sh - h)
    return Box(round(x, 1), round(y, 1), round(w, 1), round(h, 1))


def inset_panels(source: tuple[int, int], target: tuple[int, int]) -> tuple[int, int]:
    """(face panel height, screen panel height): the screen fitted to the full width."""
    tw, th = target
    screen = min(th, round(tw * source[1] / source[0] / 2) * 2)
    return th - screen, screen


def two_up_panels(target: tuple[int, int]) -> tuple[int, int]:
    """(top panel height, bottom panel height) of a two-up frame: halves, even heights."""
    top = target[1] // 4 * 2
    return top, target[1] - top


def _turn_taking(samples: list[Sample], start: float, end: float, source: tuple[int, int],
                 target: tuple[int, int], window: tuple[float, float], rules: Rules
                 ) -> ShotFraming | None:
    """A two-up shot when two people take quick turns speaking and one window cannot hold
    them both (a crop would cut away whoever speaks next); None otherwise."""
    if target[1] < target[0]:
        return None  # two panels stacked in a wide frame would be thin strips
    found = turns(samples)
    people: list[Box] = []
    for _, face in found:
        if not any(same_face(face, p) for p in people):
            people.append(face)
    if len(people) != 2 or len(found) < 3:
        return None
    every = (end - found[0][0]) / len(found)
    if every >= rules.turn_seconds:
        return None
    seen = [[f for s in samples for f in s.faces if same_face(f, p)] for p in people]
    pair = [Box(*(statistics.median(getattr(f, k) for f in faces) for k in "xywh"))
            for faces in seen]
    both = union(pair)
    if both.w + 2 * rules.margin * max(p.w for p in pair) <= window[0] and both.h <= window[1]:
        return None  # one window holds both: the crop frames them together
    top, _ = two_up_panels(target)
    # A small face gets a wider panel rather than a picture blown up past MAX_PANEL_ZOOM.
    panels = tuple(_inset_box(p, source, (target[0], top), top / MAX_PANEL_ZOOM)
                   for p in sorted(pair, key=lambda p: p.cx))
    most = max(len(s.faces) for s in samples)
    return ShotFraming(start, end, "two_up", f"two people take quick turns ({len(found) - 1} "
                       f"speaker changes, a turn every {every:.1f} s) and do not fit one "
                       "window: both stacked, head and shoulders", most, panels=panels)


def _shot(samples: list[Sample], start: float, end: float, source: tuple[int, int],
          target: tuple[int, int], window: tuple[float, float], rules: Rules) -> ShotFraming:
    sw, sh = source
    cw, ch = window
    most = max((len(s.faces) for s in samples), default=0)
    with_face = sum(1 for s in samples if s.faces)
    share = with_face / len(samples) if samples else 0.0
    if cw * ch >= rules.whole_frame * sw * sh:
        return center_shot(start, end, source, window, "the whole frame fits the output")
    if share < rules.min_face_share:
        return ShotFraming(start, end, "fit", f"no face to follow (faces in {with_face} of "
                           f"{len(samples)} samples): whole frame over a blurred copy", most)
    boxes = _filled(subjects(samples, window, rules.margin, rules.hold))
    faces = [s.faces[0] for s in samples if s.faces]
    face_h = statistics.median(f.h for f in faces)
    flat = statistics.median(s.flat for s in samples)
    face_panel, _ = inset_panels(source, target)
    if (face_h < rules.inset_face_height * sh and flat >= rules.screen_flatness
            and face_panel >= 0.25 * target[1]):
        face = Box(statistics.median(f.x for f in faces), statistics.median(f.y for f in faces),
                   statistics.median(f.w for f in faces), face_h)
        return ShotFraming(start, end, "inset", f"small face ({face_h / sh:.0%} of the height) "
                           f"over screen-like content ({flat:.0%} one colour): face on top, "
                           "screen below", most, face=_inset_box(face, source,
                                                                 (target[0], face_panel)))
    if flat >= rules.screen_flatness:
        return ShotFraming(start, end, "fit", f"a face on a designed picture ({flat:.0%} one "
                           "colour: a title card, a slide): a crop would cut its text", most)
    quick = _turn_taking(samples, start, end, source, target, window, rules)
    if quick is not None:
        return quick
    # A face that does not fit the window (in 9 samples out of 10) would be cut by any crop.
    widths, heights = sorted(b.w for b in boxes), sorted(b.h for b in boxes)
    p90 = int(0.9 * (len(boxes) - 1))
    wide, tall = (v * (1 + 2 * rules.min_margin) for v in (widths[p90], heights[p90]))
    if wide > cw or tall > ch:
        side, size, room = ("wider", wide, cw) if wide > cw else ("taller", tall, ch)
        return ShotFraming(start, end, "fit", f"the face ({size:.0f} px with its least "
                           f"margin) is {side} than the {room:.0f} px window: cropping would "
                           "cut it", most)
    # The path spans the whole shot: the first and last subject held to its edges.
    times, held = [start], [boxes[0]]
    for sample, box in zip(samples, boxes):
        if sample.t > times[-1] + 1e-3:
            times.append(sample.t)
            held.append(box)
    if end > times[-1] + 1e-3:
        times.append(end)
        held.append(boxes[-1])
    boxes = held
    # With several people, the frame cuts (in one frame) from one person to the next
    # rather than panning across the room: the path restarts at each change of subject.
    bounds = [0, *(i for i in range(1, len(boxes)) if most > 1
                   and not same_face(boxes[i - 1], boxes[i])), len(boxes)]
    path: list[Keyframe] = []
    for a, b in zip(bounds, bounds[1:]):
        part = _path(times[a:b], boxes[a:b], source, window, rules)
        if path and part[0].t - CUT_SECONDS > path[-1].t:
            path.append(Keyframe(round(part[0].t - CUT_SECONDS, 3), path[-1].x, path[-1].y))
        path += part
    moving = len(path) > 1 and len({(k.x, k.y) for k in path}) > 1
    reason = ("following the face" if moving else "one fixed crop holds the face") + (
        f" ({most} faces)" if most > 1 else "")
    if most > 1 and any(speaker(s) for s in samples):
        reason += ", the active speaker chosen by mouth movement"
    return ShotFraming(start, end, "crop", reason, most, tuple(path))


def _path(times: list[float], boxes: list[Box], source: tuple[int, int],
          window: tuple[float, float], rules: Rules) -> list[Keyframe]:
    """The crop window's keyframes keeping ``boxes`` (one subject) in view at ``times``."""
    sw, sh = source
    cw, ch = window
    # The margin narrows (to nothing) rather than zooming out when a face nearly fills
    # the window.
    mx = [min(rules.margin * b.w, max(0.0, (cw - b.w) / 2)) for b in boxes]
    xs = follow(times, [b.x - m for b, m in zip(boxes, mx)],
                [b.x + b.w + m for b, m in zip(boxes, mx)], cw, sw - cw,
                rules.dead_zone * cw, rules.max_speed * cw)
    # Headroom: the face's centre at ``headroom`` of the window's height, the top of the
    # head (with margin) always inside.
    my = [min(rules.margin * b.h, max(0.0, (ch - b.h) / 2)) for b in boxes]
    ys = follow(times, [b.y - m for b, m in zip(boxes, my)],
                [max(b.y + b.h, b.cy - rules.headroom * ch + ch) for b in boxes], ch, sh - ch,
                rules.dead_zone * ch, rules.max_speed * ch) if ch < sh - 1 else [0.0] * len(times)
    return _merge(keyframes(times, xs), keyframes(times, ys), times, xs, ys)


def _merge(kx, ky, times, xs, ys) -> list[Keyframe]:
    keep = sorted({t for t, _ in kx} | {t for t, _ in ky})
    index = {t: i for i, t in enumerate(times)}
    path = [Keyframe(round(t, 3), round(xs[index[t]], 1), round(ys[index[t]], 1)) for t in keep]
    if len({(k.x, k.y) for k in path}) == 1:
        return path[:1]
    return path


def plan_framing(analysis: Analysis, target: tuple[int, int], rules: Rules = Rules()
                 ) -> CropPlan:
    """The auto framing of an analysed video (or span): one ShotFraming per shot."""
    geo = analysis.geometry
    source = (geo.width, geo.height)
    window = crop_window(source, target)
    bounds = [analysis.start, *analysis.cuts, analysis.end]
    shots = []
    for a, b in zip(bounds, bounds[1:]):
        inside = [s for s in analysis.samples if a <= s.t < b]
        shots.append(_shot(inside, round(a, 3), round(b, 3), source, target, window, rules))
    return CropPlan(*source, *target, *window, tuple(shots))
