"""Copy for one rendered output: title options, a description with credits and chapters,
hashtags and tags, always inside YouTube's limits (``limits``).

With no model at all it is extractive: candidate key phrases (1-3 words, no stop words) from
the output's script or spoken words, ranked by how close their embedding is to the whole
text's (the bundled sentence embedder), picked with MMR so they do not repeat one another,
plus the request's topic. When an LLM was configured, the script (and its title) came from
the fallback chain in the remix stage, and its title leads the options.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np

from pattern_pivot.publish.limits import (
    HASHTAGS_SHOWN,
    Chapter,
    fit_chapters,
    repair_description,
    repair_hashtags,
    repair_tags,
    repair_title,
    timestamp,
    validate,
)
from pattern_pivot.remix.types import EditPlan

Encoder = Callable[[list[str]], np.ndarray]

_STOP = frozenset("""a about above after again against all am an and any are as at be because
been before being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers herself him himself his how i if in into is it
its itself just let me more most my myself no nor not now of off on once only or other our ours
ourselves out over own really same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what
when where which while who whom why will with would you your yours yourself yourselves also
get got go going gonna one ones thing things lot like well yeah okay oh us s t don didn doesn
isn wasn aren can't won't it's that's i'm you're we're they're there's what's let's""".split())
_WORD = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")
SYNTHETIC_NOTE = "Narration is a synthetic voice; footage is cut from the credited videos."


@dataclass(frozen=True)
class Credit:
    video_id: str
    title: str
    url: str  # a watch URL with &t= for YouTube sources, "" for local files
    start: float  # where the first cut from it starts in the source, seconds


@dataclass(frozen=True)
class PublishCopy:
    titles: tuple[str, ...]
    description: str
    chapters: tuple[Chapter, ...]
    hashtags: tuple[str, ...]
    tags: tuple[str, ...]
    keyphrases: tuple[str, ...]
    credits: tuple[Credit, ...]
    writer: str  # "extractive", or the LLM that wrote the script the title came from
    problems: tuple[str, ...] = field(default=())  # limits still broken (empty when valid)

    @property
    def title(self) -> str:
        return self.titles[0]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["title"] = self.title
        return data


def candidate_phrases(text: str, max_words: int = 3) -> list[str]:
    """Runs of 1-3 content words that neither start nor end with a stop word, in order of
    first appearance, each once (case-insensitive)."""
    seen: dict[str, str] = {}
    for sentence in re.split(r"[.!?;:,\n]+", text):
        words = _WORD.findall(sentence)
        for i in range(len(words)):
            for n in range(1, max_words + 1):
                gram = words[i:i + n]
                if len(gram) < n or gram[0].lower() in _STOP or gram[-1].lower() in _STOP:
                    continue
                if any(len(w) < 3 and not w.isdigit() for w in (gram[0], gram[-1])):
                    continue
                phrase = " ".join(gram)
                seen.setdefault(phrase.lower(), phrase)
    return list(seen.values())


def rank_phrases(text: str, encoder: Encoder, top: int = 8, diversity: float = 0.5,
                 max_candidates: int = 300) -> list[str]:
    """Key phrases of ``text``: candidates nearest the whole text's embedding, chosen with
    maximal marginal relevance so near-duplicates ("cockatoo", "cockatoos scream") do not
    crowd out other ideas."""
    candidates = candidate_phrases(text)
    if not candidates:
        return []
    # Very long transcripts: keep the most frequent candidates, embedding all is wasted work.
    if len(candidates) > max_candidates:
        lower = text.lower()
        candidates = sorted(candidates, key=lambda p: -lower.count(p.lower()))[:max_candidates]
    vectors = encoder([text[:4000]] + candidates)
    doc, cand = vectors[0], vectors[1:]
    relevance = cand @ doc
    chosen: list[int] = []
    while len(chosen) < min(top, len(candidates)):
        if chosen:
            redundancy = (cand @ cand[chosen].T).max(axis=1)
        else:
            redundancy = np.zeros(len(candidates))
        score = (1 - diversity) * relevance - diversity * redundancy
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return [candidates[i] for i in chosen]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def output_timeline(plan: EditPlan) -> list[tuple[float, object]]:
    """(start on the output timeline, shot) for every shot."""
    t, out = 0.0, []
    for shot in plan.shots:
        out.append((t, shot))
        t += shot.duration
    return out


def shot_label(shot, words: int = 6) -> str:
    text = shot.text or shot.narration or (shot.span.text if shot.span else "") or ""
    parts = text.split()
    label = " ".join(parts[:words]).rstrip(".,;:!?")
    return label + ("…" if len(parts) > words else "")


def plan_chapters(plan: EditPlan, duration: float) -> list[Chapter]:
    """Chapters at the shots' starts (titled by what is said or shown), merged to YouTube's
    rules; [] for outputs too short to have three 10-second chapters."""
    raw = [Chapter(start, label) for start, shot in output_timeline(plan)
           if (label := shot_label(shot))]
    if not raw:
        return []
    return fit_chapters(raw, duration)


