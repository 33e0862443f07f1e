"""Render an EditPlan to an H.264/AAC MP4 with one ffmpeg encode.

Before the encode, one audio-only pass (cheap: no video is decoded) writes the mix to a
float WAV, while the shots' framing is worked out; the loudness is measured on that WAV
(cheaper still: nothing is decoded or mixed again), so the encode reads the mix and applies
a measured gain that lands on -14 LUFS integrated. The output is written to a temporary
file beside the target and renamed into place.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

from pattern_pivot.errors import MediaError
from pattern_pivot.media.ffmpeg import forget_probes, run_ffmpeg
from pattern_pivot.media.loudness import (
    TARGET_LUFS,
    TRUE_PEAK_DB,
    Loudness,
    ebur128_filters,
    measure_file,
    normalising_chain,
    parse_ebur128,
    run_ffmpeg_stderr,
)
from pattern_pivot.reframe import frame_video
from pattern_pivot.reframe.plan import CropPlan
from pattern_pivot.reframe.still import plan_still
from pattern_pivot.reframe.stream import Geometry, geometry
from pattern_pivot.remix.types import EditPlan
from pattern_pivot.render.captions import CaptionStyle, ass_document
from pattern_pivot.render.cards import draw_card
from pattern_pivot.render.graph import (
    Frame,
    GraphInputs,
    ShotInput,
    add_inputs,
    audio_graph,
    video_graph,
)
from pattern_pivot.render.segments import (
    SourceRead,
    check_spans,
    forget_start_shifts,
    plan_reads,
)
from pattern_pivot.render.sources import SourceMedia, SourceResolver, forget_seek_checks
from pattern_pivot.render.timeline import paced, place_shots, source_words
from pattern_pivot.transcription.types import Word
from pattern_pivot.tts.narrate import NarrationResult

log = logging.getLogger(__name__)

ENCODE_FIX = "check that ffmpeg was built with libx264, libass and aac (ffmpeg -filters)"


@dataclass(frozen=True)
class RenderOptions:
    fps: int = 30
    preset: str = "veryfast"
    crf: int = 21
    audio_bitrate: str = "160k"
    loudness_lufs: float = TARGET_LUFS
    true_peak_db: float = TRUE_PEAK_DB
    captions: bool = True
    caption_style: CaptionStyle = CaptionStyle()
    background_audio: Path | None = None
    background_gain_db: float = -12.0
    frame_size: tuple[int, int] | None = None  # override the aspect's size (tests, previews)
    duration_tolerance: float = 0.25  # quality check: allowed share off the target duration
    min_caption_coverage: float = 0.7  # quality check: share of the sound time captioned


@dataclass(frozen=True)
class RenderResult:
    path: Path
    duration: float
    width: int
    height: int
    words: tuple[Word, ...]  # caption words on the output timeline
    measured: Loudness  # the mix before normalisation
    seconds: float
    command: tuple[str, ...] = field(repr=False, default=())
    shot_seconds: tuple[float, ...] = ()  # each shot's length on the output timeline
    mix_command: tuple[str, ...] = field(repr=False, default=())  # the audio mix's pass


def _shot_inputs(plan: EditPlan, sources: SourceResolver, narration_seconds: float,
                 workdir: Path, width: int, height: int) -> list[ShotInput]:
    items = []
    placements = place_shots(plan, narration_seconds)
    # Each source probed once, however many shots; one card per distinct text; the
    # sources and the cards side by side.
    ids = list(dict.fromkeys(p.shot.span.video_id for p in placements
                             if p.shot.kind == "source" and p.shot.span is not None))
    texts = list(dict.fromkeys(p.shot.text or plan.title for p in placements
                               if p.shot.kind == "card"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        drawn = [pool.submit(draw_card, text, width, height, workdir / f"card-{n}.png")
                 for n, text in enumerate(texts)]
        resolved: dict[str, SourceMedia] = dict(zip(ids, pool.map(sources, ids)))
        cards = dict(zip(texts, (card.result() for card in drawn)))
    for placed in placements:
        shot = placed.shot
        if shot.kind == "source":
            assert shot.span is not None
            items.append(ShotInput(placed, source=resolved[shot.span.video_id]))
        elif shot.kind == "still":
            image = Path(shot.image or "").expanduser()
            if not image.is_file():
                raise MediaError(str(image), "(a still in the edit plan) does not exist",
                                 "fix the image path in the plan or re-run the remix plan")
            items.append(ShotInput(placed, image=image))
        else:
            items.append(ShotInput(placed, image=cards[shot.text or plan.title]))
    check_spans(items)
    return items


def _framing(item: ShotInput, framing: str, frame: tuple[int, int]) -> CropPlan | None:
    """How a source span or a still fills the frame (None for cards: drawn to size)."""
    if item.image is not None and item.placed.shot.kind == "still":
        return plan_still(item.image, frame, framing)
    if item.source is None:
        return None
    span = item.placed.shot.span
    assert span is not None
    path = item.source.path.resolve()
    return _span_framing(str(path), path.stat().st_mtime_ns, span.start,
                         span.start + item.placed.duration, frame, framing)


def clear_caches() -> None:
    """Forget what this process remembers about source files: probes, framings, seek checks
    and start shifts. They are keyed by path and modification time, so only a file rewritten
    within the same timestamp needs this; benchmarks call it to time cold renders."""
    _geometry.cache_clear()
    _span_framing.cache_clear()
    forget_probes()
    forget_start_shifts()
    forget_seek_checks()


@lru_cache(maxsize=32)
def _geometry(path: str, mtime_ns: int) -> Geometry:
    """Probed once per source, not once per span."""
    return geometry(Path(path))


@lru_cache(maxsize=128)
def _span_framing(path: str, mtime_ns: int, start: float, end: float,
                  frame: tuple[int, int], framing: str) -> CropPlan:
    """Cached: variants of a request often cut the same spans."""
    crop_plan = frame_video(Path(path), frame, framing, start, end,
                            geo=_geometry(path, mtime_ns))
    for shot in crop_plan.shots:
        log.info("%s %.1f-%.1f s: %s (%s)", Path(path).name, shot.start, shot.end,
                 shot.layout, shot.reason)
    return crop_plan


def caption_words(items: list[ShotInput], narration: NarrationResult | None) -> list[Word]:
    words = list(narration.words) if narration else []
    for item in items:
        if item.placed.shot.source_audio and item.source is not None:
            words += source_words(item.placed, item.source)
    return sorted(words, key=lambda w: w.start)


def render_plan(plan: EditPlan, out_path: Path, sources: SourceResolver,
                narration: NarrationResult | None = None,
                options: RenderOptions = RenderOptions(),
                progress: Callable[[float, float, int, int], None] | None = None
                ) -> RenderResult:
    """``progress(seconds written, total, shots finished, shots)`` while encoding
    (``pattern_pivot.progress.render_progress`` turns it into a few log lines a minute)."""
    started = time.perf_counter()
    plan = paced(plan, narration)  # narrated shots last as long as their lines are spoken
    width, height = options.frame_size or plan.frame_size
    out_path = Path(out_path).resolve()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pp-render-") as tmp:
        workdir = Path(tmp)
        items = _shot_inputs(plan, sources, narration.duration if narration else 0.0, workdir,
                             width, height)
        total = items[-1].placed.end
        words = caption_words(items, narration)
        captions = None
        if options.captions and words:
            captions = workdir / "captions.ass"
            cuts = [item.placed.start for item in items[1:]]  # no caption line across one
            captions.write_text(ass_document(words, width, height, options.caption_style, cuts),
                                encoding="utf-8")
        # The framing is worked out while each source's reading is planned (render.segments:
        # read once, in pieces, checked for clean seeks) and the mix written and measured.
        with ThreadPoolExecutor(max_workers=2) as pool, \
                ThreadPoolExecutor(max_workers=1) as mixer:
            framings = pool.map(lambda item: _framing(item, plan.framing, (width, height)),
                                items)
            mixing = []

            def mix(reads: dict[Path, SourceRead]) -> None:
                sounding = [replace(item, read=reads[item.source.path.resolve()])
                            if item.keeps_sound else item for item in items]
                mixing.append(mixer.submit(_mix, plan, sounding, total, narration, options,
                                           workdir))

            # A mix without the sources' own sound (narration, music) needs no source read:
            # it starts at once; one with it as soon as the sound's reads are planned, while
            # the pictures' seek points are still being checked.
            keeps_sound = any(item.keeps_sound for item in items)
            if not keeps_sound:
                mix({})
            reads = plan_reads(items, workdir, options.fps, mix if keeps_sound else None)
            items = [replace(item, read=reads[item.source.path.resolve()]) if item.source
                     else item for item in items]
            items = [replace(item, framing=framing) for item, framing in zip(items, framings)]
            mix_path, final_chain, measured, mix_args = mixing[0].result()
        inputs = GraphInputs()
        index = add_inputs(inputs, items)
        mix_index = inputs.add("-i", mix_path)
        frame = Frame(width, height, options.fps)
        graph = ";".join([*video_graph(items, index, frame, captions),
                          f"[{mix_index}:a]{final_chain}[aout]"])
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.stem}.", suffix=".part",
                                        dir=out_path.parent)
        os.close(fd)
        partial = Path(tmp_name)
        args = [*inputs.args, "-filter_complex", graph, "-map", "[vout]", "-map", "[aout]",
                "-c:v", "libx264", "-preset", options.preset, "-crf", str(options.crf),
                "-pix_fmt", "yuv420p", "-r", str(options.fps), "-g", str(2 * options.fps),
                "-c:a", "aac", "-b:a", options.audio_bitrate, "-ar", "48000", "-ac", "2",
                "-t", f"{total:.3f}", "-movflags", "+faststart", "-f", "mp4", partial]
        try:
            run_ffmpeg(args, subject=plan_label(plan), fix=ENCODE_FIX,
                       progress=_shot_counter(items, total, progress) if progress else None)
            if progress:
                progress(total, total, len(items), len(items))
            os.replace(partial, out_path)
        finally:
            partial.unlink(missing_ok=True)
    return RenderResult(out_path, round(total, 3), width, height, tuple(words), measured,
                        round(time.perf_counter() - started, 3), tuple(map(str, args)),
                        tuple(round(item.placed.duration, 3) for item in items),
                        tuple(map(str, mix_args)))


def _mix(plan: EditPlan, items: list[ShotInput], total: float,
         narration: NarrationResult | None, options: RenderOptions, workdir: Path
         ) -> tuple[Path, str, Loudness, list]:
    """The audio mix before normalisation as a float WAV (no clipping), the chain that
    brings it to the target loudness, its measured loudness and the mix's arguments."""
    inputs = GraphInputs()
    index = add_inputs(inputs, items, sound_only=True)
    narration_index = (inputs.add("-i", narration.wav_path.resolve())
                       if narration is not None else None)
    music_index = None
    if options.background_audio is not None:
        music = Path(options.background_audio)
        if not music.is_file():
            raise MediaError(str(music), "(the background audio) does not exist",
                             "fix the background audio path or leave it empty")
        music_index = inputs.add("-stream_loop", "-1", "-i", music.resolve())
    # The same pass measures the mix as it writes it (the first loudness measurement).
    graph = ";".join([*audio_graph(items, index, total, narration_index, music_index,
                                   options.background_gain_db, "anull"),
                      "[aout]asplit=2[mixed][heard]",
                      *ebur128_filters("[heard]", "measured", peak=True)])
    mix = workdir / "mix.wav"
    args = [*inputs.args, "-filter_complex", graph, "-map", "[mixed]", "-c:a", "pcm_f32le",
            "-ar", "48000", "-ac", "2", "-t", f"{total:.3f}", "-f", "wav", mix.resolve(),
            "-map", "[measured]", "-t", f"{total:.3f}", "-f", "null", "-"]
    first = parse_ebur128(run_ffmpeg_stderr(args, subject=plan_label(plan), fix=ENCODE_FIX),
                          plan_label(plan))

    def measure(chain: str) -> Loudness:
        return first if chain == "anull" else measure_file(mix, chain, true_peak=False)

    chain, measured = normalising_chain(measure, options.loudness_lufs, options.true_peak_db)
    return mix, chain, measured, args


def _shot_counter(items, total: float, progress) -> Callable[[float], None]:
    ends = [item.placed.end for item in items]

    def written(seconds: float) -> None:
        done = min(seconds, total)
        progress(done, total, sum(1 for end in ends if end <= done + 1e-3), len(ends))

    return written


def plan_label(plan: EditPlan) -> str:
    return f"edit plan {plan.request_id} variant {plan.variant}"


def write_poster(video: Path, poster: Path, at: float) -> Path:
    """A small JPEG frame of the finished video for the UI."""
    run_ffmpeg(["-ss", f"{max(at, 0.0):.3f}", "-i", Path(video).resolve(), "-frames:v", "1",
                "-vf", "scale=360:-2", "-f", "image2", "-c:v", "mjpeg", Path(poster).resolve()],
               subject=video, fix="the rendered video could not be decoded: render it again")
    return poster
