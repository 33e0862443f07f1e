"""What a render runs before its encode: only ffmpeg and ffprobe, each source probed once,
and no video library imported (scenedetect's import pulled in MoviePy, which runs
imageio-ffmpeg's ``ffmpeg -version`` and ``ffplay`` to find its tools)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import COCKATOO, REPO
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
    assert (tmp_path / "out.mp4").stat().st_size > 0
