"""A sample channel for demos and tests: short narrated videos made from nothing but the
bundled Piper voice, a public-domain portrait and Pillow-drawn cards.

``make_sample_channel(out_dir)`` writes ``NN-<slug>.mp4`` and, beside each, ``NN-<slug>.txt``
holding the exact narration (a reference transcript). Finished videos are never re-rendered.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pattern_pivot.media.probe import probe
from pattern_pivot.sample_channel.cards import section_card, title_card
from pattern_pivot.sample_channel.compose import (
    SECTION_MOVES,
    Shot,
    compose_video,
    push_towards,
    shot_frames,
)
from pattern_pivot.sample_channel.narration import Narration, load_voice, narrate
from pattern_pivot.sample_channel.scripts import SCRIPTS, Script

__all__ = ["SCRIPTS", "SampleVideo", "make_sample_channel"]


@dataclass(frozen=True)
class SampleVideo:
    path: Path
    topic: str
    title: str
    script: str  # exactly what is spoken; also in the .txt beside the video
    duration: float  # seconds of narration, which is the video's length


def _check(count: int, width: int, height: int, fps: int, max_seconds: float | None) -> None:
    if not 1 <= count <= len(SCRIPTS):
        raise ValueError(f"count={count} is out of range: there are {len(SCRIPTS)} sample "
                         f"scripts, so ask for 1 to {len(SCRIPTS)} videos")
    if width < 64 or height < 64 or width % 2 or height % 2:
        raise ValueError(f"{width}x{height} is not a usable video size: use even numbers of "
                         f"at least 64 (H.264 in yuv420p needs even sides)")
    if fps <= 0:
        raise ValueError(f"fps={fps} must be positive")
    if max_seconds is not None and max_seconds <= 0:
        raise ValueError(f"max_seconds={max_seconds} must be positive (or None for full scripts)")


def _shots(script: Script, narration: Narration, work: Path, width: int, height: int,
           fps: int) -> list[Shot]:
    # Cards at video size. A 2x card would halve zoompan's whole-pixel steps but cost about a
    # quarter more CPU per video; at these slow camera speeds a step is 1 px every few frames.
    size = (width, height)
    frames = shot_frames(list(narration.section_seconds), fps)
    total = len(script.sections)
    shots = []
    for number, (section, n) in enumerate(zip(narration.sections, frames), start=1):
        path = work / f"card-{number:02d}.png.part"
        if number == 1:
            card, face = title_card(script, section.heading, size)
            move = push_towards(face)
        else:
            card = section_card(script, number, total, section, size)
            move = SECTION_MOVES[(number - 2) % len(SECTION_MOVES)]
        card.save(path, format="PNG", compress_level=1)  # read once: speed over size
        shots.append(Shot(path, n, move))
    return shots


def _encode(script: Script, narration: Narration, shots: list[Shot], work: Path,
            video_path: Path, *, width: int, height: int, fps: int) -> SampleVideo:
    """Encode in ``work``, then move the transcript and the video into place."""
    # Work files end in .part: a folder watcher must not take them for media to ingest.
    partial_video, partial_text = work / "video.part", work / "transcript.part"
    try:
        compose_video(shots, narration.wav_path, partial_video, width=width, height=height,
                      fps=fps)
        partial_text.write_text(narration.text, encoding="utf-8")
        # The video goes last: its presence marks the pair complete.
        os.replace(partial_text, video_path.with_suffix(".txt"))
        os.replace(partial_video, video_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return SampleVideo(video_path, script.topic, script.title, narration.text, narration.duration)


def _finished(video: SampleVideo) -> Future[SampleVideo]:
    future: Future[SampleVideo] = Future()
    future.set_result(video)
    return future


def make_sample_channel(out_dir: Path, count: int = 5, *, width: int = 1280, height: int = 720,
                        fps: int = 25, max_seconds: float | None = None,
                        on_video: Callable[[SampleVideo], None] | None = None
                        ) -> list[SampleVideo]:
    """Make ``count`` narrated sample videos in ``out_dir`` (skipping ones already there);
    ``on_video`` is told of each one as it is finished (in order).

    ``max_seconds`` cuts each script after its last whole sentence that fits, for quick tests.
    """
    _check(count, width, height, fps, max_seconds)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    voice = None
    videos: list[Future[SampleVideo]] = []
    # One video is narrated while ffmpeg encodes the one before: neither alone fills 2 cores.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sample-encode") as encoder:
        for index, script in enumerate(SCRIPTS[:count], start=1):
            stem = f"{index:02d}-{script.slug}"
            video_path, text_path = out_dir / f"{stem}.mp4", out_dir / f"{stem}.txt"
            if video_path.is_file() and text_path.is_file():
                videos.append(_finished(SampleVideo(
                    video_path, script.topic, script.title,
                    text_path.read_text(encoding="utf-8"), probe(video_path).duration)))
                if on_video is not None:
                    on_video(videos[-1].result())
                continue
            if voice is None:
                voice = load_voice()
            work = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=out_dir))
            try:
                narration = narrate(voice, script, work / "narration.wav.part", max_seconds)
                shots = _shots(script, narration, work, width, height, fps)
                if videos:
                    videos[-1].result()  # an encoding failure stops the run here
            except BaseException:
                shutil.rmtree(work, ignore_errors=True)
                raise
            videos.append(encoder.submit(_encode, script, narration, shots, work, video_path,
                                         width=width, height=height, fps=fps))
            if on_video is not None:
                videos[-1].add_done_callback(lambda done: done.exception() is None
                                             and on_video(done.result()))
    return [video.result() for video in videos]