def plan_credits(plan: EditPlan, lookup: Callable[[str], tuple[str, str]]) -> list[Credit]:
    """Each source video once, with where its first cut starts. ``lookup`` gives a video id's
    (title, source URI) from the catalog."""
    firsts: dict[str, float] = {}
    spans = [s.span for s in plan.shots if s.span]
    if plan.script:
        spans += [src for line in plan.script.lines for src in line.sources]
    for span in spans:
        firsts[span.video_id] = min(firsts.get(span.video_id, span.start), span.start)
    credits = []
    for video_id, start in firsts.items():
        title, uri = lookup(video_id)
        url = ""
        if video_id.startswith("yt-"):
            url = f"https://www.youtube.com/watch?v={video_id[3:]}&t={int(start)}s"
        credits.append(Credit(video_id, title or uri.rsplit("/", 1)[-1] or video_id, url,
                              start))
    return credits


def _credit_line(credit: Credit) -> str:
    if credit.url:
        return f"- {credit.title}: {credit.url}"
    return f"- {credit.title} (from {timestamp(credit.start)})"


def build_copy(plan: EditPlan, *, topic: str, spoken_text: str, duration: float,
               lookup: Callable[[str], tuple[str, str]], encoder: Encoder | None,
               title_writer: Callable[[str, str], tuple | None] | None = None) -> PublishCopy:
    """Titles, description, chapters, hashtags and tags for one rendered variant.
    ``title_writer`` (the LLM providers) leads the titles and phrases when it answers."""
    script_text = plan.script.text if plan.script else ""
    text = " ".join((script_text or spoken_text or " ".join(
        shot_label(s, 10_000) for s in plan.shots)).split())
    phrases = rank_phrases(text, encoder) if encoder and text else []
    if not phrases and text:
        phrases = candidate_phrases(text)[:8]
    topic = " ".join(topic.split())
    lead = topic or (phrases[0] if phrases else plan.title or "Remix")
    script_title = plan.script.title if plan.script else plan.title
    writer = plan.script.writer if plan.script else "extractive"
    written = title_writer(topic, text) if title_writer and text else None
    options: list[str] = []
    if written:
        llm_titles, llm_phrases, writer = written
        options.extend(llm_titles)
        phrases = list(dict.fromkeys([*llm_phrases, *phrases]))
    others = [p for p in phrases if p.lower() != lead.lower()]
    if script_title:
        options.append(script_title)
    if others:
        options.append(f"{_cap(lead)}: {', '.join(_cap(p) for p in others[:2])}")
    options.append(f"{_cap(lead)} in {round(duration)} seconds")
    titles = tuple(dict.fromkeys(repair_title(o) for o in options))

    chapters = plan_chapters(plan, duration)
    credits = plan_credits(plan, lookup)
    hashtags = repair_hashtags([lead, *others] + (["Shorts"] if plan.aspect == "9:16"
                                                   and duration <= 180 else []),
                               limit=HASHTAGS_SHOWN)
    tags = repair_tags([lead, *phrases, plan.mode, *(c.title for c in credits)])
    if plan.script and plan.script.lines:
        hook = plan.script.lines[0].text
    else:  # a supercut says nothing of its own: say what it is
        cuts = sum(1 for s in plan.shots if s.span)
        hook = (f"{_cap(lead)}: {cuts} moment{'s' * (cuts != 1)} from {len(credits)} "
                f"video{'s' * (len(credits) != 1)}, in their own words.")
    parts = [hook]
    if chapters:
        parts.append("Chapters:\n" + "\n".join(f"{timestamp(c.start)} {c.title}"
                                               for c in chapters))
    if credits:
        parts.append("Sources:\n" + "\n".join(_credit_line(c) for c in credits))
    if plan.mode in ("narrated", "faceless"):
        parts.append(SYNTHETIC_NOTE)
    parts.append(" ".join(hashtags))
    description = repair_description("\n\n".join(p for p in parts if p))
    problems = tuple(validate(titles[0], description, tags))
    return PublishCopy(titles, description, tuple(chapters), tuple(hashtags), tuple(tags),
                       tuple(phrases), tuple(credits), writer, problems)


def markdown(copy: PublishCopy) -> str:
    """The copy as markdown for the Dagster UI."""
    lines = ["**Titles**", *(f"{i}. {t}" for i, t in enumerate(copy.titles, 1)), "",
             "**Description**", "", "```", copy.description, "```", "",
             f"**Hashtags** {' '.join(copy.hashtags)}", "",
             f"**Tags** {', '.join(copy.tags)}"]
    if copy.problems:
        lines += ["", "**Problems** " + "; ".join(copy.problems)]
    return "\n".join(lines)


__all__: Sequence[str] = ["Credit", "PublishCopy", "build_copy", "candidate_phrases",
                          "markdown", "rank_phrases"]
