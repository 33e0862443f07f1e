"""A remix request: what the user asked for, validated, with a deterministic id.

The same request (after normalising whitespace and case of the topic) always gets the same
id, ``remix-`` plus 16 hex digits of a hash of its content, so re-submitting it re-runs the
same `remixes` partition instead of making a new one (the store counts submissions; the
sensor runs each new one).

Request files come from a watched folder anyone may write to, so reading one is bounded: at
most ``MAX_REQUEST_FILE_BYTES`` are read, the text must be UTF-8, YAML anchors and aliases
(the "billion laughs" bomb) are refused, and every field is type-checked before it is used.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import get_args

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from pattern_pivot.errors import PatternPivotError
from pattern_pivot.filenames import printable
from pattern_pivot.remix.types import FRAME_SIZES, Aspect, Framing, Mode

MODES: tuple[str, ...] = get_args(Mode)
FRAMINGS: tuple[str, ...] = get_args(Framing)
MIN_SECONDS, MAX_SECONDS = 5.0, 600.0
MAX_VARIANTS = 5
MAX_STORY_CHARS = 20_000
REQUEST_ID_PREFIX = "remix-"
# A request is a few short fields plus at most a 20,000-character story (up to 80 KB of
# UTF-8); 128 KiB leaves room for that and keeps parsing well under a second.
MAX_REQUEST_FILE_BYTES = 128 * 1024


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
    # Render what the catalog has when it holds less than ``length_seconds`` on the topic.
    allow_shorter: bool = False
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
    return " ".join(text.split())


def request_id(request: RemixRequest) -> str:
    content = json.dumps({"topic": request.topic.lower(), "mode": request.mode,
                          "aspect": request.aspect, "length": round(request.length_seconds, 1),
                          "variants": request.variants, "story": request.story,
                          # only when set, so the ids of earlier requests stay the same
                          **({"allow_shorter": True} if request.allow_shorter else {}),

                          # (framing too: ids made before the field existed stay the same)
                          **({"framing": request.framing} if request.framing != "auto" else {})},
                         sort_keys=True)
    return REQUEST_ID_PREFIX + hashlib.sha256(content.encode()).hexdigest()[:16]


_ALIASES = {"format": "aspect", "length": "length_seconds", "target_seconds": "length_seconds"}


def _field_error(field: str, problem: str, fix: str) -> RemixRequestError:
    return RemixRequestError(f"remix request field {_short(field)}", problem, fix)


def _short(value: object, limit: int = 60) -> str:
    """repr() for an error message, cut so that a huge value cannot flood the log."""
    text = repr(value) if isinstance(value, (str, int, float)) else type(value).__name__
    return text if len(text) <= limit else text[:limit] + "..."


def _kind(value: object) -> str:
    kinds = {dict: "a mapping", list: "a list", bool: "true/false", int: "a number",
             float: "a number"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def _text(fields: dict, name: str, label: str, default: str, *, numbers: bool = False) -> str:
    """A text field; numbers (YAML reads `topic: 1984` as one) only where they make sense."""
    value = fields.get(name, default)
    if isinstance(value, str):
        return value
    if numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _field_error(label, f"is {_kind(value)}, not text",
                       f"write it as plain text, e.g. {label}: \"...\"")


def _number(fields: dict, name: str, label: str, default: float, fix: str) -> float:
    value = fields.get(name, default)
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            number = float(value)
        except (ValueError, OverflowError):
            pass
        else:
            if not math.isnan(number):
                return number
    raise _field_error(label, f"{_short(value)} is not a number", fix)


def parse_request(data: dict) -> RemixRequest:
    """Validate raw fields (from the CLI, a request file or run config) into a request.

    Each bad field gets its own clear error: which field, what is wrong, how to fix it.
    Types are checked before anything is converted, so a list or mapping where text belongs
    is an error, not its str().
    """
    if not isinstance(data, dict):
        raise RemixRequestError("remix request", f"is {_kind(data)}, not a mapping",
                                "write fields like `topic: ...`, `mode: narrated`")
    known = set(RemixRequest.model_fields)
    names = known | {"format", "length"}
    bad_key = next((k for k in data if not isinstance(k, str)), None)
    if bad_key is not None:
        raise _field_error(bad_key, "is not a remix request field",
                           f"use only {', '.join(sorted(names))}")
    fields = {_ALIASES.get(k, k): v for k, v in data.items() if v is not None}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise _field_error(unknown[0], "is not a remix request field",
                           f"use only {', '.join(sorted(names))}")
    topic = _normal_text(_text(fields, "topic", "topic", "", numbers=True))
    story = _text(fields, "story", "story", "").strip()
    mode = _text(fields, "mode", "mode", "narrated").strip().lower()
    if mode not in MODES:
        raise _field_error("mode", f"{_short(mode)} is not a remix mode",
                           f"use one of {', '.join(MODES)}")
    if isinstance(fields.get("aspect"), int) and not isinstance(fields["aspect"], bool):
        # YAML 1.1 reads an unquoted 16:9 as the base-60 number 969.
        raise _field_error("format", f"was read as the number {fields['aspect']}",
                           "quote it, e.g. format: \"16:9\"")
    aspect = _text(fields, "aspect", "format", "9:16").strip()
    if aspect not in FRAME_SIZES:
        raise _field_error("format", f"{_short(aspect)} is not a supported frame format",
                           f"use one of {', '.join(FRAME_SIZES)}")
    framing = _text(fields, "framing", "framing", "auto").strip().lower()
    if framing not in FRAMINGS:
        raise _field_error("framing", f"{_short(framing)} is not a framing",
                           f"use one of {', '.join(FRAMINGS)}")
    length = _number(fields, "length_seconds", "length", 45.0,
                     "give the target length in seconds, e.g. 45")
    if not MIN_SECONDS <= length <= MAX_SECONDS:
        raise _field_error("length", f"{length:g} seconds is out of range",
                           f"use {MIN_SECONDS:g} to {MAX_SECONDS:g} seconds")
    variants_number = _number(fields, "variants", "variants", 1,
                              f"use a whole number from 1 to {MAX_VARIANTS}")
    if not variants_number.is_integer():
        raise _field_error("variants", f"{variants_number:g} is not a whole number",
                           f"use 1 to {MAX_VARIANTS}")
    if not 1 <= variants_number <= MAX_VARIANTS:
        raise _field_error("variants", f"{variants_number:g} is out of range",
                           f"use 1 to {MAX_VARIANTS}")
    variants = int(variants_number)
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
    allow_shorter = fields.get("allow_shorter", False)
    if not isinstance(allow_shorter, bool):
        raise _field_error("allow_shorter", f"is {_kind(allow_shorter)}, not true or false",
                           "write allow_shorter: true (or leave it out)")
    if len(topic) > 300:
        raise _field_error("topic", f"has {len(topic)} characters",
                           "keep the topic under 300 characters; put long text in a story")
    try:
        return RemixRequest(topic=topic, mode=mode, aspect=aspect, length_seconds=length,
                            variants=variants, story=story, allow_shorter=allow_shorter,
                            framing=framing)
    except ValidationError as exc:  # not reached for the fields above; a safety net
        raise RemixRequestError("remix request", str(exc), "check the fields") from exc


def read_text_file(path: Path, what: str, max_bytes: int = MAX_REQUEST_FILE_BYTES) -> str:
    """A small UTF-8 text file, read without ever holding more than ``max_bytes`` + 1 bytes:
    a clear error (naming the file) when it is too big, unreadable or not UTF-8."""
    name = printable(path)
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise RemixRequestError(name, f"cannot be read ({exc.strerror or exc})",
                                f"check that it is a readable {what}") from None
    if len(raw) > max_bytes:
        raise RemixRequestError(name, f"is over {max_bytes // 1024} KiB",
                                f"a {what} is a few short fields (a story at most "
                                f"{MAX_STORY_CHARS:,} characters); shorten it")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RemixRequestError(name, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at "
                                      f"offset {exc.start})",
                                f"save the {what} as UTF-8 text") from None


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases: a few hundred bytes of nested aliases expand
    to gigabytes (and str() of the result takes minutes), and a request never needs them."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _AliasRefused(f"line {event.start_mark.line + 1}, column "
                                f"{event.start_mark.column + 1}")
        return super().compose_node(parent, index)


class _AliasRefused(yaml.YAMLError):
    pass


def load_request_file(path: Path) -> RemixRequest:
    """A request written as YAML (``.yaml``/``.yml``) or JSON (``.json``)."""
    path = Path(path)
    text = read_text_file(path, "remix request file")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" \
            else yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader, without aliases
    except _AliasRefused as exc:
        raise RemixRequestError(printable(path), f"uses a YAML anchor or alias (&name, *name) "
                                                 f"at {exc}",
                                "write each value out in full; requests allow no anchors "
                                "or aliases") from None
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        # RecursionError: thousands of nested brackets; ValueError also covers huge ints.
        detail = " ".join(str(exc).split())[:300]
        raise RemixRequestError(printable(path), f"cannot be parsed ({detail})",
                                "fix the syntax (YAML or JSON)") from None
    try:
        return parse_request(data)
    except RemixRequestError as exc:
        raise RemixRequestError(f"{printable(path)}: {exc.subject}", exc.problem,
                                exc.fix) from None
