"""The ffmpeg command for one edit plan: inputs, one filter graph, encoder settings.

Inputs: one per source, however many shots cut it (``segments``: the pieces it needs, read
in output order through one decoder), and one per distinct still or card; shots sharing an
input get their own branch of it (split). Video, per shot: the span is trimmed out of its
source's input, brought to the frame rate, framed by its crop plan (pattern_pivot.reframe:
per shot of the span a crop that follows the face, the whole frame over a blurred copy, or a
face inset over the fitted screen; always scaled first and cropped second, so no crop is
upscaled more than the frame needs), and held on its last frame if the source ends early; a
still is framed the same way and a card fills the frame, then both get a gentle zoom/pan
(zoompan, one input frame expanded to the shot's frames; a pan at a fixed zoom is a window
sliding over the picture scaled once). Shots are concatenated and the ASS
captions burned on top.
Audio: a bed of the source sound of kept-audio shots (silence elsewhere), the narration over
it, optional background music ducked under both (sidechaincompress), then the measured
loudness gain and a true-peak limiter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from pattern_pivot.errors import MediaError
from pattern_pivot.reframe.filters import layout_filters, plan_filters
from pattern_pivot.reframe.plan import CropPlan
from pattern_pivot.render.segments import SourceRead
from pattern_pivot.render.sources import SourceMedia
from pattern_pivot.render.timeline import PlacedShot

AUDIO_FORMAT = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"
SOURCE_END_MARGIN = 1.0  # seconds: a video stream may end this much before its container
CUT_FADE_SECONDS = 0.03  # kept-audio shots fade in and out this fast at every cut
# Camera moves for stills and cards, cycled: (zoom from, zoom to, pan x from, pan x to).
MOVES = ((1.0, 1.1, 0.5, 0.5), (1.1, 1.0, 0.5, 0.5), (1.08, 1.08, 0.2, 0.8),
         (1.08, 1.08, 0.8, 0.2))


@dataclass
class GraphInputs:
    args: list[str | Path] = field(default_factory=list)
    count: int = 0

    def add(self, *args: str | Path) -> int:
        self.args += list(args)
        self.count += 1
        return self.count - 1


@dataclass(frozen=True)
class Frame:
    width: int
    height: int
    fps: int


@dataclass(frozen=True)
class ShotInput:
    placed: PlacedShot
    image: Path | None = None  # stills and drawn cards
    source: SourceMedia | None = None
    read: SourceRead | None = None  # the source's shared input
    framing: CropPlan | None = None  # None: scale to cover and crop the centre

    @property
    def at(self) -> float:
        """Where the span starts on its source input's timeline (seconds)."""
        return self.read.at[self.placed.index] if self.read is not None else 0.0

    @property
    def keeps_sound(self) -> bool:
        return (self.placed.shot.source_audio and self.source is not None
                and self.source.info.audio is not None)


def _frames(start: float, end: float, fps: int) -> int:
    return max(1, round(end * fps) - round(start * fps))


def _lerp(a: float, b: float, n: int, var: str = "on") -> str:
    """From ``a`` at frame 0 to ``b`` at frame n - 1 (``var``: the filter's frame number)."""
    return f"{a:.4f}" if a == b else f"({a:.4f}+({b - a:.4f})*{var}/{max(n - 1, 1)})"


def _framed(item: ShotInput, head: str, tail: str, frame: Frame, start: float) -> list[str]:
    """``head`` (ending in a stream), framed to the output size, then ``tail``."""
    i = item.placed.index
    if item.framing is None:
        w, h = frame.width, frame.height
        return [f"{head},scale={w}:{h}:force_original_aspect_ratio=increase,"
                f"format=yuv420p,crop={w}:{h},setsar=1,{tail}"]
    return [f"{head}[fin{i}]",
            *plan_filters(item.framing, f"fin{i}", f"fout{i}", frame.fps, start, tag=f"f{i}_"),
            f"[fout{i}]{tail}"]


def _shot_end(item: ShotInput) -> float:
    """Where a source shot's frames end on its input: a little past its span, so the frame
    rate filter sees the last frame's length."""
    return item.at + item.placed.duration + 0.1


