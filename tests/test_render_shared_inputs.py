"""Shots cut from one source share one decoded input (pattern_pivot.render.segments), and
still show exactly their spans, in sync, on real decoded frames and sound."""

import subprocess
from pathlib import Path

import numpy as np
import pytest

from pattern_pivot.remix.types import EditPlan, Shot, SourceSpan
from pattern_pivot.render import RenderOptions, clear_caches, render_plan
from pattern_pivot.render import sources as render_sources
from pattern_pivot.render.sources import FileSources, clean_seeks, seeks_cleanly
from tests.conftest import COCKATOO, ffmpeg
from tests.render_support import SMALL

FPS = 25  # the numbered source's frame rate
BITS = 8  # its frame number, in binary, as 8 horizontal stripes (white = 1)


def numbered_source(path, fps: int = FPS):
    """180x320 at ``fps`` (25) for 10 s, each frame showing its own number as stripes, with a
    50 ms beep at every whole second; a keyframe every second and B-frames, so cuts between
    keyframes decode a pre-roll."""
    stripe = SMALL[1] // BITS
    ffmpeg("-f", "lavfi", "-i", f"color=c=black:s={SMALL[0]}x{SMALL[1]}:r={fps}:d=10",
           "-f", "lavfi", "-i",
           "aevalsrc=exprs='0.5*sin(2*PI*1000*t)*lt(mod(t,1),0.05)':s=48000:d=10",
           "-vf", f"format=gray,geq=lum='if(bitand(N,pow(2,floor(Y/{stripe}))),235,16)',"
           "format=yuv420p", "-c:v", "libx264", "-g", str(fps), "-keyint_min", str(fps),
           "-bf", "2", "-c:a", "aac", "-shortest", str(path))
    return path


def frame_numbers(video) -> list[int]:
    """The number each decoded frame of ``video`` shows."""
    w, h = SMALL
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, dtype=np.uint8).reshape(-1, h, w).astype(float)
    stripe = h // BITS
    bits = np.stack([frames[:, k * stripe + 8:(k + 1) * stripe - 8, 8:-8].mean(axis=(1, 2))
                     > 128 for k in range(BITS)], axis=1)
    return [int(sum(1 << k for k in range(BITS) if row[k])) for row in bits]


def beep_onsets(video) -> list[float]:
    rate = 48000
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-ac", "1", "-ar",
                          str(rate), "-f", "s16le", "-"], capture_output=True, check=True).stdout
    loud = np.abs(np.frombuffer(pcm, dtype="<i2").astype(float)) > 3000
    onsets, last = [], -1.0
    for i in np.flatnonzero(loud):
        if i / rate - last > 0.3:
            onsets.append(i / rate)
        last = i / rate
    return onsets


def supercut(spans, framing="center", aspect="9:16") -> EditPlan:
    """Shots of source ``n`` keeping its sound, one per (start, seconds) of ``spans``."""
    return EditPlan(request_id="remix-shared", mode="supercut", aspect=aspect, framing=framing,
                    target_seconds=sum(d for _, d in spans), shots=tuple(
                        Shot(kind="source", duration=d, source_audio=True,
                             span=SourceSpan(video_id="n", start=s, end=s + d))
                        for s, d in spans))


