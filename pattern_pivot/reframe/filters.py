"""ffmpeg filters that apply a crop plan inside the render's one pass.

A moving crop is a piecewise-linear expression of the frame time built from the plan's
keyframes (evaluated by ffmpeg per frame, never by Python); a plan with several shots
splits the stream, trims each shot out by frame number, frames it, and concatenates.
"""

from __future__ import annotations

from pattern_pivot.reframe.framing import inset_panels, two_up_panels
from pattern_pivot.reframe.plan import Box, CropPlan, Keyframe, ShotFraming

BLUR_DOWNSCALE = 8  # the fit layout's background is blurred at 1/8 size: cheap and soft


def _even(v: float) -> int:
    return max(2, int(round(v / 2)) * 2)


def piecewise(keys: list[tuple[float, float]], offset: float) -> str:
    """A linear interpolation of (time, value) keys at ``t + offset``, held at both ends.

    Written as a flat sum of masked segments rather than nested if()s, so hundreds of
    keyframes stay one shallow expression."""
    if len(keys) == 1 or len({v for _, v in keys}) == 1:
        return f"{keys[0][1]:.2f}"
    T = f"(t+{offset:.4f})"
    terms = [f"lt({T},{keys[0][0]:.4f})*{keys[0][1]:.2f}"]
    for (t0, v0), (t1, v1) in zip(keys, keys[1:]):
        if t1 <= t0:
            continue
        terms.append(f"gte({T},{t0:.4f})*lt({T},{t1:.4f})*({v0:.2f}+{v1 - v0:.2f}*"
                     f"({T}-{t0:.4f})/{t1 - t0:.4f})")
    terms.append(f"gte({T},{keys[-1][0]:.4f})*{keys[-1][1]:.2f}")
    return "+".join(terms)


def _crop(path: tuple[Keyframe, ...], plan: CropPlan, offset: float) -> str:
    w, h = plan.width, plan.height
    # Scale first (the cover scale: the window becomes exactly the output), crop second.
    # Positions are in source pixels; iw/ih are the scaled picture's, hence the ratio.
    x = piecewise([(k.t, k.x) for k in path], offset)
    y = piecewise([(k.t, k.y) for k in path], offset)
    return (f"scale={w}:{h}:force_original_aspect_ratio=increase,format=yuv420p,"
            f"crop={w}:{h}:x='clip(({x})*iw/{plan.source_width},0,iw-{w})'"
            f":y='clip(({y})*ih/{plan.source_height},0,ih-{h})',setsar=1")


def _region(box: Box, plan: CropPlan) -> str:
    """A crop of ``box`` (source pixels) written relative to the input's size."""
    sw, sh = plan.source_width, plan.source_height
    return (f"crop=w=iw*{box.w / sw:.5f}:h=ih*{box.h / sh:.5f}:x=iw*{box.x / sw:.5f}"
            f":y=ih*{box.y / sh:.5f}")


def layout_filters(shot: ShotFraming, plan: CropPlan, src: str, out: str, offset: float,
                   tag: str) -> list[str]:
    """Filter statements framing ``[src]`` as ``shot`` into ``[out]`` (output size, yuv420p).

    ``offset`` is the source time of the stream's t=0; ``tag`` keeps labels unique."""
    w, h = plan.width, plan.height
    if shot.layout == "crop":
        return [f"[{src}]{_crop(shot.path, plan, offset)}[{out}]"]
    if shot.layout == "fit":
        bw, bh = _even(w / BLUR_DOWNSCALE), _even(h / BLUR_DOWNSCALE)
        return [f"[{src}]split=2[{tag}a][{tag}b]",
                f"[{tag}a]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},"
                f"boxblur=3:2,eq=brightness=-0.06,scale={w}:{h},setsar=1[{tag}bg]",
                f"[{tag}b]scale={w}:{h}:force_original_aspect_ratio=decrease,setsar=1[{tag}fg]",
                f"[{tag}bg][{tag}fg]overlay=(W-w)/2:(H-h)/2,format=yuv420p[{out}]"]
    if shot.layout == "two_up":
        top_h, bottom_h = two_up_panels((w, h))
        top, bottom = shot.panels
        return [f"[{src}]split=2[{tag}a][{tag}b]",
                f"[{tag}a]{_region(top, plan)},scale={w}:{top_h},setsar=1[{tag}top]",
                f"[{tag}b]{_region(bottom, plan)},scale={w}:{bottom_h},setsar=1[{tag}bot]",
                f"[{tag}top][{tag}bot]vstack=inputs=2,format=yuv420p[{out}]"]
    assert shot.face is not None
    face_h, screen_h = inset_panels((plan.source_width, plan.source_height), (w, h))
    return [f"[{src}]split=2[{tag}a][{tag}b]",
            f"[{tag}a]{_region(shot.face, plan)},scale={w}:{face_h},setsar=1[{tag}top]",
            f"[{tag}b]scale={w}:{screen_h},setsar=1[{tag}bot]",
            f"[{tag}top][{tag}bot]vstack=inputs=2,format=yuv420p[{out}]"]


def plan_filters(plan: CropPlan, src: str, out: str, fps: float, start: float,
                 tag: str = "r") -> list[str]:
    """Frame the stream ``[src]`` (at ``fps``, its t=0 at source time ``start``) by ``plan``
    into ``[out]``: one layout per shot, cut at the shots' frames, concatenated."""
    shots = plan.shots
    if len(shots) == 1:
        return layout_filters(shots[0], plan, src, out, start, f"{tag}0")
    bounds = [round((s.start - start) * fps) for s in shots[1:]]
    ranges = list(zip([0, *bounds], [*bounds, None]))
    statements = [f"[{src}]split={len(shots)}" + "".join(f"[{tag}s{i}]"
                                                         for i in range(len(shots)))]
    for i, (shot, (first, last)) in enumerate(zip(shots, ranges)):
        end = f":end_frame={last}" if last is not None else ""
        statements.append(f"[{tag}s{i}]trim=start_frame={first}{end},setpts=PTS-STARTPTS"
                          f"[{tag}t{i}]")
        statements += layout_filters(shot, plan, f"{tag}t{i}", f"{tag}o{i}",
                                     start + first / fps, f"{tag}{i}")
    statements.append("".join(f"[{tag}o{i}]" for i in range(len(shots)))
                      + f"concat=n={len(shots)}:v=1:a=0[{out}]")
    return statements
