"""Edit plans: which shots, in which order, for each mode.

supercut: the speakers' own words, cut on clean boundaries (source audio kept);
narrated: muted b-roll from the cited spans under each narrated line;
faceless: stills (real poster frames when the catalog has them) or title cards per scene.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from pattern_pivot.remix.request import RemixRequest
from pattern_pivot.remix.select import fit_length
from pattern_pivot.remix.spans import TranscriptLookup, snap
from pattern_pivot.remix.types import EditPlan, Script, Shot, SourceSpan
from pattern_pivot.remix.writers.base import speech_seconds, title_for

HOOK_MAX_SECONDS = 8.0  # a hook longer than this is no longer a hook
MIN_PIECE_SECONDS = 2.0
CARD_WORDS = 7

# video id -> a still image of it (the ingest poster frame), or None
StillLookup = Callable[[str], "Path | None"]


def supercut_plan(request: RemixRequest, variant: int, ranked: Sequence[SourceSpan],
                  transcripts: TranscriptLookup) -> EditPlan:
    """The variant's hook first (the n-th ranked segment, trimmed to a short opening), then
    the body in source order, then the next strongest segment as the ending."""
    hook_at = (variant - 1) % len(ranked)
    order = [ranked[hook_at], *ranked[:hook_at], *ranked[hook_at + 1:]]
    pieces: list[SourceSpan] = []
    left = request.length_seconds
    for n, span in enumerate(order):
        if left < MIN_PIECE_SECONDS:
            break
        limit = min(left, HOOK_MAX_SECONDS) if n == 0 else left
        cut = snap(span, transcripts(span.video_id),
                   max_seconds=limit if span.duration > limit else None)
        if cut.duration < MIN_PIECE_SECONDS and n > 0:
            continue
        pieces.append(cut)
        left -= cut.duration
    hook, rest = pieces[0], pieces[1:]
    ending = rest[0] if len(rest) >= 2 else None
    body = [p for p in rest if p is not ending]
    first_seen = {}
    for i, p in enumerate(order):
        first_seen.setdefault(p.video_id, i)
    body.sort(key=lambda p: (first_seen[p.video_id], p.start))
    shots = [Shot(kind="source", duration=round(hook.duration, 3), role="hook", span=hook,
                  source_audio=True)]
    shots += [Shot(kind="source", duration=round(p.duration, 3), role="body", span=p,
                   source_audio=True) for p in body]
    if ending is not None:
        shots.append(Shot(kind="source", duration=round(ending.duration, 3), role="ending",
                          span=ending, source_audio=True))
    return EditPlan(request_id=request.request_id, variant=variant, mode="supercut",
                    aspect=request.aspect, framing=request.framing,
                    target_seconds=request.length_seconds,
                    shots=tuple(shots), title=title_for(request.topic))


def _broll(source: SourceSpan, seconds: float, transcripts: TranscriptLookup) -> SourceSpan:
    """The cited span, long enough to sit under ``seconds`` of narration when the video is."""
    transcript = transcripts(source.video_id)
    end = max(source.end, source.start + seconds)
    if transcript is not None and transcript.duration > source.start:
        end = min(end, transcript.duration)
    return source.model_copy(update={"end": round(max(end, source.start + 0.5), 3)})


def narrated_plan(request: RemixRequest, script: Script,
                  transcripts: TranscriptLookup) -> EditPlan:
    shots = []
    for line in script.lines:
        seconds = speech_seconds(line.text)
        shots.append(Shot(kind="source", duration=seconds, role=line.role,
                          span=_broll(line.sources[0], seconds, transcripts),
                          source_audio=False, narration=line.text))
    return EditPlan(request_id=request.request_id, variant=script.variant, mode="narrated",
                    aspect=request.aspect, framing=request.framing,
                    target_seconds=request.length_seconds,
                    shots=tuple(shots), script=script, title=script.title)


def card_text(text: str, words: int = CARD_WORDS) -> str:
    kept = text.split()[:words]
    return " ".join(kept).rstrip(".,;:!?") + ("..." if len(text.split()) > words else "")


def faceless_plan(request: RemixRequest, script: Script, stills: StillLookup) -> EditPlan:
    """A still of the cited video when one exists, else a card with the line's key words."""
    shots = []
    for line in script.lines:
        seconds = speech_seconds(line.text)
        image = next((stills(s.video_id) for s in line.sources if stills(s.video_id)), None)
        if image is not None:
            shots.append(Shot(kind="still", duration=seconds, role=line.role, image=str(image),
                              narration=line.text))
        else:
            shots.append(Shot(kind="card", duration=seconds, role=line.role,
                              text=card_text(line.text), narration=line.text))
    return EditPlan(request_id=request.request_id, variant=script.variant, mode="faceless",
                    aspect=request.aspect, framing=request.framing,
                    target_seconds=request.length_seconds,
                    shots=tuple(shots), script=script, title=script.title)


__all__ = ["faceless_plan", "fit_length", "narrated_plan", "supercut_plan"]