def test_shots_from_one_source_share_one_input_and_keep_their_frames_and_sync(tmp_path):
    source = numbered_source(tmp_path / "numbered.mp4")
    # Out of order, one pair close together in the source (one piece), cuts between
    # keyframes; starts on the source's frames, beeps away from the cuts' fades.
    spans = [(1.4, 1.2), (6.4, 1.2), (3.4, 1.2), (5.08, 1.1)]
    result = render_plan(supercut(spans), tmp_path / "out.mp4", FileSources({"n": source}),
                         options=RenderOptions(frame_size=SMALL, captions=False))
    # One input for the source (and the mixed sound), however many shots cut it.
    inputs = [result.command[i + 1] for i, a in enumerate(result.command) if a == "-i"]
    assert len(inputs) == 2 and inputs[0].endswith(".ffconcat"), inputs
    assert str(source) not in result.command
    assert sum(a == "-i" for a in result.mix_command) == 1
    numbers = frame_numbers(result.path)
    assert len(numbers) == round(sum(d for _, d in spans) * 30)
    # Every output frame shows the source frame its time maps to (within one frame).
    t0 = 0.0
    for start, seconds in spans:
        first, last = round(t0 * 30), round((t0 + seconds) * 30)
        for j in range(first, last):
            expected = (start + (j - first) / 30) * FPS
            assert abs(numbers[j] - expected) <= 1.01, (start, j, numbers[j], expected)
        t0 += seconds
    # Sound in sync with the pictures: every whole second of the spans beeps where its
    # frame shows, and nothing else beeps.
    beeps, t0 = [], 0.0  # (output time, source second)
    for start, seconds in spans:
        beeps += [(t0 + k - start, k) for k in range(int(np.ceil(start)), 11)
                  if k < start + seconds]
        t0 += seconds
    beeps.sort()
    onsets = beep_onsets(result.path)
    assert len(onsets) == len(beeps), (onsets, beeps)
    for onset, (expected, second) in zip(onsets, beeps):
        assert onset == pytest.approx(expected, abs=0.012)
        assert abs(numbers[round(onset * 30)] - second * FPS) <= 1


@pytest.mark.parametrize("framing", ["fit", "center"])
def test_every_shot_starts_on_its_spans_first_frame(tmp_path, framing):
    """At the output's frame rate each shot shows exactly its span's frames, from the first:
    not the frame before it (a flash of the previous moment at the cut, and the picture a
    frame ahead of the sound). Fit framing frames the source once for all its shots; centre
    framing selects the shots' frames before cropping them."""
    source = numbered_source(tmp_path / "numbered30.mp4", fps=30)
    spans = [(1.4, 1.0), (6.2, 0.8), (3.0, 1.0)]  # starts and lengths on whole frames
    result = render_plan(supercut(spans, framing), tmp_path / "out.mp4", FileSources({"n": source}),
                         options=RenderOptions(frame_size=SMALL, captions=False))
    if framing == "fit":  # framed once, then split: a layout per shot kept its frames
        graph = result.command[result.command.index("-filter_complex") + 1]
        assert graph.count("boxblur") == 1 and graph.count("overlay") == 1, graph
    numbers, first = frame_numbers(result.path), 0
    for start, seconds in spans:
        count = round(seconds * 30)
        expected = list(range(round(start * 30), round(start * 30) + count))
        assert numbers[first:first + count] == expected, (framing, start)
        first += count


def test_a_source_whose_keyframes_do_not_decode_alone_is_still_cut_cleanly(tmp_path):
    """cockatoo.mp4's later keyframes reference frames before them: seeking there smears
    the picture. Three shots out of order, two of them past such keyframes, must each match
    the source decoded from its start."""
    assert not seeks_cleanly(COCKATOO, 8.0) and seeks_cleanly(COCKATOO, 1.0)
    spans = [(8.0, 1.5), (1.0, 1.5), (4.5, 1.5)]
    size = (320, 180)
    out = render_plan(supercut(spans, aspect="16:9"), tmp_path / "c.mp4",
                      FileSources({"n": COCKATOO}),
                      options=RenderOptions(frame_size=size, captions=False)).path

    def frames(video, at, count, scale=""):
        raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-ss", f"{at:.3f}",
                              "-frames:v", str(count), "-vf", f"{scale}format=rgb24",
                              "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
        return np.frombuffer(raw, dtype=np.uint8).reshape(-1, size[1], size[0], 3).astype(float)

    t0 = 0.0
    for start, seconds in spans:
        got = frames(out, t0 + 0.5, 3)
        # Decoded from the start (output seeking): clean reference pictures.
        want = frames(COCKATOO, start + 0.5, 3, f"fps=30,scale={size[0]}:{size[1]},")
        assert np.abs(got - want).mean() < 8, (start, np.abs(got - want).mean())
        t0 += seconds


