"""What a render runs before its encode: only ffmpeg and ffprobe, each source probed once,
and no video library imported (scenedetect's import pulled in MoviePy, which runs
imageio-ffmpeg's ``ffmpeg -version`` and ``ffplay`` to find its tools)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest

from pattern_pivot.remix.types import EditPlan, Shot, SourceSpan
from pattern_pivot.render import RenderOptions, engine, render_plan, segments
from pattern_pivot.render.sources import FileSources
from tests.conftest import COCKATOO, JFK, REPO, ffmpeg
from tests.render_support import SMALL

# Renders an auto-framed plan in a fresh process, logging every process it starts.
_PROBE = """
import json, subprocess, sys
from pathlib import Path
started = []
real = subprocess.Popen.__init__
def logged(self, args, *rest, **kw):
    started.append([str(a) for a in args] if isinstance(args, (list, tuple)) else [str(args)])
    real(self, args, *rest, **kw)
subprocess.Popen.__init__ = logged
from pattern_pivot.remix.types import EditPlan, Shot, SourceSpan
from pattern_pivot.render import RenderOptions, render_plan
from pattern_pivot.render.sources import FileSources
source, out, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
plan = EditPlan(request_id="startup", mode="supercut", aspect="9:16", framing="auto",
                target_seconds=3.0, shots=(
    Shot(kind="source", duration=1.5, source_audio=True,
         span=SourceSpan(video_id="bird", start=1.0, end=2.5)),
    Shot(kind="card", duration=1.5, text="The end")))
render_plan(plan, Path(out), FileSources({"bird": Path(source)}), None,
            RenderOptions(frame_size=(width, height)))
print(json.dumps({"started": started, "loaded": [m for m in sys.modules if m.split(".")[0]
                  in ("scenedetect", "moviepy", "imageio_ffmpeg", "imageio", "av")]}))
"""


@pytest.mark.slow
def test_a_render_starts_only_ffmpeg_and_ffprobe_and_probes_each_source_once(tmp_path):
    # The source through a link: the framing resolves it, the resolver does not; one probe
    # must serve both spellings.
    link = tmp_path / "bird.mp4"
    link.symlink_to(COCKATOO)
    done = subprocess.run([sys.executable, "-c", _PROBE, str(link), str(tmp_path / "out.mp4"),
                           str(SMALL[0]), str(SMALL[1])], capture_output=True, text=True,
                          cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["loaded"] == []
    tools = {args[0].rsplit("/", 1)[-1] for args in report["started"]}
    assert tools == {"ffmpeg", "ffprobe"}
    full_probes = [args for args in report["started"] if "-show_streams" in args]
    assert len(full_probes) == 1, full_probes
    # That probe also lists the packets the reading plan needs: one more ffprobe (the concat
    # opening's start shift), not a second read of the file.
    probes = [args for args in report["started"] if args[0].endswith("ffprobe")]
    assert len(probes) == 2, probes
    assert (tmp_path / "out.mp4").stat().st_size > 0


def ffmpeg_out(path, *args: str):
    ffmpeg(*args, str(path))
    return path


def pcm(path, start: float, seconds: float) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-ss", f"{start:.3f}",
                          "-t", f"{seconds:.3f}", "-map", "0:a", "-ac", "1", "-ar", "48000",
                          "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32)


def test_the_sound_mix_starts_before_the_seek_checks_end_and_stays_in_step(tmp_path,
                                                                            monkeypatch):
    """A supercut's mix reads the sources' sound from the spans themselves (sound decodes
    cleanly anywhere), so it runs while the pictures' seek points are checked -- and the
    sound of a shot past cockatoo.mp4's unclean keyframes is still its own span's (its
    pictures copied, under JFK's speech: its own track is silent)."""
    source = ffmpeg_out(tmp_path / "speaking-bird.mp4", "-i", str(COCKATOO), "-i", str(JFK),
                        "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac",
                        "-shortest")
    mixing = threading.Event()
    real_mix, real_clean = engine._mix, segments.clean_seeks
    waited = []

    def mix(*args, **kwargs):
        mixing.set()
        return real_mix(*args, **kwargs)

    def clean(path, points):
        waited.append(mixing.wait(timeout=30))  # the mix was started first
        return real_clean(path, points)

    monkeypatch.setattr(engine, "_mix", mix)
    monkeypatch.setattr(segments, "clean_seeks", clean)
    spans = [(8.0, 1.5), (1.0, 1.5)]  # 8.0: read from the file's start for the pictures
    plan = EditPlan(request_id="remix-mix-early", mode="supercut", aspect="16:9",
                    framing="center", target_seconds=3.0, shots=tuple(
                        Shot(kind="source", duration=d, source_audio=True,
                             span=SourceSpan(video_id="c", start=s, end=s + d))
                        for s, d in spans))
    out = render_plan(plan, tmp_path / "c.mp4", FileSources({"c": source}),
                      options=RenderOptions(frame_size=(320, 180), captions=False)).path
    assert waited == [True]
    t0, lags = 0.0, []
    for start, seconds in spans:
        got = pcm(out, t0 + 0.1, seconds - 0.2)  # inside the cut fades
        want = pcm(source, start + 0.1, seconds - 0.2)
        n = min(len(got), len(want))
        shifts = list(range(-480, 481, 8))  # up to 10 ms either way
        corr = [np.corrcoef(got[max(0, k):n + min(0, k)], want[max(0, -k):n - max(0, k)])[0, 1]
                for k in shifts]
        best = int(np.argmax(corr))
        assert corr[best] > 0.98, (start, corr[best])
        lags.append(shifts[best])
        t0 += seconds
    # Within 5 ms of its span (AAC's own delay, the same for every shot): in step.
    assert abs(lags[0]) <= 240 and len(set(lags)) == 1, lags
