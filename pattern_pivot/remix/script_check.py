"""A cheap check of a script before anyone spends a render on it: complete sentences, no
repeated line, a proper ending, and a spoken length that fits the request."""

from __future__ import annotations

from dataclasses import dataclass

from pattern_pivot.remix.types import Script
from pattern_pivot.remix.writers.base import word_count
from pattern_pivot.remix.writers.sentences import ends_sentence, is_complete, near_duplicate

LENGTH_TOLERANCE = 0.25  # the same band as the rendered video's duration check


@dataclass(frozen=True)
class ScriptFinding:
    name: str
    passed: bool
    value: object  # what was measured
    expected: str  # the threshold, in words
    detail: str = ""


def check_script(script: Script, target_seconds: float, words_per_second: float,
                 tolerance: float = LENGTH_TOLERANCE) -> list[ScriptFinding]:
    lines = [line.text.strip() for line in script.lines]
    incomplete = [text for text in lines if not is_complete(text)]
    repeats = [(a, b) for i, a in enumerate(lines) for b in lines[i + 1:]
               if near_duplicate(a, b)]
    last = lines[-1] if lines else ""
    words = sum(word_count(text) for text in lines)
    seconds = round(words / words_per_second, 1)
    low, high = target_seconds * (1 - tolerance), target_seconds * (1 + tolerance)
    return [
        ScriptFinding("complete_sentences", not incomplete, len(incomplete),
                      "0 lines that are fragments",
                      "; ".join(repr(t) for t in incomplete[:3])),
        ScriptFinding("no_repeated_line", not repeats, len(repeats),
                      "0 lines that repeat another",
                      "; ".join(f"{a!r} ~ {b!r}" for a, b in repeats[:2])),
        ScriptFinding("ends_on_full_stop",
                      ends_sentence(last) and not last.rstrip("\"'”").endswith("?"),
                      last[-40:], "the last line ends a statement with . or !"),
        ScriptFinding("spoken_length", low <= seconds <= high, seconds,
                      f"{low:.0f}-{high:.0f} s at {words_per_second:.2f} words/s",
                      f"{words} words"),
    ]
