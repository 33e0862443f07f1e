"""Timed words -> subtitle cues that are comfortable to read and exact to the voice.

A cue starts on its first word's start (never earlier: a caption before the voice looks
broken) and stays up at least until its last word ends. Limits follow the Netflix Timed Text
Style Guide (English): at most 2 lines of 42 characters, at most 7 s and at least 5/6 s on
screen, 2 frames between cues when an end is extended; reading speed at most ~17 characters
per second (Netflix's children's rate; its adult rate is 20, BBC's 160-180 words per minute
is ~13-15): a cue's end is held into the following silence until it reads at that speed.

Cues break where a reader expects it: always at a sentence end, a pause or a shot cut;
otherwise preferably after clause punctuation or before a conjunction, and never after an
article or inside a name (the choice is a shortest-path search over break points).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from pattern_pivot.transcription.types import Word


@dataclass(frozen=True)
class ReadingRules:
    max_line_chars: int = 42
    max_lines: int = 2
    max_cps: float = 17.0
    min_duration: float = 5 / 6
    max_duration: float = 7.0
    min_gap: float = 2 / 24  # two frames at 24 fps
    pause: float = 0.7  # silence that always ends a cue


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]
    # The words on screen, for karaoke highlight; empty for translated text.
    words: tuple[Word, ...] = field(default=(), compare=False)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def chars(self) -> int:
        return sum(visible_len(line) for line in self.lines)

    @property
    def cps(self) -> float:
        return self.chars / max(self.end - self.start, 1e-3)


_INVISIBLE = {"\u200d", "\u200c", "\ufe0e", "\ufe0f", "\u200e", "\u200f", "\u061c"}


def visible_len(text: str) -> int:
    """Characters a reader sees: combining accents, joiners, variation selectors and bidi
    marks take no room (an emoji family or an accented letter counts once)."""
    return sum(1 for ch in unicodedata.normalize("NFC", text)
               if ch not in _INVISIBLE and not unicodedata.combining(ch)
               and not 0x1F3FB <= ord(ch) <= 0x1F3FF)  # skin-tone modifiers


_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？", "؟", '."', '?"', '!"', ".'", ".)")
_CLAUSE_END = (",", ";", ":", "—", "–", ")", "،", "؛", "、")
# Words a line or cue must not end on: articles and determiners (en, pt, es, fr, it, de) ...
_NO_BREAK_AFTER = {
    "a", "an", "the", "my", "your", "his", "her", "its", "our", "their", "this", "these",
    "those", "o", "os", "as", "um", "uma", "uns", "umas", "el", "la", "los", "las", "un",
    "una", "unos", "unas", "le", "les", "une", "des", "du", "il", "lo", "gli", "der", "die",
    "das", "den", "dem", "ein", "eine", "einen", "mr.", "mrs.", "ms.", "dr.", "st.",
}
# ... and prepositions, which read better at the start of the next line.
_WEAK_AFTER = {
    "of", "to", "in", "on", "at", "for", "with", "by", "from", "into", "de", "do", "da",
    "dos", "das", "em", "no", "na", "del", "al", "en", "con", "por", "para", "y", "e", "and",
    "or", "but",
}
# Words a new line or cue may start with: conjunctions and relative pronouns open a clause.
_CLAUSE_START = {
    "and", "but", "or", "so", "because", "which", "who", "whom", "whose", "when", "while",
    "where", "if", "although", "though", "unless", "until", "since", "that", "then", "as",
    "e", "mas", "ou", "porque", "que", "quando", "y", "pero", "o", "cuando", "donde",
}


def _bare(token: str) -> str:
    return token.strip("\"'“”‘’()[]«»¿¡").lower()


def _capitalised(token: str) -> bool:
    stripped = token.lstrip("\"'“‘([«")
    return bool(stripped) and stripped[0].isupper()


_ABBREVIATIONS = {"mr.", "mrs.", "ms.", "dr.", "st.", "prof.", "sr.", "jr.", "vs.", "etc.",
                  "e.g.", "i.e.", "sra.", "sr.", "dra.", "srta."}


def ends_sentence(token: str) -> bool:
    bare = token.strip().lower()
    if bare in _ABBREVIATIONS or (len(bare) == 2 and bare[0].isalpha() and bare[1] == "."):
        return False  # "Mr. Dashwood", "John F. Kennedy": a name goes on
    return token.rstrip().endswith(_SENTENCE_END)


def break_cost(before: str, after: str) -> float:
    """How badly a line or cue break between two tokens reads (0 = at a sentence end)."""
    if ends_sentence(before):
        return 0.0
    if before.endswith(_CLAUSE_END):
        return 1.0
    if _bare(before) in _NO_BREAK_AFTER:
        return 30.0
    if _capitalised(before) and _capitalised(after) and _bare(before) != "i":
        return 20.0  # inside a name ("John / Kennedy")
    if _bare(before) in _WEAK_AFTER:
        return 6.0
    if _bare(after) in _CLAUSE_START:
        return 2.0
    return 4.0


def wrap(tokens: Sequence[str], rules: ReadingRules = ReadingRules()) -> tuple[str, ...] | None:
    """The best way to show tokens in at most ``max_lines`` lines, or None when they do
    not fit. One line when it fits; two balanced lines broken where it reads best."""
    if not tokens:
        return ()
    whole = " ".join(tokens)
    if visible_len(whole) <= rules.max_line_chars:
        return (whole,)
    if rules.max_lines < 2:
        return None
    best, best_cost = None, float("inf")
    for k in range(1, len(tokens)):
        top, bottom = " ".join(tokens[:k]), " ".join(tokens[k:])
        top_len, bottom_len = visible_len(top), visible_len(bottom)
        if top_len > rules.max_line_chars or bottom_len > rules.max_line_chars:
            continue
        cost = break_cost(tokens[k - 1], tokens[k]) + abs(top_len - bottom_len) / 8
        if cost < best_cost:
            best, best_cost = (top, bottom), cost
    return best


def split_long_words(words: Iterable[Word], rules: ReadingRules = ReadingRules()) -> list[Word]:
    """Clean, ordered words. A word longer than a line (a URL, a German compound) is cut into
    line-sized pieces that share its time in proportion to their length."""
    out: list[Word] = []
    for word in sorted(words, key=lambda w: w.start):
        text = " ".join(word.text.split())
        if not text:
            continue
        if out and _continues(text) and " " not in text:
            # ASR splits "cold-hearted" into "cold" + "-hearted" and "don't" into "don" +
            # "'t": glue the piece back so it is not shown as a word of its own.
            last = out.pop()
            word = Word(start=last.start, end=max(last.end, word.end), text=last.text + text,
                        prob=min(last.prob, word.prob))
            text = word.text
        start = word.start if not out else max(word.start, out[-1].start + 0.001)
        end = max(word.end, start + 0.001)
        pieces = [text] if " " not in text and visible_len(text) <= rules.max_line_chars \
            else _pieces(text, rules.max_line_chars)
        total = sum(len(p) for p in pieces)
        at = start
        for piece in pieces:
            piece_end = at + (end - start) * len(piece) / total
            out.append(Word(start=round(at, 3), end=round(piece_end, 3), text=piece,
                            prob=word.prob))
            at = piece_end
    return out


def _continues(text: str) -> bool:
    return text[0] in "-'’%" or all(unicodedata.category(ch).startswith("P") for ch in text)


def _pieces(text: str, size: int) -> list[str]:
    pieces = []
    for token in text.split():
        pieces.extend(token[i:i + size] for i in range(0, len(token), size))
    return pieces


def build_cues(words: Iterable[Word], *, cuts: Sequence[float] = (),
               duration: float | None = None,
               rules: ReadingRules = ReadingRules()) -> list[Cue]:
    """Cues for timed words. ``cuts``: shot-cut times no cue may span; ``duration``: the end
    of the media (no cue outlasts it). Silence gives no cues."""
    words = split_long_words(words, rules)
    n = len(words)
    if n == 0:
        return []
    cuts = sorted(cuts)
    tokens = [w.text for w in words]

    def forced(k: int) -> bool:  # must a cue break between words k-1 and k?
        return (ends_sentence(tokens[k - 1])
                or words[k].start - words[k - 1].end >= rules.pause
                or any(words[k - 1].start < c <= words[k].start for c in cuts))

    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        room_end = words[j].start if j < n else float("inf")
        for i in range(j - 1, -1, -1):
            if i < j - 1 and forced(i + 1):
                break
            if words[j - 1].end - words[i].start > rules.max_duration and i < j - 1:
                break
            lines = wrap(tokens[i:j], rules)
            if lines is None:
                break
            cost = best[i] + 3.0 + (break_cost(tokens[j - 1], tokens[j]) if j < n else 0.0)
            if len(lines) == 2:
                cost += 0.5
            chars = sum(visible_len(line) for line in lines)
            available = min(room_end, words[i].start + rules.max_duration) - words[i].start
            if chars / max(available, 1e-3) > rules.max_cps:
                cost += 2.0 * (chars / max(available, 1e-3) - rules.max_cps)
            if cost < best[j]:
                best[j], back[j] = cost, i
    spans = []
    j = n
    while j > 0:
        spans.append((back[j], j))
        j = back[j]
    spans.reverse()
    return _timed(words, spans, cuts, duration, rules)


def _timed(words: list[Word], spans: list[tuple[int, int]], cuts: Sequence[float],
           duration: float | None, rules: ReadingRules) -> list[Cue]:
    cues = []
    for n, (i, j) in enumerate(spans):
        chunk = words[i:j]
        start, last_end = chunk[0].start, chunk[-1].end
        ceiling = words[j].start if j < len(words) else float("inf")
        ceiling = min([ceiling] + [c for c in cuts if c > chunk[-1].start])
        if duration is not None:
            ceiling = min(ceiling, max(duration, start + 0.001))
        lines = wrap([w.text for w in chunk], rules)
        chars = sum(visible_len(line) for line in lines)
        wanted = start + min(max(rules.min_duration, chars / rules.max_cps), rules.max_duration)
        end = last_end
        if wanted > last_end:  # hold the cue into the silence, a gap short of the next one
            end = max(last_end, min(wanted, ceiling - rules.min_gap))
        end = min(end, ceiling)
        if end <= start:
            end = start + 0.001
        cues.append(Cue(start=round(start, 3), end=round(end, 3), lines=lines,
                        words=tuple(chunk)))
    return cues


def fit_text(start: float, end: float, text: str,
             rules: ReadingRules = ReadingRules()) -> list[Cue]:
    """Text (a translation) shown within [start, end]: one cue when it fits the line limits,
    else consecutive cues that share the time in proportion to their length."""
    tokens = text.split()
    if not tokens:
        return []
    chunks: list[tuple[str, ...]] = []
    i = 0
    while i < len(tokens):
        j = len(tokens)
        while j > i + 1 and wrap(tokens[i:j], rules) is None:
            j -= 1
        lines = wrap(tokens[i:j], rules) or tuple(_pieces(tokens[i], rules.max_line_chars))
        chunks.append(lines)
        i = j
    total = sum(sum(visible_len(line) for line in c) for c in chunks)
    cues, at = [], start
    for lines in chunks:
        share = (end - start) * sum(visible_len(line) for line in lines) / total
        cue_end = end if lines is chunks[-1] else at + share
        cues.append(Cue(start=round(at, 3), end=round(cue_end, 3), lines=lines))
        at = cue_end
    return cues


def rule_violations(cues: Sequence[Cue], rules: ReadingRules = ReadingRules()) -> list[str]:
    """What in these cues breaks the reading rules (empty when none does): for tests and
    for the metadata shown in the UI."""
    problems = []
    for n, cue in enumerate(cues):
        where = f"cue {n + 1} ({cue.start:.3f}-{cue.end:.3f})"
        if cue.end <= cue.start:
            problems.append(f"{where}: ends before it starts")
        if len(cue.lines) > rules.max_lines:
            problems.append(f"{where}: {len(cue.lines)} lines")
        for line in cue.lines:
            if visible_len(line) > rules.max_line_chars:
                problems.append(f"{where}: line of {visible_len(line)} characters")
        if n + 1 < len(cues) and cue.end > cues[n + 1].start:
            problems.append(f"{where}: overlaps the next cue")
    return problems
