"""The checks every rendered video must pass before it may be published.

Each check is a pure judgement over one ``Analysis`` and the plan's expectations, returning
whether it passed, a sentence saying why, and the numbers behind it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pattern_pivot.quality.analysis import Analysis, analyse
from pattern_pivot.quality.caption_pixels import CaptionBand
from pattern_pivot.transcription.types import Word

MAX_STRETCH = 2.0  # seconds of black or frozen picture that still pass
MAX_SILENCE = 1.0  # seconds of silence inside a video (not at its ends) that still pass
MIN_SHOT = 1.0  # a shot shorter than this reads as a glitch
EDGE = 0.1  # silence this close to the start or end is a lead-in or tail, not dead air
# A caption seen this close to sound counts as covering it (words are timed by ASR, and a
# line appears with its first word, not before the breath that starts it).
CAPTION_SLACK = 0.25


@dataclass(frozen=True)
class Expectations:
    width: int
    height: int
    target_seconds: float
    duration_tolerance: float = 0.25  # fraction of the target either way
    loudness_lufs: float = -14.0
    loudness_tolerance: float = 1.0
    captions: tuple[Word, ...] = ()  # the caption words on the output timeline
    min_caption_coverage: float = 0.7
    # Where the renderer draws captions; None: captions cannot be looked for (check fails).
    caption_band: CaptionBand | None = None
    max_av_drift: float = 0.25  # seconds between audio and video stream durations
    shot_seconds: tuple[float, ...] = ()  # each shot's length as rendered
    max_silence: float = MAX_SILENCE
    min_shot: float = MIN_SHOT


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    description: str
    metadata: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _round(value: float) -> float | None:
    return round(value, 3) if math.isfinite(value) else None


def check_decodes(a: Analysis, e: Expectations) -> CheckOutcome:
    ok = not a.errors and bool(a.facts.video_codec)
    return CheckOutcome("decodes_fully", ok, "The whole file decodes without errors." if ok else
                        "Decoding failed: " + "; ".join(a.errors[:3] or ["no video stream"]),
                        {"errors": len(a.errors)})


def check_resolution(a: Analysis, e: Expectations) -> CheckOutcome:
    w, h = a.facts.width, a.facts.height
    ok = (w, h) == (e.width, e.height)
    return CheckOutcome("resolution_and_aspect", ok,
                        f"{w}x{h}, expected {e.width}x{e.height}.",
                        {"width": w, "height": h, "expected": f"{e.width}x{e.height}",
                         "aspect": round(w / h, 4) if h else 0.0})


def check_duration(a: Analysis, e: Expectations) -> CheckOutcome:
    d = a.facts.container_seconds
    low, high = (e.target_seconds * (1 - e.duration_tolerance),
                 e.target_seconds * (1 + e.duration_tolerance))
    ok = low <= d <= high
    return CheckOutcome("duration_within_target", ok,
                        f"{d:.2f} s; the target is {e.target_seconds:.1f} s "
                        f"(allowed {low:.1f}-{high:.1f} s).",
                        {"duration_s": round(d, 3), "target_s": e.target_seconds})


def check_loudness(a: Analysis, e: Expectations) -> CheckOutcome:
    lufs = a.loudness.integrated if a.loudness else -math.inf
    ok = abs(lufs - e.loudness_lufs) <= e.loudness_tolerance
    return CheckOutcome("loudness_in_range", ok,
                        f"{lufs:.1f} LUFS integrated; expected {e.loudness_lufs:.0f} "
                        f"± {e.loudness_tolerance:.0f}.",
                        {"integrated_lufs": _round(lufs),
                         "true_peak_db": _round(a.loudness.true_peak) if a.loudness else None})


def _longest(intervals, end: float) -> float:
    return max((min(b, end) - a for a, b in intervals), default=0.0)


def _no_long_stretch(kind: str, intervals, a: Analysis) -> CheckOutcome:
    longest = _longest(intervals, a.facts.container_seconds)
    ok = longest <= MAX_STRETCH and bool(a.facts.video_codec)
    return CheckOutcome(f"no_{kind}_stretch", ok,
                        f"Longest {kind} stretch {longest:.2f} s (at most {MAX_STRETCH:.0f} s).",
                        {f"longest_{kind}_s": round(longest, 3),
                         f"{kind}_stretches": len(intervals)})


def check_black(a: Analysis, e: Expectations) -> CheckOutcome:
    return _no_long_stretch("black", a.black, a)


def check_frozen(a: Analysis, e: Expectations) -> CheckOutcome:
    return _no_long_stretch("frozen", a.frozen, a)


def check_av_sync(a: Analysis, e: Expectations) -> CheckOutcome:
    v, s = a.facts.video_seconds, a.facts.audio_seconds
    ok = bool(a.facts.audio_codec) and abs(v - s) <= e.max_av_drift
    return CheckOutcome("audio_video_durations_match", ok,
                        f"Video {v:.2f} s, audio {s:.2f} s" +
                        ("" if a.facts.audio_codec else " (no audio stream)") + ".",
                        {"video_s": round(v, 3), "audio_s": round(s, 3)})


def check_dead_air(a: Analysis, e: Expectations) -> CheckOutcome:
    end = a.facts.container_seconds
    inside = [(max(s, 0.0), min(t, end)) for s, t in a.silent if s > EDGE and t < end - EDGE]
    longest = max((t - s for s, t in inside), default=0.0)
    ok = longest <= e.max_silence and bool(a.facts.audio_codec)
    where = max(inside, key=lambda x: x[1] - x[0]) if inside else None
    return CheckOutcome("no_dead_air", ok,
                        f"Longest silence inside the video {longest:.2f} s"
                        + (f" at {where[0]:.1f} s" if where and not ok else "")
                        + f" (at most {e.max_silence:g} s).",
                        {"longest_silence_s": round(longest, 3), "max_silence_s": e.max_silence,
                         "silences_inside": len(inside)})


def check_shot_lengths(a: Analysis, e: Expectations) -> CheckOutcome:
    shortest = min(e.shot_seconds, default=float("inf"))
    short = [i + 1 for i, d in enumerate(e.shot_seconds) if d < e.min_shot]
    ok = not short
    return CheckOutcome("no_short_shot", ok,
                        (f"Shortest shot {shortest:.2f} s" if e.shot_seconds else "No shots")
                        + (f"; shots {short} are under {e.min_shot:g} s." if short else
                           f" (at least {e.min_shot:g} s)."),
                        {"shortest_shot_s": _round(shortest), "min_shot_s": e.min_shot,
                         "short_shots": short, "shots": len(e.shot_seconds)})


def speech_intervals(a: Analysis) -> list[tuple[float, float]]:
    """Where the output is not silent (silencedetect's gaps, inverted)."""
    end = a.facts.container_seconds
    spans, cursor = [], 0.0
    for start, stop in sorted(a.silent):
        if start > cursor:
            spans.append((cursor, min(start, end)))
        cursor = max(cursor, min(stop, end))
    if cursor < end:
        spans.append((cursor, end))
    return [(s, t) for s, t in spans if t - s > 0.05]


def _union_within(span: tuple[float, float], pieces) -> float:
    start, end = span
    total, cursor = 0.0, start
    for a, b in sorted(pieces):
        a = max(a, cursor)
        b = min(b, end)
        if b > a:
            total += b - a
            cursor = b
    return total


def caption_seen(a: Analysis, slack: float = 0.0) -> list[tuple[float, float]]:
    """The stretches of time where captions were seen in the pixels (each sample stands for
    the time up to half a sample period either side, plus ``slack``)."""
    half = 0.5 / a.caption_sample_rate + slack
    return [(i / a.caption_sample_rate - half, i / a.caption_sample_rate + half)
            for i, frame in enumerate(a.caption_samples or ()) if frame.present]


def check_captions(a: Analysis, e: Expectations) -> CheckOutcome:
    name, need = "captions_cover_speech", e.min_caption_coverage
    speech = speech_intervals(a)
    spoken = sum(t - s for s, t in speech)
    if not a.facts.audio_codec or a.loudness is None or a.loudness.silent or spoken < 0.5:
        ok = not e.captions or a.facts.audio_codec != ""
        return CheckOutcome(name, ok, "No speech to caption."
                            if ok else "Captions but no audio.", {"speech_s": round(spoken, 3)})
    if a.caption_samples is None:
        return CheckOutcome(name, False, "Captions were not looked for in the picture (no "
                            "caption band given).", {"coverage": None, "min_coverage": need,
                                                     "speech_s": round(spoken, 3)})
    seen = caption_seen(a, CAPTION_SLACK)
    share = sum(_union_within(span, seen) for span in speech) / spoken
    # How much of the plan's own word time shows a caption: low when captions drift or fail.
    planned = sum(w.end - w.start for w in e.captions)
    exact = caption_seen(a)
    shown = (sum(_union_within((w.start, w.end), exact) for w in e.captions) / planned
             if planned > 0 else None)
    ok = share >= need
    return CheckOutcome(name, ok,
                        f"Captions seen in the picture over {share:.0%} of the {spoken:.1f} s "
                        f"with sound (at least {need:.0%}).",
                        {"coverage": round(share, 3), "min_coverage": need,
                         "speech_s": round(spoken, 3), "caption_words": len(e.captions),
                         "planned_words_shown": None if shown is None else round(shown, 3),
                         "frames_sampled": len(a.caption_samples),
                         "frames_with_captions": sum(f.present for f in a.caption_samples)})


CHECKS = (check_decodes, check_resolution, check_duration, check_loudness, check_black,
          check_frozen, check_av_sync, check_captions, check_dead_air, check_shot_lengths)
CHECK_NAMES = ("decodes_fully", "resolution_and_aspect", "duration_within_target",
               "loudness_in_range", "no_black_stretch", "no_frozen_stretch",
               "audio_video_durations_match", "captions_cover_speech", "no_dead_air",
               "no_short_shot")


def run_checks(path: Path, expected: Expectations,
               analysis: Analysis | None = None) -> list[CheckOutcome]:
    analysis = analysis or analyse(path, expected.caption_band)
    return [check(analysis, expected) for check in CHECKS]


def write_outcomes(outcomes: list[CheckOutcome], path: Path) -> None:
    Path(path).write_text(json.dumps([o.to_dict() for o in outcomes], indent=1),
                          encoding="utf-8")


def read_outcomes(path: Path) -> list[CheckOutcome]:
    return [CheckOutcome(**o) for o in json.loads(Path(path).read_text(encoding="utf-8"))]
