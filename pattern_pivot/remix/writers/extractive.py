"""The writer that needs no model: a script made only of sentences the sources actually say.

Deterministic (same brief, same script), so it is the embedded default and the last link of
every fallback chain: a remix never fails for lack of a model.
"""

from __future__ import annotations

import re

from pattern_pivot.remix.types import Script, ScriptLine, SourceSpan
from pattern_pivot.remix.writers.base import (
    ScriptBrief,
    WriterError,
    _round_robin,
    fit_lines,
    title_for,
    word_count,
)

_HOOK_MAX_WORDS = 25
_CONNECTIVES = {"then", "and", "but", "so", "also", "now", "next", "finally", "this", "that",
                "it", "they", "these", "those"}
_TOKEN = re.compile(r"[a-z0-9']+")


def pick_hook(sentences: tuple[SourceSpan, ...], topic: str) -> SourceSpan:
    """The sentence that opens best on its own: short, sharing the most words with the topic,
    and not leaning on what came before ("Then...", "It..."); the earliest wins ties."""
    topic_words = set(_TOKEN.findall(topic.lower()))

    def score(item: tuple[int, SourceSpan]) -> tuple:
        i, sentence = item
        words = _TOKEN.findall(sentence.text.lower())
        fits = 4 <= len(words) <= _HOOK_MAX_WORDS
        standalone = bool(words) and words[0] not in _CONNECTIVES
        return (fits, standalone, len(topic_words & set(words)), -i)

    return max(enumerate(sentences), key=score)[1]


class ExtractiveWriter:
    name = "extractive"

    def write(self, brief: ScriptBrief) -> Script:
        if not brief.segments:
            raise WriterError("invalid_output", "no source segments to write from")
        hook = pick_hook(brief.sentences[brief.hook_segment], brief.topic)
        lines = [ScriptLine(text=hook.text, sources=(hook,))]
        budget = brief.word_budget
        used = word_count(hook.text)
        for sentence in _round_robin(brief.sentences):
            if sentence == hook:
                continue
            if used + word_count(sentence.text) > budget:
                continue
            lines.append(ScriptLine(text=sentence.text, sources=(sentence,)))
            used += word_count(sentence.text)
        # Keep each source's sentences in spoken order after the hook, sources by rank.
        rank = {seg.video_id + f"@{seg.start}": i for i, seg in enumerate(brief.segments)}

        def order(line: ScriptLine) -> tuple:
            s = line.sources[0]
            seg = next((k for k in brief.segments if k.video_id == s.video_id
                        and k.start - 0.5 <= s.start <= k.end), brief.segments[0])
            return rank[seg.video_id + f"@{seg.start}"], s.start

        body = sorted(lines[1:], key=order)
        fitted, repairs = fit_lines([lines[0], *body], brief)
        return Script(request_id=brief.request_id, variant=brief.variant,
                      title=title_for(brief.topic), lines=fitted, writer=self.name,
                      meta={"length_repair": repairs})
