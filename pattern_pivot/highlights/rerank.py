"""An optional second opinion: when LLM providers are configured, the locally picked
candidates are re-ordered (and may be retitled) by the first provider that answers, in the
same fallback order the script writers use. Any failure keeps the local order: the local
path never depends on a model or a key."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from typing import Sequence

import openai

from pattern_pivot.highlights.find import Highlight
from pattern_pivot.highlights.titles import MAX_TITLE_CHARS, title_from
from pattern_pivot.llm.providers import ProviderConfig
from pattern_pivot.remix.writers.base import WriterError
from pattern_pivot.remix.writers.llm import provider_failure

log = logging.getLogger(__name__)

_SYSTEM = ("You pick moments of a long video to post as standalone vertical shorts. A good "
           "short hooks in its first seconds, makes sense without the rest of the video and "
           "ends on a complete thought. Answer with JSON only.")
_ASK = ("Candidates (id: text):\n{candidates}\n\nRank them best first and give each a short "
        "title (at most 8 words, in the speaker's own terms). Reply as "
        '{{"order": [ids...], "titles": {{"id": "title"}}}}.')
_JSON = re.compile(r"\{.*\}", re.DOTALL)


def parse_ranking(reply: str, count: int) -> tuple[list[int], dict[int, str]]:
    """0-based candidate indices in the reply's order (unknown and repeated ids dropped,
    missing ones appended in the local order) and the titles it gave."""
    match = _JSON.search(reply)
    if not match:
        raise ValueError("the reply holds no JSON object")
    data = json.loads(match.group(0))
    order = []
    for raw in data.get("order", []):
        i = int(raw) - 1 if str(raw).strip().isdigit() else -1
        if 0 <= i < count and i not in order:
            order.append(i)
    if not order:
        raise ValueError("the reply ranks none of the candidates")
    order += [i for i in range(count) if i not in order]
    titles = {}
    for key, value in (data.get("titles") or {}).items():
        if str(key).strip().isdigit() and isinstance(value, str) and value.strip():
            titles[int(key) - 1] = title_from(value.strip().strip('"'), MAX_TITLE_CHARS)
    return order, titles


def rerank(candidates: Sequence[Highlight], providers: Sequence[ProviderConfig],
           count: int) -> tuple[list[Highlight], dict]:
    """The top ``count`` candidates as the first answering provider orders them, with what
    was tried (provider names and why each was left: no keys, no text)."""
    tried = []
    listing = "\n".join(f"{n}: {h.text[:600]}" for n, h in enumerate(candidates, start=1))
    for provider in providers:
        try:
            reply = provider.chat_model().invoke(
                [("system", _SYSTEM), ("human", _ASK.format(candidates=listing))]).content
            order, titles = parse_ranking(str(reply), len(candidates))
        except (openai.APIError, WriterError, ValueError, TypeError) as exc:
            failure = provider_failure(exc) if isinstance(exc, openai.APIError) else exc
            reason = getattr(failure, "reason", "invalid_output")
            log.warning("highlight re-rank: %s failed (%s); trying the next", provider.name,
                        reason)
            tried.append({"provider": provider.name, "reason": reason})
            continue
        tried.append({"provider": provider.name, "reason": "ok"})
        picked = [replace(candidates[i], title=titles.get(i, candidates[i].title),
                          reason=f"{candidates[i].reason}; ranked by {provider.name}")
                  for i in order[:count]]
        return picked, {"ranked_by": provider.name, "providers_tried": tried}
    return list(candidates[:count]), {"ranked_by": "local", "providers_tried": tried}
