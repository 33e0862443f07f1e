"""What every script writer gets (a brief) and gives (a Script), and the length repair they
share: small models ignore length instructions, so length is enforced in code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

from pattern_pivot.remix.types import Script, ScriptLine, SourceSpan

WORDS_PER_SECOND = 2.5  # a calm narration pace (150 words a minute)
_WORD = re.compile(r"\S+")


class WriterError(Exception):
    """A writer could not produce a usable script for a reason outside our code (the fallback
    chain moves on). ``reason`` is a short machine-readable kind: rate_limited, timeout,
    server_error, connection, unauthorized, http_<status>, invalid_output, not_configured."""

    def __init__(self, reason: str, detail: str):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


@dataclass(frozen=True)
class ScriptBrief:
    request_id: str
    variant: int
    topic: str
    target_seconds: float
    # Ranked source segments and, in the same order, each one's sentences with timings.
    segments: tuple[SourceSpan, ...]
    sentences: tuple[tuple[SourceSpan, ...], ...]
    # The narrating voice's measured pace (pattern_pivot.tts.pace), pauses included.
    words_per_second: float = WORDS_PER_SECOND

    @property
    def word_budget(self) -> int:
        return max(8, int(self.target_seconds * self.words_per_second))

    @property
    def hook_segment(self) -> int:
        """Variants differ by hook: variant n opens with the n-th ranked segment."""
        return (self.variant - 1) % len(self.segments)


class ScriptWriter(Protocol):
    name: str

    def write(self, brief: ScriptBrief) -> Script: ...


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def speech_seconds(text: str, words_per_second: float = WORDS_PER_SECOND) -> float:
    return round(max(1.0, word_count(text) / words_per_second), 2)


def title_for(topic: str) -> str:
    topic = " ".join(topic.split())
    return (topic[:1].upper() + topic[1:])[:80] if topic else "Remix"


def _truncate(text: str, words: int) -> str:
    kept = _WORD.findall(text)[:max(3, words)]
    return " ".join(kept).rstrip(",;:") + ("" if kept[-1].endswith((".", "!", "?")) else ".")


def with_roles(lines: Sequence[ScriptLine]) -> tuple[ScriptLine, ...]:
    """First line the hook, last the ending (with two or more lines), the rest body."""
    out = []
    for i, line in enumerate(lines):
        role = "hook" if i == 0 else ("ending" if i == len(lines) - 1 else "body")
        out.append(line.model_copy(update={"role": role}))
    return tuple(out)


def fit_lines(lines: Sequence[ScriptLine], brief: ScriptBrief, *, tolerance: float = 0.15
              ) -> tuple[tuple[ScriptLine, ...], dict]:
    """Repair a script's length to the brief's word budget (+-tolerance): drop body lines
    from the end, shorten an overlong line, or add unused source sentences before the ending.
    Returns the lines (roles re-assigned) and what was done."""
    budget = brief.word_budget
    lines = list(lines)
    repairs: dict = {"words_before": sum(word_count(x.text) for x in lines)}

    def total() -> int:
        return sum(word_count(x.text) for x in lines)

    while total() > budget * (1 + tolerance) and len(lines) > 2:
        lines.pop(-2)  # the last body line; keep hook and ending
    for _ in range(len(lines)):  # still long: shorten the longest lines, one at a time
        if total() <= budget * (1 + tolerance):
            break
        longest = max(range(len(lines)), key=lambda i: word_count(lines[i].text))
        keep = word_count(lines[longest].text) - (total() - budget)
        lines[longest] = lines[longest].model_copy(
            update={"text": _truncate(lines[longest].text, keep)})
    if total() < budget * (1 - tolerance):
        used = {(s.video_id, s.start) for x in lines for s in x.sources}
        spare = [s for s in _round_robin(brief.sentences) if (s.video_id, s.start) not in used]
        insert_at = len(lines) - 1 if len(lines) >= 2 else len(lines)
        for sentence in spare:
            if total() + word_count(sentence.text) > budget * (1 + tolerance):
                continue
            lines.insert(insert_at, ScriptLine(text=sentence.text, sources=(sentence,)))
            insert_at += 1
            if total() >= budget * (1 - tolerance):
                break
    repairs["words_after"] = total()
    repairs["word_budget"] = budget
    return with_roles(lines), repairs


def _round_robin(groups: Sequence[Sequence[SourceSpan]]) -> list[SourceSpan]:
    """First sentence of every segment, then every second sentence, ...: spreads a script
    over several sources instead of reading one out."""
    out = []
    depth = max((len(g) for g in groups), default=0)
    for i in range(depth):
        out.extend(g[i] for g in groups if i < len(g))
    return out


def _clock(seconds: float) -> str:
    minutes, rest = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes)}:{rest:04.1f}"


def cite(video_id: str, start: float, end: float,
         titles: Mapping[str, str] | None = None) -> str:
    """A source as a person reads it: its title and times, with the id beside it."""
    title = (titles or {}).get(video_id)
    times = f"{_clock(start)}–{_clock(end)}"
    return f"{title} {times} (`{video_id}`)" if title else f"`{video_id}` {times}"


def script_markdown(script: Script, titles: Mapping[str, str] | None = None) -> str:
    """A script for the UI: each line with its role, timing estimate and sources (by title
    and time when ``titles`` maps video ids to titles)."""
    rows = [f"### {script.title}", f"_writer: {script.writer}, variant {script.variant}_", ""]
    t = 0.0
    for line in script.lines:
        seconds = speech_seconds(line.text)
        cites = ", ".join(cite(s.video_id, s.start, s.end, titles) for s in line.sources)
        rows.append(f"- **{line.role}** `{t:5.1f}s` {line.text}"
                    + (f"  \n  <sub>sources: {cites}</sub>" if cites else ""))
        t += seconds
    return "\n".join(rows)