def _source_chain(stream: str, item: ShotInput, frame: Frame,
                  offset: tuple[int, int] | None = None) -> list[str]:
    """``offset``: the input was cropped and scaled around the shot's fixed window already
    (``_source_heads``): only the frame's crop at that offset is left to do."""
    fps = frame.fps
    placed = item.placed
    n = _frames(placed.start, placed.end, fps)
    span = placed.shot.span
    # Held on its last frame only where the source may end first: tpad keeps a reference
    # to the last frame it passed until the encode ends, a frame per shot otherwise.
    assert span is not None and item.source is not None
    runs_out = span.start + placed.duration > item.source.info.duration - SOURCE_END_MARGIN
    hold = f"tpad=stop_mode=clone:stop_duration={placed.duration:.3f}," if runs_out else ""
    # The input is at the frame rate already, the span's start on a frame (segments).
    # trim rounds its start to the nearest frame: a quarter frame early lands on the frame
    # at ``at`` (half a frame early rounded to the frame before it: a frame of the
    # previous moment at every cut, and 33 ms ahead of the shot's sound).
    head = (f"{stream}trim=start={item.at - 0.25 / fps:.6f}:end={_shot_end(item):.6f},"
            "setpts=PTS-STARTPTS")
    tail = f"{hold}trim=end_frame={n},setpts=PTS-STARTPTS[v{placed.index}]"
    if offset is not None:
        return [f"{head},crop={frame.width}:{frame.height}:{offset[0]}:{offset[1]},setsar=1,"
                f"{tail}"]
    return _framed(item, head, tail, frame, span.start)


def _still_chain(stream: str, item: ShotInput, frame: Frame) -> list[str]:
    placed = item.placed
    w, h, fps = frame.width, frame.height, frame.fps
    n = _frames(placed.start, placed.end, fps)
    z0, z1, x0, x1 = MOVES[placed.index % len(MOVES)]
    if z0 == z1:
        # A pan at a fixed zoom: the picture is scaled to the zoom once, and the frame's
        # window slides over it (a crop per frame, no scaling: zoompan rescaled the whole
        # frame every frame). exact=1: the window moves a pixel at a time, as zoompan's.
        zw, zh = round(w * z0 / 2) * 2, round(h * z0 / 2) * 2
        move = (f"scale={zw}:{zh},loop=loop={n - 1}:size=1,settb=1/{fps},setpts=N,"
                f"crop={w}:{h}:x='(iw-ow)*{_lerp(x0, x1, n, 'n')}':"
                f"y='(ih-oh)*0.5':exact=1")
    else:
        zoom = _lerp(z0, z1, n)
        x = f"(iw-iw/zoom)*{_lerp(x0, x1, n)}"
        y = "(ih-ih/zoom)*0.5"
        move = f"zoompan=z='{zoom}':x='{x}':y='{y}':d={n}:s={w}x{h}:fps={fps}"
    return _framed(item, f"{stream}format=yuv420p",
                   f"{move},setsar=1,trim=end_frame={n},setpts=PTS-STARTPTS[v{placed.index}]",
                   frame, 0.0)


def _silence(label: str, seconds: float) -> str:
    return f"anullsrc=r=48000:cl=stereo,atrim=duration={seconds:.3f}[{label}]"



def add_inputs(inputs: GraphInputs, shots: list[ShotInput], sound_only: bool = False
               ) -> dict[int, int]:
    """Add each source's (``ShotInput.read``) and each distinct image's input once; returns
    every shot's input index by its place in the output. ``sound_only``: only the sources
    of shots that keep their sound (the audio mix)."""
    index: dict[int, int] = {}
    added: dict[Path, int] = {}
    for item in shots:
        if item.read is not None:
            if sound_only and not item.keeps_sound:
                continue
            key = item.read.script
            if key not in added:
                added[key] = inputs.add("-f", "concat", "-safe", "0", "-i", key.resolve())
        else:
            if sound_only:
                continue
            assert item.image is not None
            key = Path(item.image).resolve()
            if key not in added:
                added[key] = inputs.add("-i", key)
        index[item.placed.index] = added[key]
    return index


def _branches(shots: list[ShotInput], index: dict[int, int], kind: str,
              heads: dict[int, str] | None = None) -> tuple[list[str], dict[int, str]]:
    """A branch of its input's ``kind`` stream (``v`` or ``a``) per shot: the stream itself
    when one shot uses it, else a split of it; ``heads`` (input -> filters) first."""
    users: dict[int, list[int]] = {}
    for item in shots:
        if item.placed.index in index:
            users.setdefault(index[item.placed.index], []).append(item.placed.index)
    statements, label = [], {}
    split = "split" if kind == "v" else "asplit"
    for i, shot_indexes in users.items():
        stream = f"[{i}:{kind}]"
        if heads and i in heads:
            statements.append(f"{stream}{heads[i]}[pre{i}]")
            stream = f"[pre{i}]"
        if len(shot_indexes) == 1:
            label[shot_indexes[0]] = stream
            continue
        names = [f"[{kind}in{i}_{n}]" for n in range(len(shot_indexes))]
        statements.append(f"{stream}{split}={len(names)}{''.join(names)}")
        label.update(zip(shot_indexes, names))
    return statements, label


