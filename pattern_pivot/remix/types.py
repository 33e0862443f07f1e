"""The values that flow from a remix request to a rendered video.

This module is the contract between the remix stage (request -> script -> edit plan) and the
compose stage (edit plan -> narration -> rendered, checked MP4). Times are seconds (floats),
as everywhere else. Everything is a pydantic model so it validates on the way in and
round-trips through JSON files in the media store.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Mode = Literal["supercut", "narrated", "faceless"]
Aspect = Literal["9:16", "1:1", "16:9"]
# How sources fill the frame: `auto` follows faces and fits what a crop would cut
# (pattern_pivot.reframe), `center` crops the middle, `fit` shows the whole picture.
Framing = Literal["auto", "center", "fit"]
Role = Literal["hook", "body", "ending"]

# Output frame size per aspect ratio (width, height).
FRAME_SIZES: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "16:9": (1920, 1080),
}

# Media store layout for remix outputs: <media_root>/<asset>/<request id>/variant-<n>.<ext>
PLAN_ASSET = "remix_plan"


def variant_name(variant: int) -> str:
    return f"variant-{variant}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceSpan(_Frozen):
    """A span of a catalog video (a `videos` partition), cited or cut by a remix."""

    video_id: str
    start: float = Field(ge=0)
    end: float
    text: str = ""
    score: float | None = None  # retrieval relevance, when it came from a search

    @model_validator(mode="after")
    def _ordered(self):
        if self.end <= self.start:
            raise ValueError(f"span {self.video_id} ends ({self.end}) before it starts "
                             f"({self.start})")
        return self

    @property
    def duration(self) -> float:
        return self.end - self.start


class ScriptLine(_Frozen):
    """One spoken line of a narrated or faceless script, with the spans it came from."""

    text: str
    role: Role = "body"
    sources: tuple[SourceSpan, ...] = ()


class Script(_Frozen):
    request_id: str
    variant: int = 1
    title: str
    lines: tuple[ScriptLine, ...]
    writer: str  # which provider wrote it, e.g. "local-qwen2.5-0.5b" or "extractive"
    # Provenance: rounds of critique, providers tried and why each was left.
    meta: dict = Field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)


class Shot(_Frozen):
    """One visual item of the output timeline, in order.

    kind "source": cut `span` from its video. `source_audio` keeps the speaker's own sound
    (supercut); otherwise the span is muted b-roll under narration.
    kind "still": an image file (`image`, a path) with gentle motion.
    kind "card": a generated title card showing `text`.
    `narration` is the text spoken over this shot (narrated and faceless modes).
    """

    kind: Literal["source", "still", "card"]
    duration: float = Field(gt=0)
    role: Role = "body"
    span: SourceSpan | None = None
    source_audio: bool = False
    image: str | None = None
    text: str | None = None
    narration: str | None = None

    @model_validator(mode="after")
    def _complete(self):
        if self.kind == "source" and self.span is None:
            raise ValueError("a source shot needs a span")
        if self.kind == "still" and not self.image:
            raise ValueError("a still shot needs an image path")
        if self.kind == "card" and not self.text:
            raise ValueError("a card shot needs text")
        return self


class EditPlan(_Frozen):
    """Everything the render engine needs for one variant of one request."""

    request_id: str
    variant: int = 1
    mode: Mode
    aspect: Aspect
    framing: Framing = "auto"
    target_seconds: float = Field(gt=0)
    shots: tuple[Shot, ...]
    script: Script | None = None  # narrated and faceless modes
    title: str = ""

    @property
    def frame_size(self) -> tuple[int, int]:
        return FRAME_SIZES[self.aspect]

    @property
    def duration(self) -> float:
        return sum(shot.duration for shot in self.shots)
