"""Where each shot sits on the output timeline, and which words are spoken when."""

from __future__ import annotations

from dataclasses import dataclass

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.remix.types import EditPlan, Shot
from pattern_pivot.render.sources import SourceMedia
from pattern_pivot.transcription.types import Word
from pattern_pivot.tts.narrate import NarrationResult

NARRATION_TAIL = 0.3  # seconds of picture after the last narrated word


@dataclass(frozen=True)
class PlacedShot:
    index: int
    shot: Shot
    start: float
    duration: float

    @property
    def end(self) -> float:
        return self.start + self.duration


def place_shots(plan: EditPlan, narration_seconds: float = 0.0) -> list[PlacedShot]:
    """Shots back to back; the last one is held longer if the narration runs past it."""
    placed, start = [], 0.0
    for i, shot in enumerate(plan.shots):
        placed.append(PlacedShot(i, shot, start, shot.duration))
        start += shot.duration
    if not placed:
        raise PatternPivotError(f"edit plan {plan.request_id} variant {plan.variant}",
                                "has no shots", "re-run the remix plan for this request")
    overrun = narration_seconds + NARRATION_TAIL - start
    if narration_seconds and overrun > 0:
        last = placed[-1]
        placed[-1] = PlacedShot(last.index, last.shot, last.start, last.duration + overrun)
    return placed


def _all_narrated(plan: EditPlan) -> bool:
    return bool(plan.shots) and all(shot.narration for shot in plan.shots)


def narration_cues(plan: EditPlan) -> list[tuple[float, str]]:
    """(earliest start, text) for every narrated shot; the whole script from 0 when no shot
    carries its own narration. When every shot is narrated, each line follows the previous
    one as soon as it ends (the shots are then timed to the voice, see ``paced``), so the
    voice's pace never leaves dead air between lines."""
    if _all_narrated(plan):
        return [(0.0, shot.narration or "") for shot in plan.shots]
    cues = [(p.start, p.shot.narration) for p in place_shots(plan) if p.shot.narration]
    if not cues and plan.script is not None and plan.mode != "supercut":
        cues = [(0.0, plan.script.text)]
    return cues


def paced(plan: EditPlan, narration: NarrationResult | None) -> EditPlan:
    """The plan with each narrated shot lasting from its line's start to the next line's
    (the last to the end of the narration), so pictures change with the voice. Plans that
    are not wholly narrated, or a narration of other lines, are returned unchanged."""
    if narration is None or not _all_narrated(plan) or len(narration.lines) != len(plan.shots):
        return plan
    starts = [start for start, _ in narration.lines]
    ends = starts[1:] + [narration.duration + NARRATION_TAIL]  # as place_shots holds it
    shots = tuple(shot.model_copy(update={"duration": round(max(0.1, end - start), 3)})
                  for shot, start, end in zip(plan.shots, starts, ends))
    return plan.model_copy(update={"shots": shots})


def source_words(placed: PlacedShot, source: SourceMedia) -> list[Word]:
    """The source transcript's words inside a kept-audio span, moved onto the output timeline."""
    span = placed.shot.span
    assert span is not None
    shift = placed.start - span.start
    window_end = span.start + placed.duration
    return [Word(start=round(w.start + shift, 3), end=round(min(w.end, window_end) + shift, 3),
                 text=w.text, prob=w.prob)
            for w in source.words if w.start >= span.start - 0.05 and w.start < window_end - 0.1]