def cover_size(source: tuple[int, int], frame: tuple[int, int]) -> tuple[int, int]:
    """The size ffmpeg's ``scale=W:H:force_original_aspect_ratio=increase`` gives."""
    (sw, sh), (w, h) = source, frame
    return max(round(h * sw / sh), w), max(round(w * sh / sw), h)


def precrop(plan: CropPlan, x: float, y: float, margin: int = 4
            ) -> tuple[str, tuple[int, int]]:
    """Filters cutting a source down to the region around a fixed crop window at ``x, y``
    (source pixels) and scaling it as the whole picture would be scaled, and where the
    frame then lies in it: the same picture as scaling the whole source and cropping it
    (within a pixel), without scaling the pixels the crop throws away (two thirds of them
    for a 16:9 source in a 9:16 frame). ``margin`` source pixels around the window feed the
    scaler's taps at its edges."""
    sw, sh = plan.source_width, plan.source_height
    cw, ch = cover_size((sw, sh), (plan.width, plan.height))
    fx, fy = cw / sw, ch / sh
    # The frame's corner in the scaled picture, as the crop filter sets it (even, inside).
    ox = int(min(max(x * fx, 0), cw - plan.width)) // 2 * 2
    oy = int(min(max(y * fy, 0), ch - plan.height)) // 2 * 2

    def span(o: int, size: int, f: float, total: int) -> tuple[int, int]:
        a = max(0, math.floor(o / f) - margin) // 2 * 2  # even: yuv420p crops on chroma
        b = min(total, math.ceil((o + size) / f) + margin)
        if (b - a) % 2:
            b = b + 1 if b < total else b - 1
        return a, b

    (ax, bx), (ay, by) = span(ox, plan.width, fx, sw), span(oy, plan.height, fy, sh)
    rw, rh = max(plan.width, round((bx - ax) * fx)), max(plan.height, round((by - ay) * fy))
    px = min(max(round(ox - ax * fx), 0), rw - plan.width)
    py = min(max(round(oy - ay * fy), 0), rh - plan.height)
    return f"crop={bx - ax}:{by - ay}:{ax}:{ay},scale={rw}:{rh}", (px, py)


def _fixed_window(items: list[ShotInput]) -> tuple[float, float] | None:
    """The one crop position (source pixels) all of an input's shots hold still, if any."""
    spots = {(k.x, k.y) for item in items for shot in item.framing.shots for k in shot.path}
    return next(iter(spots)) if len(spots) == 1 else None


def _inside(items: list[ShotInput], fps: int) -> str:
    """A select of the frames inside an input's shots (a little early: each shot's trim
    decides exactly, select only drops the rest)."""
    spans = "+".join(f"between(t,{item.at - 0.5 / fps:.6f},{_shot_end(item):.6f})"
                     for item in items)
    return f"select='{spans}'"


def _shared_layout(items: list[ShotInput], frame: Frame, src: str, out: str
                   ) -> list[str] | None:
    """The one whole-frame layout (fit, two-up, inset: none moves with time, unlike a
    crop) that frames every shot of an input, as filter statements ``[src]`` -> ``[out]``;
    None if the shots are framed differently."""
    found = set()
    for item in items:
        plan = item.framing
        if (plan is None or len(plan.shots) != 1 or plan.shots[0].layout == "crop"
                or (plan.width, plan.height) != (frame.width, frame.height)):
            return None
        found.add(tuple(layout_filters(plan.shots[0], plan, src, out, 0.0, f"{src}_")))
    return list(found.pop()) if len(found) == 1 else None


def _source_heads(shots: list[ShotInput], index: dict[int, int], frame: Frame
                  ) -> tuple[dict[int, str], dict[int, tuple[int, int]]]:
    """Filters for each source input before it is split between its shots: the frame rate,
    and, where its shots are all plain crops, a select of the frames inside them scaled to
    cover the frame once (each shot's own scale then passes them through) -- or, where they
    all hold one fixed window, cut down around it before scaling (``precrop``); where they
    all share one whole-frame layout (fit, two-up, inset), that layout once. The second
    value: input -> where each shot crops the frame. A frame rate filter, a scale or a
    layout per shot would keep its last large frames until the encode ends: memory that
    grew with every shot."""
    users: dict[int, list[ShotInput]] = {}
    for item in shots:
        if item.read is not None:
            users.setdefault(index[item.placed.index], []).append(item)
    # Each source input is brought to the frame rate once, before its shots are cut: a
    # frame rate filter per shot would keep its last frames until the encode ends.
    heads = {i: f"fps={frame.fps}" for i in users}
    offsets: dict[int, tuple[int, int]] = {}
    for i, items in users.items():
        if all(item.framing is not None and item.framing.width == frame.width
               and item.framing.height == frame.height
               and all(shot.layout == "crop" for shot in item.framing.shots)
               for item in items):
            heads[i] += f",{_inside(items, frame.fps)},"
            window = _fixed_window(items)
            if window is not None:
                cut, offsets[i] = precrop(items[0].framing, *window)
                heads[i] += f"{cut},format=yuv420p"
            else:
                heads[i] += (f"scale={frame.width}:{frame.height}:"
                             "force_original_aspect_ratio=increase,format=yuv420p")
            continue
        layout = _shared_layout(items, frame, f"hd{i}", f"pre{i}") if len(items) > 1 else None
        if layout is not None:
            # _branches closes the head with [pre{i}]: the layout's last label is left off.
            assert layout[-1].endswith(f"[pre{i}]")
            framed = ";".join(layout)[:-len(f"[pre{i}]")]
            heads[i] += f",{_inside(items, frame.fps)}[hd{i}];{framed}"
            offsets[i] = (0, 0)  # framed already: each shot's crop is the whole frame
    return heads, offsets


