"""Frame a whole file by its crop plan: one ffmpeg pass, the sound kept as it is."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pattern_pivot.media.ffmpeg import run_ffmpeg
from pattern_pivot.media.probe import probe
from pattern_pivot.reframe.filters import plan_filters
from pattern_pivot.reframe.plan import CropPlan

FIX = "check that the input plays, and that ffmpeg has libx264 and aac (ffmpeg -encoders)"


def output_fps(source_fps: float) -> int:
    """A constant rate near the source's (shots are cut by frame number): 30 when unknown
    or implausible, never above 60."""
    return min(60, round(source_fps)) if 10 <= source_fps <= 120 else 30


def render_reframed(source: Path, out: Path, plan: CropPlan, preset: str = "veryfast",
                    crf: int = 21) -> Path:
    info = probe(source)
    fps = output_fps(info.video.fps if info.video else 0.0)
    graph = [f"[0:v]fps={fps},setpts=PTS-STARTPTS[src]",
             *plan_filters(plan, "src", "framed", fps, 0.0),
             "[framed]format=yuv420p[vout]"]
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pp-reframe-") as tmp:
        # A script file, not an argument: a long moving crop outgrows the argument limit.
        script = Path(tmp) / "graph.txt"
        script.write_text(";\n".join(graph), encoding="utf-8")
        fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".part", dir=out.parent)
        os.close(fd)
        partial = Path(name)
        audio = (["-map", "0:a:0", "-c:a", "aac", "-b:a", "160k"] if info.audio else ["-an"])
        try:
            run_ffmpeg(["-i", Path(source).resolve(), "-filter_complex_script", script,
                        "-map", "[vout]", *audio, "-c:v", "libx264", "-preset", preset,
                        "-crf", str(crf), "-pix_fmt", "yuv420p", "-r", str(fps),
                        "-movflags", "+faststart", "-f", "mp4", partial],
                       subject=source, fix=FIX)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return out
