"""Edit plans: which shots, in which order, for each mode.

supercut: the speakers' own words, cut on clean boundaries (source audio kept);
narrated: muted b-roll from the cited spans under each narrated line;
faceless: stills (real poster frames when the catalog has them) or title cards per scene.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from pattern_pivot.remix.request import RemixRequest, RemixRequestError
from pattern_pivot.remix.spans import TranscriptLookup, sentences_of, snap, tighten
from pattern_pivot.remix.types import EditPlan, Script, Shot, SourceSpan
from pattern_pivot.remix.writers.base import WORDS_PER_SECOND, speech_seconds, title_for
from pattern_pivot.remix.writers.sentences import content_words
from pattern_pivot.tts.text import sentences as split_sentences

HOOK_MAX_SECONDS = 8.0  # a hook longer than this is no longer a hook
MIN_PIECE_SECONDS = 2.0

# video id -> a still image of it (the ingest poster frame), or None
StillLookup = Callable[[str], "Path | None"]


def _clean_pieces(order: Sequence[SourceSpan], length: float, hook_max: float,
                  transcripts: TranscriptLookup) -> list[SourceSpan]:
    """Pieces cut cleanly (snap) from ``order`` until ``length`` is filled, the first (the
    hook) at most ``hook_max`` long; what a trim leaves of a segment stays in the queue."""
    pieces: list[SourceSpan] = []
    left = length
    queue = list(order)
    while queue and left >= MIN_PIECE_SECONDS:
        span = queue.pop(0)
        limit = min(left, hook_max) if not pieces else left
        cut = snap(span, transcripts(span.video_id), max_seconds=limit)
        if cut is None or (cut.duration < MIN_PIECE_SECONDS and pieces):
            continue  # no clean cut of it fits: a cut inside a phrase garbles the words
        pieces.append(cut)
        left -= cut.duration
        if span.end - cut.end >= MIN_PIECE_SECONDS:  # what a trim (the hook) left is not lost
            queue.insert(0, span.model_copy(update={"start": cut.end}))
    return pieces


def supercut_plan(request: RemixRequest, variant: int, ranked: Sequence[SourceSpan],
                  transcripts: TranscriptLookup) -> EditPlan:
    """The variant's hook first (the n-th ranked segment, trimmed to a short opening), then
    the body in source order, then the next strongest segment as the ending."""
    hook_at = (variant - 1) % len(ranked)
    order = [ranked[hook_at], *ranked[:hook_at], *ranked[hook_at + 1:]]
    # No sentence short enough for a hook: a longer hook rather than no supercut.
    pieces = _clean_pieces(order, request.length_seconds, HOOK_MAX_SECONDS, transcripts) \
        or _clean_pieces(order, request.length_seconds, request.length_seconds, transcripts)
    if not pieces:
        raise RemixRequestError(
            f"topic {request.label[:80]!r}",
            "has no passage that can be cut cleanly (at sentence ends or pauses) to fit",
            "raise --length, or add videos that talk about it at more length")
    hook, rest = pieces[0], pieces[1:]
    ending = rest[0] if len(rest) >= 2 else None
    body = [p for p in rest if p is not ending]
    first_seen = {}
    for i, p in enumerate(order):
        first_seen.setdefault(p.video_id, i)
    body.sort(key=lambda p: (first_seen[p.video_id], p.start))
    roles = [("hook", hook), *(("body", p) for p in body),
             *([("ending", ending)] if ending is not None else [])]
    # Long pauses inside a piece are cut out: the speaker's words stay, the dead air goes.
    shots = [Shot(kind="source", duration=round(part.duration, 3), role=role, span=part,
                  source_audio=True)
             for role, piece in roles for part in tighten(piece, transcripts(piece.video_id))]
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


def narrated_plan(request: RemixRequest, script: Script, transcripts: TranscriptLookup,
                  words_per_second: float = WORDS_PER_SECOND) -> EditPlan:
    """One muted b-roll shot per line; durations are estimates at the voice's pace (the
    render times each shot to its spoken line)."""
    shots = []
    for line in script.lines:
        seconds = speech_seconds(line.text, words_per_second)
        shots.append(Shot(kind="source", duration=seconds, role=line.role,
                          span=_broll(line.sources[0], seconds, transcripts),
                          source_audio=False, narration=line.text))
    return EditPlan(request_id=request.request_id, variant=script.variant, mode="narrated",
                    aspect=request.aspect, framing=request.framing,
                    target_seconds=request.length_seconds,
                    shots=tuple(shots), script=script, title=script.title)


def card_text(text: str) -> str:
    """What a title card shows: the line's first sentence, whole (cards shrink and wrap
    their text to fit; a card that ends in "..." reads as broken)."""
    return split_sentences(text)[0] if text.strip() else text


def _best_sentence(span: SourceSpan, line: str, transcripts: TranscriptLookup) -> SourceSpan:
    """The sentence of ``span`` whose words best match ``line`` (word-level precision: the
    footage starts where the speaker says what the line is about)."""
    options = sentences_of(span, transcripts(span.video_id))
    wanted = content_words(line)
    return max(options, key=lambda s: (len(wanted & content_words(s.text)), -s.start))


def _overlaps(a: SourceSpan, b: SourceSpan) -> bool:
    return a.video_id == b.video_id and a.start < b.end and b.start < a.end


# (scene text, pictures already used) -> a picture for it, or None
PictureLookup = Callable[[str, set], "Path | None"]


def faceless_plan(request: RemixRequest, script: Script, stills: StillLookup,
                  words_per_second: float = WORDS_PER_SECOND, *,
                  transcripts: TranscriptLookup = lambda video_id: None,
                  has_footage: Callable[[str], bool] = lambda video_id: False,
                  own_images: PictureLookup = lambda text, used: None,
                  generated: PictureLookup = lambda text, used: None) -> EditPlan:
    """Each line over, in this order: a picture from the user's own folder whose name matches
    it; the catalog footage that best matches its words (muted, from the sentence that
    matches best); a generated picture (when an images endpoint is configured); a video's
    still; a title card. Nothing is shown twice while another match is left."""
    shots: list[Shot] = []
    used_spans: list[SourceSpan] = []
    used_stills: set[str] = set()
    for line in script.lines:
        seconds = speech_seconds(line.text, words_per_second)
        shot = None
        picture = own_images(line.text, used_stills)
        if picture is not None:
            used_stills.add(str(picture))
            shot = Shot(kind="still", duration=seconds, role=line.role, image=str(picture),
                        narration=line.text)
        for source in () if shot else line.sources:
            if not has_footage(source.video_id):
                continue
            span = _broll(_best_sentence(source, line.text, transcripts), seconds, transcripts)
            if not any(_overlaps(span, used) for used in used_spans):
                used_spans.append(span)
                shot = Shot(kind="source", duration=seconds, role=line.role, span=span,
                            source_audio=False, narration=line.text)
                break
        if shot is None:
            picture = generated(line.text, used_stills)
            image = str(picture) if picture is not None else next(
                (str(img) for img in (stills(s.video_id) for s in line.sources)
                 if img is not None and str(img) not in used_stills), None)
            if image is not None:
                used_stills.add(image)
                shot = Shot(kind="still", duration=seconds, role=line.role, image=image,
                            narration=line.text)
        if shot is None:
            shot = Shot(kind="card", duration=seconds, role=line.role,
                        text=card_text(line.text), narration=line.text)
        shots.append(shot)
    return EditPlan(request_id=request.request_id, variant=script.variant, mode="faceless",
                    aspect=request.aspect, framing=request.framing,
                    target_seconds=request.length_seconds,
                    shots=tuple(shots), script=script, title=script.title)


__all__ = ["faceless_plan", "narrated_plan", "supercut_plan"]