def video_graph(shots: list[ShotInput], index: dict[int, int], frame: Frame,
                captions: Path | None) -> list[str]:
    heads, offsets = _source_heads(shots, index, frame)
    splits, stream = _branches(shots, index, "v", heads)
    chains = list(splits)
    for item in shots:
        label = stream[item.placed.index]
        if item.source is not None:
            chains += _source_chain(label, item, frame, offsets.get(index[item.placed.index]))
        else:
            chains += _still_chain(label, item, frame)
    labels = "".join(f"[v{item.placed.index}]" for item in shots)
    tail = f"{labels}concat=n={len(shots)}:v=1:a=0,format=yuv420p"
    if captions is not None:
        text = str(captions.resolve())
        if "'" in text or "\\" in text:
            raise MediaError(text, "cannot be quoted in an ffmpeg filter graph",
                             "use a temporary directory without quotes or backslashes")
        tail += f",ass=filename='{text}'"
    return [*chains, tail + "[vout]"]


def audio_graph(shots: list[ShotInput], index: dict[int, int], total: float,
                narration: int | None, music: int | None, music_gain_db: float,
                final_chain: str) -> list[str]:
    """The mix, from inputs added by ``add_inputs(..., sound_only=True)``."""
    chains, bed = [], []
    keeps_sound = any(item.keeps_sound for item in shots)
    if keeps_sound:
        splits, stream = _branches([item for item in shots if item.keeps_sound], index, "a")
        chains += splits
        for item in shots:
            label = f"a{item.placed.index}"
            d = item.placed.duration
            if item.keeps_sound:
                # Short fades at both ends: a cut never clicks, even off a zero crossing.
                fade = min(CUT_FADE_SECONDS, d / 4)
                chains.append(f"{stream[item.placed.index]}atrim=start={item.at:.6f}:"
                              f"end={item.at + d:.6f},asetpts=PTS-STARTPTS,"
                              f"{AUDIO_FORMAT},apad,atrim=duration={d:.3f},"
                              f"asetpts=PTS-STARTPTS,afade=t=in:d={fade:.3f},"
                              f"afade=t=out:st={d - fade:.3f}:d={fade:.3f}[{label}]")
            else:
                chains.append(_silence(label, d))
            bed.append(f"[{label}]")
        chains.append(f"{''.join(bed)}concat=n={len(bed)}:v=0:a=1[bed]")
    voices = ["[bed]"] if keeps_sound else []
    if narration is not None:
        chains.append(f"[{narration}:a]{AUDIO_FORMAT},apad,atrim=duration={total:.3f}[narr]")
        voices.append("[narr]")
    if not voices:
        chains.append(_silence("speech", total))
    elif len(voices) == 1:
        chains.append(f"{voices[0]}anull[speech]")
    else:
        chains.append(f"{''.join(voices)}amix=inputs={len(voices)}:normalize=0:"
                      "duration=longest[speech]")
    if music is not None:
        chains += [
            f"[{music}:a]{AUDIO_FORMAT},volume={music_gain_db:.1f}dB,"
            f"atrim=duration={total:.3f}[music]",
            "[speech]asplit=2[speech_main][speech_key]",
            # The voice is the key: music drops by up to ~15 dB while anyone speaks.
            "[music][speech_key]sidechaincompress=threshold=0.02:ratio=8:attack=20:"
            "release=400[ducked]",
            "[speech_main][ducked]amix=inputs=2:normalize=0:duration=first[mix]"]
    else:
        chains.append("[speech]anull[mix]")
    chains.append(f"[mix]atrim=duration={total:.3f},{final_chain}[aout]")
    return chains