@pytest.fixture
def runs(monkeypatch):
    """The commands ``subprocess.run`` runs from here on, by tool (``runs["ffmpeg"]``,
    ``runs["ffprobe"]``), with no seek check remembered from other tests."""
    made: dict[str, list] = {"ffmpeg": [], "ffprobe": []}
    real_run = subprocess.run

    def counted(cmd, *args, **kwargs):
        made.setdefault(Path(str(cmd[0])).name, []).append(cmd)
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(render_sources.subprocess, "run", counted)
    monkeypatch.setattr(render_sources, "_CLEAN", {})
    return made


def test_seek_points_are_checked_in_one_run_unless_one_fails(tmp_path, runs):
    """A source that seeks cleanly everywhere costs one ffmpeg run for all its cut points
    (not one per shot); where the shared run reports an error, each point is checked on its
    own and gets its own answer."""
    clean = numbered_source(tmp_path / "numbered.mp4")
    checks = runs["ffmpeg"]
    checks.clear()
    assert clean_seeks(clean, [1.5, 3.0, 4.5, 6.0, 0.0]) == dict.fromkeys(
        [1.5, 3.0, 4.5, 6.0, 0.0], True)
    assert len(checks) == 1
    assert clean_seeks(clean, [3.0]) == {3.0: True} and len(checks) == 1  # remembered

    points = [1.0, 8.0, 4.5, 12.0]
    alone = {at: render_sources._decodes_cleanly(str(COCKATOO.resolve()), [at])
             for at in points}
    assert alone[1.0] and not alone[8.0]
    checks.clear()
    assert clean_seeks(COCKATOO, points) == alone
    # 1.0 s lands on the first keyframe: not checked. The shared run of the other three
    # failed: one run per point.
    assert len(checks) == 1 + 3
    checks.clear()
    later = [9.0, 10.0]
    assert clean_seeks(COCKATOO, later) == {
        at: render_sources._decodes_cleanly(str(COCKATOO.resolve()), [at]) for at in later}
    assert len(checks) == 2 * len(later)  # a file known to have a bad keyframe: no shared run


def test_a_seek_onto_the_first_keyframe_is_not_checked(tmp_path, runs):
    """Up to the second keyframe a seek decodes from the first, as reading from the start
    does: no check run, and the answer is the one a check gives. The probe lists where the
    keyframes are (cockatoo.mp4: 0 s and 3.8 s; the numbered source: every second)."""
    checks = runs["ffmpeg"]
    assert 3.6 < render_sources.first_keyframe_reach(COCKATOO) < 3.8
    early = [0.5, 2.0, 3.5]
    assert clean_seeks(COCKATOO, early) == dict.fromkeys(early, True) and checks == []
    assert all(render_sources._decodes_cleanly(str(COCKATOO.resolve()), [at]) for at in early)
    numbered = numbered_source(tmp_path / "numbered.mp4")
    assert 0.8 < render_sources.first_keyframe_reach(numbered) < 1.0  # dts: B-frames
    checks.clear()
    assert clean_seeks(numbered, [0.5, 1.5]) == {0.5: True, 1.5: True} and len(checks) == 1
    assert checks[0].count("-ss") == 1  # only 1.5 s was checked


