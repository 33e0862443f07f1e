"""The writer that needs no model: a script made only of sentences the sources actually say.

It builds an arc a person would read aloud: a hook that stands on its own, two to four body
points (each a run of consecutive sentences of one source, opening on one that needs no
context), and a closing line that completes the thought. Pieces cut off by pauses are joined
back into sentences; fragments, replies and near-repeats are left out. Lines are never
truncated (a cut sentence is a fragment), so the length is met by choosing whole sentences.

Deterministic (same brief, same script), so it is the embedded default and the last link of
every fallback chain: a remix never fails for lack of a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from pattern_pivot.remix.types import Script, ScriptLine, SourceSpan
from pattern_pivot.remix.writers.base import (
    ScriptBrief,
    WriterError,
    title_for,
    with_roles,
    word_count,
)
from pattern_pivot.remix.writers.sentences import (
    content_words,
    is_complete,
    near_duplicate,
    self_contained,
    stands_alone,
    tokens,
    whole_sentences,
)

_HOOK_MAX_WORDS = 25
_CLOSING_MAX_WORDS = 30
MAX_POINTS = 4
MAX_SENTENCES_PER_POINT = 3
_TOLERANCE = 0.15  # the script may run this far over its word budget


@dataclass(frozen=True)
class _Sentence:
    span: SourceSpan
    segment: int  # rank of the retrieved segment it belongs to
    index: int  # position within that segment

    @property
    def text(self) -> str:
        return self.span.text

    @property
    def words(self) -> int:
        return word_count(self.span.text)


def pick_hook(sentences: Sequence[SourceSpan], topic: str) -> SourceSpan:
    """The sentence that opens best on its own: standing alone, short enough to land, sharing
    the most words with the topic (a question earns a little); the earliest wins ties."""
    topic_words = content_words(topic)

    def score(item: tuple[int, SourceSpan]) -> tuple:
        i, sentence = item
        words = tokens(sentence.text)
        fits = 4 <= len(words) <= _HOOK_MAX_WORDS
        overlap = len(topic_words & content_words(sentence.text))
        question = sentence.text.strip().endswith("?")
        return (fits, stands_alone(sentence.text), self_contained(sentence.text),
                overlap + 0.5 * question, -i)

    return max(enumerate(sentences), key=score)[1]


def _closing_score(s: _Sentence, topic_words: set[str], last_index: int) -> tuple:
    """A closing line states something (ends on a full stop), is about the topic, and tends to
    come late in its source, where speakers sum up."""
    return (s.text.strip().endswith((".", "!")), self_contained(s.text),
            len(topic_words & content_words(s.text)),
            s.index / max(1, last_index), -s.segment)


class ExtractiveWriter:
    name = "extractive"

    def write(self, brief: ScriptBrief) -> Script:
        if not brief.segments:
            raise WriterError("invalid_output", "no source segments to write from")
        groups = [[_Sentence(span, rank, i) for i, span in enumerate(whole_sentences(group))]
                  for rank, group in enumerate(brief.sentences)]
        budget = brief.word_budget
        limit = int(budget * (1 + _TOLERANCE))
        chosen: list[_Sentence] = []

        def fresh(s: _Sentence) -> bool:
            return all(s.span != c.span and not near_duplicate(s.text, c.text) for c in chosen)

        hook = self._hook(brief, groups)
        chosen.append(hook)
        closing = self._closing(brief, groups, hook, limit)
        if closing is not None:
            chosen.append(closing)
        room = limit - sum(s.words for s in chosen)
        points: list[list[_Sentence]] = []
        # A second pass takes further runs from the same segments, only while the script is
        # still short of its budget (few sources, or short sentences).
        for max_points in (MAX_POINTS, MAX_POINTS + 2):
            for group in self._segment_order(brief, groups):
                used = limit - room
                enough = used >= budget if max_points == MAX_POINTS \
                    else used >= budget * (1 - _TOLERANCE)
                if len(points) >= max_points or enough:
                    break
                point = self._point(group, fresh, room, closing)
                if point:
                    points.append(point)
                    chosen.extend(point)
                    room -= sum(s.words for s in point)
        body = sorted((s for point in points for s in point), key=lambda s: (s.segment, s.index))
        ordered = [hook, *body, *([closing] if closing is not None else [])]
        lines = with_roles([ScriptLine(text=s.text.strip(), sources=(s.span,)) for s in ordered])
        total = sum(s.words for s in ordered)
        return Script(request_id=brief.request_id, variant=brief.variant,
                      title=title_for(brief.topic), lines=lines, writer=self.name,
                      meta={"word_budget": budget, "words": total, "points": len(points),
                            "words_per_second": brief.words_per_second})

    @staticmethod
    def _hook(brief: ScriptBrief, groups: list[list[_Sentence]]) -> _Sentence:
        """Variant n opens from the n-th ranked segment when it has a sentence that needs no
        context at all; else from such a sentence elsewhere (shifted by variant), else from
        the best the segment has."""
        own = groups[brief.hook_segment]
        every = [s for g in groups for s in g]
        def short(s: _Sentence) -> bool:  # a hook lands in one breath
            return 4 <= s.words <= _HOOK_MAX_WORDS

        tiers = (
            lambda s: stands_alone(s.text) and self_contained(s.text) and short(s),
            lambda s: stands_alone(s.text) and short(s),
            lambda s: stands_alone(s.text),
        )
        pool: list[_Sentence] = []
        for fits in tiers:
            pool = [s for s in own if fits(s)]
            if not pool:
                anywhere = [s for s in every if fits(s)]
                pool = anywhere[brief.hook_segment % len(anywhere):] if anywhere else []
            if pool:
                break
        pool = pool or own or every
        span = pick_hook([s.span for s in pool], brief.topic)
        return next(s for s in pool if s.span == span)

    @staticmethod
    def _closing(brief: ScriptBrief, groups: list[list[_Sentence]], hook: _Sentence,
                 limit: int) -> _Sentence | None:
        topic_words = content_words(brief.topic)
        options = [s for g in groups for s in g
                   if s.span != hook.span and stands_alone(s.text)
                   and s.words <= _CLOSING_MAX_WORDS and s.words + hook.words <= limit
                   and not near_duplicate(s.text, hook.text)]
        if not options:
            return None
        return max(options, key=lambda s: _closing_score(s, topic_words,
                                                         len(groups[s.segment]) - 1))

    @staticmethod
    def _segment_order(brief: ScriptBrief, groups: list[list[_Sentence]]
                       ) -> list[list[_Sentence]]:
        """Body points come from the ranked segments, the hook's own segment first (what
        follows the hook in its source continues its thought)."""
        first = brief.hook_segment
        return [groups[first], *(g for i, g in enumerate(groups) if i != first)]

    @staticmethod
    def _point(group: list[_Sentence], fresh, room: int,
               closing: _Sentence | None) -> list[_Sentence]:
        """A run of consecutive sentences of one segment that opens on one standing alone;
        the next ones only need to be complete (they follow what the listener just heard)."""
        for start, opener in enumerate(group):
            if not (stands_alone(opener.text) and fresh(opener) and opener.words <= room):
                continue
            point, used = [opener], opener.words
            for follower in group[start + 1:]:
                if (len(point) >= MAX_SENTENCES_PER_POINT or follower is closing
                        or not is_complete(follower.text) or not fresh(follower)
                        or any(near_duplicate(follower.text, p.text) for p in point)
                        or used + follower.words > room):
                    break
                point.append(follower)
                used += follower.words
            return point
        return []
