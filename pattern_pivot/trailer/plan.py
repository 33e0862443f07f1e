"""Which moments make the trailer and where each one is cut.

A moment is a run of whole sentences (the highlight scorer's windows, shorter). Its edges
may move only inside the pauses around its words (``earliest_start``/``latest_end``): onto
a shot boundary found by scene detection when one lies there, and onto a beat of the music
when there is music. Speech is never cut: ``speech_start``-``speech_end`` always stays in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.remix.types import EditPlan, Shot, SourceSpan

MIN_LENGTH, MAX_LENGTH = 15.0, 60.0
CARD_SECONDS, MIN_CARD, MAX_CARD = 2.0, 1.5, 4.0
SNAP_SECONDS = 0.5  # a shot boundary this close outside the speech becomes the cut
ON_BEAT = 0.06  # a cut this close to a beat is on it (about a frame and a half)
SPEECH_GUARD = 0.05  # never cut closer than this to a spoken word
SHORTEST_SHARE = 0.85  # a plan shorter than this share of the length is refused


@dataclass(frozen=True)
class Moment:
    video_id: str
    start: float  # the cut points (source seconds)
    end: float
    speech_start: float  # first word's start, last word's end: always kept
    speech_end: float
    earliest_start: float  # how far the cuts may move without touching another word
    latest_end: float
    score: float
    title: str
    text: str
    reason: str
    shot_cuts: tuple[float, ...] = ()  # scene changes near the moment (source seconds)

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict:
        return {"video_id": self.video_id, "start": round(self.start, 3),
                "end": round(self.end, 3), "score": self.score, "title": self.title,
                "reason": self.reason, "text": self.text, "shot_cuts": list(self.shot_cuts)}


def check_length(length: float, source_seconds: float, subject: str) -> None:
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise PatternPivotError(f"trailer length {length:g} s", "is out of range",
                                f"ask for {MIN_LENGTH:g}-{MAX_LENGTH:g} s (--length)")
    if length > source_seconds:
        raise PatternPivotError(
            f"trailer length {length:g} s", f"is longer than {subject} ({source_seconds:.1f} s "
            "in all)", f"ask for at most {int(source_seconds)} s, or use a longer source")


def snap_to_shots(moment: Moment) -> Moment:
    """Cut on a shot boundary when one lies in the pause at either edge: the trailer then
    changes picture where the source did, instead of a flash of the previous shot."""
    start, end = moment.start, moment.end
    before = [c for c in moment.shot_cuts if max(moment.earliest_start, start - SNAP_SECONDS)
              <= c <= moment.speech_start - SPEECH_GUARD]
    after = [c for c in moment.shot_cuts if moment.speech_end + SPEECH_GUARD <= c
             <= min(moment.latest_end, end + SNAP_SECONDS)]
    if before:
        start = max(before)  # the latest boundary: the shot the speech starts in
    if after:
        end = min(after)
    return replace(moment, start=start, end=end)


def select(moments: Sequence[Moment], body_seconds: float) -> list[Moment]:
    """The moments that fill ``body_seconds`` best (to a tenth; then the higher total
    score), in story order: each video's moments by time, videos by their best moment.
    Plain best-first would stop at a long top moment that leaves no room for the next."""
    ranked = sorted(moments, key=lambda m: -m.score)
    chosen, best_key = [], (-1.0, 0.0)
    for seed in ranked:  # greedy by score, starting from each moment in turn
        picked, used = [], 0.0
        for m in [seed, *ranked]:
            if m not in picked and used + m.duration <= body_seconds:
                picked.append(m)
                used += m.duration
        key = (round(used / body_seconds, 1), sum(m.score for m in picked))
        if key > best_key:
            chosen, best_key = picked, key
    best = {}
    for m in chosen:
        best[m.video_id] = max(best.get(m.video_id, 0.0), m.score)
    ordered = sorted(chosen, key=lambda m: (-best[m.video_id], m.video_id, m.start))
    merged: list[Moment] = []
    for m in ordered:
        last = merged[-1] if merged else None
        if last and last.video_id == m.video_id and m.start <= last.latest_end:
            merged[-1] = _joined(last, m)  # back to back in the source: one clip, no stutter
        else:
            merged.append(m)
    return merged


def _joined(a: Moment, b: Moment) -> Moment:
    return replace(a, end=b.end, speech_end=b.speech_end, latest_end=b.latest_end,
                   score=max(a.score, b.score), text=f"{a.text} {b.text}",
                   reason=f"{a.reason}; then {b.reason}",
                   shot_cuts=tuple(sorted(set(a.shot_cuts) | set(b.shot_cuts))))


def _nearest(beats: np.ndarray, low: float, high: float, want: float) -> float | None:
    inside = beats[(beats >= low) & (beats <= high)]
    return float(inside[np.argmin(np.abs(inside - want))]) if inside.size else None


@dataclass(frozen=True)
class TrailerPlan:
    plan: EditPlan
    moments: tuple[Moment, ...]  # as cut
    cuts: tuple[float, ...]  # output times where a shot changes
    on_beat: int  # how many of them land on a beat (0 without music)


def plan_trailer(moments: Sequence[Moment], *, key: str, title: str, end_text: str,
                 length: float, aspect: str, beats: np.ndarray | None = None) -> TrailerPlan:
    """Title card, the moments, end card, lasting ``length``. With ``beats``, the title card
    and each moment's end move (inside their pauses) so the cuts fall on beats."""
    if not moments:
        raise PatternPivotError(f"trailer {key}", "found no moment of whole sentences",
                                "use a source with speech")
    beats = np.asarray(beats if beats is not None else [], dtype=float)
    body = sum(m.duration for m in moments)
    card = min(MAX_CARD, max(MIN_CARD, (length - body) / 2))
    if beats.size:
        card = _nearest(beats, MIN_CARD, MAX_CARD, card) or card
    t, cut_moments, cuts = card, [], [card]
    for m in moments:
        end = m.end
        if beats.size:
            low = t + (m.speech_end + SPEECH_GUARD - m.start)
            # Not past the next shot boundary: a flash of the next shot would follow.
            stop = min([m.latest_end, *(c for c in m.shot_cuts if c > m.speech_end)])
            high = min(t + (max(stop, m.end) - m.start), length - MIN_CARD)  # room to end
            beat = _nearest(beats, low, high, t + m.duration)
            if beat is not None:
                end = m.start + (beat - t)
        cut = replace(m, end=end)
        cut_moments.append(cut)
        t += cut.duration
        cuts.append(round(t, 3))
    ending = length - t
    if ending < MIN_CARD or t + MAX_CARD < length * SHORTEST_SHARE:
        spoken = sum(m.duration for m in cut_moments)
        raise PatternPivotError(
            f"trailer {key}", f"has {spoken:.1f} s of strong moments for a {length:g} s "
            "trailer", f"ask for about {int(spoken + 2 * CARD_SECONDS)} s (--length)")
    ending = min(ending, MAX_CARD)
    shots = [Shot(kind="card", duration=round(card, 3), role="hook", text=title)]
    shots += [Shot(kind="source", duration=round(m.duration, 3), source_audio=True,
                   span=SourceSpan(video_id=m.video_id, start=round(m.start, 3),
                                   end=round(m.end, 3), text=m.text, score=m.score))
              for m in cut_moments]
    shots.append(Shot(kind="card", duration=round(ending, 3), role="ending", text=end_text))
    plan = EditPlan(request_id=f"trailer-{key}", mode="supercut", aspect=aspect,
                    framing="auto", target_seconds=length, shots=tuple(shots), title=title)
    on_beat = sum(1 for c in cuts if beats.size and np.min(np.abs(beats - c)) <= ON_BEAT)
    return TrailerPlan(plan, tuple(cut_moments), tuple(cuts), on_beat)