def test_pieces_merge_close_shots_in_order_and_start_unclean_ones_earlier():
    from pattern_pivot.render.segments import _pieces, _quoted

    cuts = [(0, 1.0, 2.0), (1, 2.5, 3.5), (2, 1.2, 2.2), (3, 9.0, 10.0), (4, 20.0, 21.0)]
    # 0 and 1 are 0.5 s apart in order: one piece; 2 goes back: a new piece; 3 is too far.
    assert [[i for i, _ in p.shots] for p in _pieces(cuts, None)] == [[0, 1], [2], [3], [4]]
    # A source that cannot seek at 9 s must be read there from before it: the piece
    # already reading from 1.2 s runs on to it instead of seeking (or restarting from 0).
    pieces = _pieces(cuts, {1.0: True, 1.2: True, 9.0: False, 20.0: True})
    assert [(p.inpoint, [i for i, _ in p.shots]) for p in pieces] == [
        (1.0, [0, 1]), (1.2, [2, 3]), (20.0, [4])]
    # Alone, it is read from the file's start; a later shot that cannot seek either rides
    # along, one that can seeks.
    for clean, want in (({9.0: False, 20.0: True}, [(0.0, [3]), (20.0, [4])]),
                        ({9.0: False, 20.0: False}, [(0.0, [3, 4])])):
        assert [(p.inpoint, [i for i, _ in p.shots])
                for p in _pieces(cuts[3:], clean)] == want
    # With other points checked to seek cleanly, each is read from the latest one before it.
    clean = {9.0: False, 20.0: False, 4.0: True, 6.5: True, 15.0: True, 20.5: True}
    assert [(p.inpoint, [i for i, _ in p.shots])
            for p in _pieces(cuts[3:], clean)] == [(6.5, [3]), (15.0, [4])]
    assert _quoted(COCKATOO.parent / "it's.mp4") == (
        "'file:" + str(COCKATOO.parent) + "/it'\\''s.mp4'")


@pytest.mark.parametrize("size,x", [((540, 960), 437.5), ((1080, 1920), 0.0),
                                    ((1080, 1920), 874.0), ((640, 360), 0.0)])
def test_a_fixed_window_cut_before_scaling_shows_the_same_picture(size, x):
    """``precrop`` (cut the source around the window, then scale) against the plain scale of
    the whole picture and crop, on a real frame: the same picture to a pixel, at the
    middle and at both edges of the source."""
    from pattern_pivot.reframe.framing import fixed_plan
    from pattern_pivot.reframe.plan import CropPlan
    from pattern_pivot.render.graph import cover_size, precrop

    plan: CropPlan = fixed_plan("center", (1280, 720), size, 0.0, 1.0)
    w, h = size
    cut, (px, py) = precrop(plan, x, 0.0)
    cw, _ = cover_size((1280, 720), size)
    ox = int(min(x * cw / 1280, cw - w)) // 2 * 2

    def frame(chain: str) -> np.ndarray:
        raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", "2", "-i", str(COCKATOO),
                              "-frames:v", "1", "-vf", f"{chain},format=rgb24", "-f",
                              "rawvideo", "-"], capture_output=True, check=True).stdout
        return np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 3).astype(float)

    whole = frame(f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}:{ox}:0")
    cropped = frame(f"{cut},crop={w}:{h}:{px}:{py}")
    # Exact: under 0.15 here; the frame off by 2 px reads 0.55 to 1.3.
    assert cut.startswith("crop=") and np.abs(whole - cropped).mean() < 0.4


def test_clear_caches_forgets_probes_and_seek_checks(tmp_path, runs):
    """Renders remember each file's probe and seek checks (keyed by path and modification
    time); ``clear_caches`` forgets them, so the next render probes and checks again (what
    the benchmark's cold runs rely on)."""
    numbered = numbered_source(tmp_path / "numbered.mp4")
    runs["ffmpeg"].clear()
    assert clean_seeks(numbered, [1.5]) == {1.5: True}
    assert (len(runs["ffprobe"]), len(runs["ffmpeg"])) == (1, 1)
    assert clean_seeks(numbered, [1.5]) == {1.5: True}
    assert (len(runs["ffprobe"]), len(runs["ffmpeg"])) == (1, 1)  # remembered
    clear_caches()
    assert clean_seeks(numbered, [1.5]) == {1.5: True}
    assert (len(runs["ffprobe"]), len(runs["ffmpeg"])) == (2, 2)
