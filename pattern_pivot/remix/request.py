"""A remix request: what the user asked for, validated, with a deterministic id.

The same request (after normalising whitespace and case of the topic) always gets the same
id, ``remix-`` plus 16 hex digits of a hash of its content, so re-submitting it re-runs the
same `remixes` partition instead of making a new one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import get_args

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.remix.types import FRAME_SIZES, Aspect, Framing, Mode

MODES: tuple[str, ...] = get_args(Mode)
FRAMINGS: tuple[str, ...] = get_args(Framing)
MIN_SECONDS, MAX_SECONDS = 5.0, 600.0
MAX_VARIANTS = 5
MAX_STORY_CHARS = 20_000
REQUEST_ID_PREFIX = "remix-"


class RemixRequestError(PatternPivotError):
    """A remix request with a missing or bad field, or one the catalog cannot serve."""


class RemixRequest(BaseModel):
    """``topic``: what to remix (for faceless mode it may be empty when ``story`` is given);
    ``story``: the user's own text, narrated scene by scene (faceless mode)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str = ""
    mode: Mode = "narrated"
    aspect: Aspect = "9:16"
    length_seconds: float = 45.0
    variants: int = 1
    story: str = ""
    framing: Framing = "auto"

    @property
    def request_id(self) -> str:
        return request_id(self)

    @property
    def query(self) -> str:
        """What to search the catalog for."""
        return self.topic or self.story[:500]

    @property
    def label(self) -> str:
        return self.topic or (self.story[:60] + ("..." if len(self.story) > 60 else ""))


def _normal_text(text: str) -> str:
    return " ".join(str(text).split())


def request_id(request: RemixRequest) -> str:
    content = json.dumps({"topic": request.topic.lower(), "mode": request.mode,
                          "aspect": request.aspect, "length": round(request.length_seconds, 1),
                          "variants": request.variants, "story": request.story,
                          # Only a non-default framing joins the id: ids made before the
                          # field existed stay the same.
                          **({"framing": request.framing} if request.framing != "auto" else {})},
                         sort_keys=True)
    return REQUEST_ID_PREFIX + hashlib.sha256(content.encode()).hexdigest()[:16]


_ALIASES = {"format": "aspect", "length": "length_seconds", "target_seconds": "length_seconds"}


def _field_error(field: str, problem: str, fix: str) -> RemixRequestError:
    return RemixRequestError(f"remix request field {field!r}", problem, fix)


def parse_request(data: dict) -> RemixRequest:
    """Validate raw fields (from the CLI, a request file or run config) into a request.

    Each bad field gets its own clear error: which field, what is wrong, how to fix it.
    """
    if not isinstance(data, dict):
        raise RemixRequestError("remix request", f"is a {type(data).__name__}, not a mapping",
                                "write fields like `topic: ...`, `mode: narrated`")
    fields = {_ALIASES.get(k, k): v for k, v in data.items() if v is not None}
    known = set(RemixRequest.model_fields)
    unknown = sorted(set(fields) - known)
    if unknown:
        raise _field_error(unknown[0], "is not a remix request field",
                           f"use only {', '.join(sorted(known | {'format', 'length'}))}")
    topic = _normal_text(fields.get("topic", ""))
    story = str(fields.get("story", "") or "").strip()
    mode = str(fields.get("mode", "narrated")).strip().lower()
    if mode not in MODES:
        raise _field_error("mode", f"{mode!r} is not a remix mode",
                           f"use one of {', '.join(MODES)}")
    aspect = str(fields.get("aspect", "9:16")).strip()
    if aspect not in FRAME_SIZES:
        raise _field_error("format", f"{aspect!r} is not a supported frame format",
                           f"use one of {', '.join(FRAME_SIZES)}")
    framing = str(fields.get("framing", "auto")).strip().lower()
    if framing not in FRAMINGS:
        raise _field_error("framing", f"{framing!r} is not a framing",
                           f"use one of {', '.join(FRAMINGS)}")
    try:
        length = float(fields.get("length_seconds", 45.0))
    except (TypeError, ValueError):
        raise _field_error("length", f"{fields.get('length_seconds')!r} is not a number",
                           "give the target length in seconds, e.g. 45") from None
    if not MIN_SECONDS <= length <= MAX_SECONDS:
        raise _field_error("length", f"{length:g} seconds is out of range",
                           f"use {MIN_SECONDS:g} to {MAX_SECONDS:g} seconds")
    try:
        variants = int(fields.get("variants", 1))
    except (TypeError, ValueError):
        raise _field_error("variants", f"{fields.get('variants')!r} is not a whole number",
                           f"use 1 to {MAX_VARIANTS}") from None
    if not 1 <= variants <= MAX_VARIANTS:
        raise _field_error("variants", f"{variants} is out of range", f"use 1 to {MAX_VARIANTS}")
    if len(story) > MAX_STORY_CHARS:
        raise _field_error("story", f"has {len(story)} characters",
                           f"shorten it to at most {MAX_STORY_CHARS}")
    if story and mode != "faceless":
        raise _field_error("story", f"is only used in faceless mode, not {mode}",
                           "use --mode faceless, or drop the story and give a topic")
    if not topic and not story:
        raise _field_error("topic", "is empty",
                           "say what the remix is about, e.g. \"sourdough starter\""
                           + (" (or give a story file)" if mode == "faceless" else ""))
    if len(topic) > 300:
        raise _field_error("topic", f"has {len(topic)} characters",
                           "keep the topic under 300 characters; put long text in a story")
    try:
        return RemixRequest(topic=topic, mode=mode, aspect=aspect, length_seconds=length,
                            variants=variants, story=story, framing=framing)
    except ValidationError as exc:  # not reached for the fields above; a safety net
        raise RemixRequestError("remix request", str(exc), "check the fields") from exc


def load_request_file(path: Path) -> RemixRequest:
    """A request written as YAML (``.yaml``/``.yml``) or JSON (``.json``)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise RemixRequestError(str(path), f"cannot be parsed ({exc})",
                                "fix the syntax (YAML or JSON)") from exc
    try:
        return parse_request(data)
    except RemixRequestError as exc:
        raise RemixRequestError(f"{path}: {exc.subject}", exc.problem, exc.fix) from exc
