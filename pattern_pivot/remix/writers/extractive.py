"""The writer that needs no model: a script made only of sentences the sources actually say.

Deterministic (same brief, same script), so it is the embedded default and the last link of
every fallback chain: a remix never fails for lack of a model.
"""

from __future__ import annotations

from pattern_pivot.remix.types import Script, ScriptLine
from pattern_pivot.remix.writers.base import (
    ScriptBrief,
    WriterError,
    _round_robin,
    fit_lines,
    title_for,
    word_count,
)

_HOOK_MAX_WORDS = 25


class ExtractiveWriter:
    name = "extractive"

    def write(self, brief: ScriptBrief) -> Script:
        if not brief.segments:
            raise WriterError("invalid_output", "no source segments to write from")
        hook_group = brief.sentences[brief.hook_segment]
        # The hook: the variant's segment's first sentence that is a complete short thought.
        hook = next((s for s in hook_group if 4 <= word_count(s.text) <= _HOOK_MAX_WORDS),
                    hook_group[0])
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
