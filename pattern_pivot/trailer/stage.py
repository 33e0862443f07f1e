"""The trailer stages: one video's trailer, and a channel's (its videos' best moments
together). Like the other stages they read their inputs from the media store, write
atomically and skip work whose inputs have not changed.

Layout: ``video_trailer/<video>/`` and ``channel_trailer/<channel>/`` each hold
``trailer.mp4``, ``trailer.jpg`` (poster), ``trailer.checks.json`` and ``trailer.json``
(the moments as cut, the cuts, how many fall on a beat, the checks).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Sequence

from pattern_pivot import ingest
from pattern_pivot.errors import PatternPivotError
from pattern_pivot.hashing import inputs_digest
from pattern_pivot.highlights.find import find_highlights
from pattern_pivot.highlights.windows import spoken_words
from pattern_pivot.media.store import MediaStore
from pattern_pivot.quality.checks import CheckOutcome, read_outcomes, run_checks, write_outcomes
from pattern_pivot.remix.types import FRAME_SIZES
from pattern_pivot.render.engine import RenderOptions, render_plan, write_poster
from pattern_pivot.render.sources import SourceResolver
from pattern_pivot.render.stage import expectations
from pattern_pivot.trailer.music import beat_times, pick_music
from pattern_pivot.trailer.plan import (
    CARD_SECONDS,
    SPEECH_GUARD,
    Moment,
    check_length,
    plan_trailer,
    select,
    snap_to_shots,
)
from pattern_pivot.trailer.shots import shot_cuts
from pattern_pivot.transcription.types import Transcript

log = logging.getLogger(__name__)

VIDEO_TRAILER, CHANNEL_TRAILER = "video_trailer", "channel_trailer"
NAMES = {"video": "trailer.mp4", "poster": "trailer.jpg", "checks": "trailer.checks.json",
         "index": "trailer.json"}
MOMENT_SECONDS = (2.5, 8.0)  # a moment: one or two whole sentences, a trailer moves on
VISUAL_BONUS = 0.05  # per shot boundary near a moment (at most two): pictures that move
MUSIC_GAIN_DB = -14.0  # under speech the sidechain ducks it by up to ~15 dB more
_VERSION = "trailer-v1"


@dataclass(frozen=True)
class TrailerSettings:
    length: float = 30.0
    aspect: str = "16:9"
    music: str = ""  # a file or a folder of them; empty: the speakers' own sound only

    def __post_init__(self) -> None:
        if self.aspect not in FRAME_SIZES:
            raise PatternPivotError(f"format {self.aspect}", "is not a supported frame format",
                                    f"use one of {', '.join(FRAME_SIZES)}")
        check_length(self.length, math.inf, "its source")


def video_moments(store: MediaStore, video_id: str, sources: SourceResolver,
                  count: int) -> list[Moment]:
    """Up to ``count`` scored moments of one video: whole sentences (hook, complete thought,
    question and answer, speech energy), lifted by the shot boundaries near them and cut on
    those boundaries where they fall in a pause."""
    transcript_out = ingest.stored_output(store, ingest.TRANSCRIPT, video_id,
                                          ingest.TRANSCRIPT_NAME)
    audio_out = ingest.stored_output(store, ingest.AUDIO, video_id, ingest.AUDIO_NAME)
    transcript = Transcript.read_json(transcript_out.path)
    source = sources(video_id)
    found = find_highlights(transcript, audio_out.path, subject=f"video {video_id}",
                            count=count, min_seconds=MOMENT_SECONDS[0],
                            max_seconds=MOMENT_SECONDS[1])
    words = spoken_words(transcript)
    duration = source.info.duration
    moments = []
    for h in found:
        inside = [w for w in words if h.start - 0.01 <= w.start and w.end <= h.end + 0.01]
        before = [w.end for w in words if w.end <= h.start + 0.01]
        after = [w.start for w in words if w.start >= h.end - 0.01]
        speech_start = inside[0].start if inside else h.start
        speech_end = inside[-1].end if inside else h.end
        earliest = max(0.0, (before[-1] + SPEECH_GUARD) if before else 0.0)
        latest = min(duration, (after[0] - SPEECH_GUARD) if after else duration)
        cuts = shot_cuts(source.path, earliest, latest) if source.info.video else ()
        moment = Moment(video_id, h.start, h.end, speech_start, speech_end,
                        min(earliest, h.start), max(latest, h.end),
                        round(h.score + VISUAL_BONUS * min(2, len(cuts)), 3), h.title,
                        h.text, h.reason + (f"; {len(cuts)} shot change(s)" if cuts else ""),
                        cuts)
        moments.append(snap_to_shots(moment))
    return moments


def candidates_for(length: float) -> int:
    """Enough moments to fill the length several ways."""
    return max(4, math.ceil(length / MOMENT_SECONDS[0]))


@dataclass(frozen=True)
class TrailerOutput:
    path: Path
    poster: Path
    index: Path
    moments: tuple[Moment, ...]
    cuts: tuple[float, ...]
    on_beat: int
    music: Path | None
    checks: tuple[CheckOutcome, ...]
    cached: bool

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


def _stored(store: MediaStore, asset: str, key: str, cached: bool) -> TrailerOutput:
    paths = {k: store.path(asset, key, v) for k, v in NAMES.items()}
    data = json.loads(paths["index"].read_text(encoding="utf-8"))
    moments = tuple(Moment(**(m | {"shot_cuts": tuple(m["shot_cuts"])}))
                    for m in data["moments_full"])
    return TrailerOutput(paths["video"], paths["poster"], paths["index"], moments,
                         tuple(data["cuts"]), data["on_beat"],
                         Path(data["music"]) if data["music"] else None,
                         tuple(read_outcomes(paths["checks"])), cached)


def store_trailer(store: MediaStore, asset: str, key: str, moments: Sequence[Moment], *,
                  title: str, end_text: str, settings: TrailerSettings,
                  sources: SourceResolver, options: RenderOptions,
                  inputs: Sequence[str]) -> TrailerOutput:
    """Select, cut, render and check the trailer of ``moments`` (skipped when nothing
    changed: ``inputs`` are the fingerprints of what the moments came from)."""
    music = pick_music(Path(settings.music), key) if settings.music else None
    music_id = (f"{music.resolve()}:{music.stat().st_size}:{music.stat().st_mtime_ns}"
                if music else "-")
    fingerprint = inputs_digest(*inputs, json.dumps(asdict(settings)), music_id, title,
                                end_text, repr(options), _VERSION)
    if all(store.is_current(asset, key, n, fingerprint) for n in NAMES.values()):
        return _stored(store, asset, key, True)
    chosen = select(moments, settings.length - 2 * CARD_SECONDS)
    beats = beat_times(music, settings.length) if music else None
    planned = plan_trailer(chosen, key=key, title=title, end_text=end_text,
                           length=settings.length, aspect=settings.aspect, beats=beats)
    log.info("trailer %s: %d moments, %d cuts (%d on a beat)", key, len(planned.moments),
             len(planned.cuts), planned.on_beat)
    spoken = sum(m.duration for m in planned.moments) / settings.length
    # With music the cards have sound but no words, and the caption check cannot tell music
    # from speech: ask for the share it asks of speech, of the spoken part only.
    options = replace(options, background_audio=music, background_gain_db=MUSIC_GAIN_DB,
                      min_caption_coverage=options.min_caption_coverage * (
                          min(1.0, spoken) if music else 1.0))
    with store.atomic_write(asset, key, NAMES["video"], fingerprint) as tmp:
        result = render_plan(planned.plan, tmp, sources, None, options)
        outcomes = run_checks(tmp, expectations(planned.plan, options, result.words,
                                                result.shot_seconds))
        with store.atomic_write(asset, key, NAMES["poster"], fingerprint) as poster:
            write_poster(tmp, poster, planned.cuts[0] + 1.0)
    with store.atomic_write(asset, key, NAMES["checks"], fingerprint) as tmp:
        write_outcomes(outcomes, tmp)
    index = {"key": key, "title": title, "length": settings.length,
             "duration": result.duration, "music": str(music) if music else "",
             "cuts": list(planned.cuts), "on_beat": planned.on_beat,
             "beats": len(beats) if beats is not None else 0,
             "moments": [m.to_dict() for m in planned.moments],
             "moments_full": [asdict(m) | {"shot_cuts": list(m.shot_cuts)}
                              for m in planned.moments],
             "passed": all(c.passed for c in outcomes),
             "checks": {c.name: {"passed": c.passed, "description": c.description}
                        for c in outcomes}}
    with store.atomic_write(asset, key, NAMES["index"], fingerprint) as tmp:
        tmp.write_text(json.dumps(index, indent=1), encoding="utf-8")
    return _stored(store, asset, key, False)


def _inputs(store: MediaStore, video_id: str) -> list[str]:
    return [ingest.stored_output(store, asset, video_id, name).fingerprint
            for asset, name in ((ingest.TRANSCRIPT, ingest.TRANSCRIPT_NAME),
                                (ingest.AUDIO, ingest.AUDIO_NAME))]


def store_video_trailer(store: MediaStore, video_id: str, title: str,
                        sources: SourceResolver, settings: TrailerSettings,
                        options: RenderOptions) -> TrailerOutput:
    check_length(settings.length, sources(video_id).info.duration, f"video {video_id}")
    inputs = _inputs(store, video_id)
    moments = video_moments(store, video_id, sources, candidates_for(settings.length))
    return store_trailer(store, VIDEO_TRAILER, video_id, moments, title=title,
                         end_text=f"Watch the full video: {title}", settings=settings,
                         sources=sources, options=options, inputs=inputs)


def store_channel_trailer(store: MediaStore, channel: str, videos: Sequence[str],
                          sources: SourceResolver, settings: TrailerSettings,
                          options: RenderOptions) -> TrailerOutput:
    """The channel's trailer from the best moments of each of ``videos`` (ingested ones);
    a video without speech is left out (logged), not fatal."""
    if not videos:
        raise PatternPivotError(f"channel {channel}", "has no ingested videos",
                                "add videos and ingest them first (pattern-pivot ingest)")
    total = sum(sources(v).info.duration for v in videos)
    check_length(settings.length, total, f"channel {channel}'s videos")
    per_video = max(2, math.ceil(candidates_for(settings.length) / len(videos)) + 1)
    moments, inputs = [], []
    for video_id in videos:
        try:
            moments += video_moments(store, video_id, sources, per_video)
        except PatternPivotError as exc:
            log.warning("channel trailer %s: leaving out %s (%s)", channel, video_id, exc)
            continue
        inputs += _inputs(store, video_id)
    return store_trailer(store, CHANNEL_TRAILER, channel, moments, title=f"{channel}",
                         end_text=f"Subscribe to {channel}", settings=settings,
                         sources=sources, options=options, inputs=inputs)
